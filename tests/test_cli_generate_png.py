"""`ganstudio generate PIECE.png`: re-render a saved piece from its recipe."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tiny_runs import tiny_config
from ganstudio.cli.main import main
from ganstudio.export import read_recipe, save_png, upscale
from ganstudio.explore.recipe import parse_recipe


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny real runs (different seeds, so different generators) and one piece."""
    root = tmp_path_factory.mktemp("pieces")
    for name, seed in (("run", 0), ("other", 1)):
        (root / f"{name}.json").write_text(tiny_config(train__steps=4, train__seed=seed).to_json())
        assert main(["train", "--config", str(root / f"{name}.json"), "--out", str(root / name), "--quiet"]) == 0
    assert main(["generate", str(root / "run"), "--n", "2", "--seed", "3", "--truncation", "0.8", "--out", str(root / "gen")]) == 0
    return root


def _pixels(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_generated_pngs_carry_a_full_recipe(runs):
    recipe = parse_recipe(read_recipe(runs / "gen" / "seed-000004.png"), z_dim=16)
    assert recipe is not None and recipe.look.seed == 4 and recipe.look.truncation == 0.8
    assert recipe.size == 16 and recipe.checkpoint.endswith(".pt") and recipe.run == "run"


def test_rerender_at_1x_is_identical_and_at_4x_is_the_crisp_upscale(runs, tmp_path, capsys):
    piece = runs / "gen" / "seed-000004.png"
    original = _pixels(piece)
    assert main(["generate", str(piece), "--out", str(tmp_path)]) == 0
    again = tmp_path / "seed-000004-16px.png"
    assert np.array_equal(_pixels(again), original)
    assert main(["generate", str(piece), "--out", str(tmp_path), "--scale", "4"]) == 0
    assert np.array_equal(_pixels(tmp_path / "seed-000004-64px.png"), upscale(original, scale=4))
    assert main(["generate", str(piece), "--out", str(tmp_path), "--size", "100", "--smooth"]) == 0
    assert _pixels(tmp_path / "seed-000004-100px.png").shape == (100, 100, 3)
    # The re-render carries the recipe too, so it can be re-rendered in turn.
    recipe = parse_recipe(read_recipe(again))
    assert recipe.look.seed == 4 and recipe.size == 16
    assert "Wrote" in capsys.readouterr().out


def test_a_piece_carries_no_folder_of_the_machine_it_was_made_on(runs):
    """A PNG posted online must not carry /home/<name>/…: the recipe names the run and the
    checkpoint inside it, nothing around them."""
    piece = runs / "gen" / "seed-000003.png"
    data = piece.read_bytes()
    for folder in {str(runs), str(runs.resolve()), str(Path.home())}:
        assert folder.encode() not in data
    recipe = parse_recipe(read_recipe(piece))
    assert recipe.checkpoint == "checkpoints/best.pt" and recipe.run == "run"


def test_a_moved_run_is_found_by_its_name_without_being_told(runs, tmp_path, monkeypatch):
    """The run copied to another machine's runs folder, the piece downloaded somewhere else."""
    elsewhere_runs = tmp_path / "other-machine" / "runs"
    shutil.copytree(runs / "run", elsewhere_runs / "run")
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(elsewhere_runs))
    piece = tmp_path / "Downloads" / "piece.png"
    piece.parent.mkdir()
    shutil.copy(runs / "gen" / "seed-000003.png", piece)
    shutil.move(runs / "run", tmp_path / "gone")  # not where it was made any more
    try:
        assert main(["generate", str(piece), "--out", str(tmp_path / "out")]) == 0
    finally:
        shutil.move(tmp_path / "gone", runs / "run")
    assert np.array_equal(_pixels(tmp_path / "out" / "piece-16px.png"), _pixels(piece))


def test_a_piece_inside_a_renamed_run_folder_finds_that_run(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "empty-runs"))
    renamed = tmp_path / "my favourite run"
    shutil.copytree(runs / "run", renamed)
    (renamed / "artwork").mkdir(exist_ok=True)
    piece = renamed / "artwork" / "piece.png"
    shutil.copy(runs / "gen" / "seed-000003.png", piece)
    assert main(["generate", str(piece), "--out", str(tmp_path / "out")]) == 0
    assert np.array_equal(_pixels(tmp_path / "out" / "piece-16px.png"), _pixels(piece))


def test_explicit_model_finds_the_matching_checkpoint_of_a_moved_run(runs, tmp_path):
    moved = tmp_path / "moved-run"
    shutil.copytree(runs / "run", moved)
    piece = runs / "gen" / "seed-000003.png"
    assert main(["generate", str(piece), "--out", str(tmp_path / "out"), "--model", str(moved)]) == 0
    assert np.array_equal(_pixels(tmp_path / "out" / "seed-000003-16px.png"), _pixels(piece))


def test_a_different_model_is_refused_unless_asked_for(runs, tmp_path, capsys):
    raw = read_recipe(runs / "gen" / "seed-000003.png")
    other_checkpoint = next((runs / "other" / "checkpoints").glob("*.pt"))
    swapped = tmp_path / "swapped.png"
    save_png(swapped, _pixels(runs / "gen" / "seed-000003.png"), recipe={**raw, "checkpoint": str(other_checkpoint)})
    capsys.readouterr()
    assert main(["generate", str(swapped), "--out", str(tmp_path / "a")]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--model" in err and "would differ" in err
    assert "Traceback" not in err and not (tmp_path / "a" / "swapped-16px.png").exists()
    # Named explicitly: a warning line, then it renders with that model.
    assert main(["generate", str(swapped), "--out", str(tmp_path / "b"), "--model", str(other_checkpoint)]) == 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "warning" in err
    assert (tmp_path / "b" / "swapped-16px.png").is_file()


@pytest.mark.parametrize("content", ["plain", "grid", "missing", "not-png"])
def test_a_png_without_a_usable_recipe_gets_one_line_and_exit_3(runs, tmp_path, capsys, content):
    path = tmp_path / "x.png"
    if content == "plain":
        Image.new("RGB", (8, 8)).save(path)
    elif content == "grid":  # what the app's sample-grid export writes: a recipe, but no latent
        save_png(path, np.zeros((8, 8, 3), np.uint8), recipe={"app": "GAN Studio", "kind": "sample grid", "step": 3})
    elif content == "not-png":
        path.write_text("hello")
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("ganstudio generate: error:")


def test_model_flag_needs_a_png(runs, tmp_path, capsys):
    assert main(["generate", str(runs / "run"), "--out", str(tmp_path), "--model", str(runs / "run")]) == 2
    assert "--model" in capsys.readouterr().err
