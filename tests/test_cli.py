"""`ganstudio train | generate | info` as a terminal user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tiny_runs import tiny_config
from ganstudio.cli.main import main
from ganstudio.export import read_recipe

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, env_extra: dict | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    """Run the real command in a fresh process, as a user would."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One short real run, shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("cli")
    config = tiny_config(train__steps=8)
    (root / "tiny.json").write_text(config.to_json())
    code = main(["train", "--config", str(root / "tiny.json"), "--out", str(root / "run"), "--quiet"])
    assert code == 0
    return root / "run"


def test_train_writes_a_complete_run_folder(trained_run):
    assert (trained_run / "config.json").is_file()
    assert (trained_run / "checkpoints" / "latest.pt").is_file()
    assert len((trained_run / "stats.jsonl").read_text().splitlines()) >= 2
    assert list((trained_run / "samples").glob("step-*.png"))


def test_generate_same_seed_gives_identical_pngs_with_a_recipe(trained_run, tmp_path):
    assert main(["generate", str(trained_run), "--n", "3", "--seed", "5", "--out", str(tmp_path / "a"), "--grid"]) == 0
    assert main(["generate", str(trained_run), "--n", "3", "--seed", "5", "--out", str(tmp_path / "b")]) == 0
    assert main(["generate", str(trained_run), "--n", "1", "--seed", "6", "--out", str(tmp_path / "c")]) == 0
    names = sorted(p.name for p in (tmp_path / "a").glob("seed-*.png"))
    assert names == ["seed-000005.png", "seed-000006.png", "seed-000007.png"]
    for name in names:
        a = np.asarray(Image.open(tmp_path / "a" / name))
        b = np.asarray(Image.open(tmp_path / "b" / name))
        assert a.shape == (16, 16, 3) and np.array_equal(a, b)
    # Image i comes from seed+i: seed 6 alone equals the second image of the seed-5 batch.
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "a" / "seed-000006.png")), np.asarray(Image.open(tmp_path / "c" / "seed-000006.png"))
    )
    assert not np.array_equal(
        np.asarray(Image.open(tmp_path / "a" / "seed-000005.png")), np.asarray(Image.open(tmp_path / "a" / "seed-000006.png"))
    )
    recipe = read_recipe(tmp_path / "a" / "seed-000007.png")
    assert recipe["seed"] == 7 and recipe["step"] == 8 and len(recipe["latent"]) == 16 and recipe["run"] == "run"
    grid = Image.open(next((tmp_path / "a").glob("grid-*.png")))
    assert grid.width > 16 * 2


def test_generate_truncation_zero_gives_one_image_for_every_seed(trained_run, tmp_path):
    assert main(["generate", str(trained_run), "--n", "2", "--truncation", "0", "--out", str(tmp_path)]) == 0
    a, b = (np.asarray(Image.open(p)) for p in sorted(tmp_path.glob("seed-*.png")))
    assert np.array_equal(a, b)


def test_info_prints_what_is_in_a_run(trained_run, capsys):
    assert main(["info", str(trained_run)]) == 0
    text = capsys.readouterr().out
    assert "Resolution:" in text and "16" in text and "latest.pt" in text and "Step:" in text
    assert main(["info", str(trained_run / "checkpoints" / "latest.pt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["step"] == 8 and data["resolution"] == 16 and data["kind"] == "checkpoint"


def test_resume_continues_the_step_count(trained_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    assert main(["train", "--out", str(run), "--resume", "--steps", "12", "--quiet"]) == 0
    steps = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and steps[-1] == 12
    # Starting over in the same folder without --resume would lose work: refused.
    code = main(["train", "--data", "demo:shapes:24", "--out", str(run), "--quiet"])
    assert code == 3


def test_default_preset_trains_from_the_real_command(tmp_path):
    """The README's first command, shortened: the installed entry point with a demo set."""
    result = _cli("train", "--data", "demo:landscapes:40", "--out", str(tmp_path / "run"), "--resolution", "16", "--steps", "3")
    assert result.returncode == 0, result.stderr
    assert "Preset quick-sketch" in result.stdout and "Finished at step 3" in result.stdout
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["preset"] == "quick-sketch" and config["augment"]["policy"]  # 40 images: augmented


def test_undecodable_images_are_skipped_and_named(tmp_path, capsys):
    folder = tmp_path / "art"
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(folder / "sub" / f"ok{i}.png")
    good = folder / "sub" / "ok0.png"
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(folder / "broken.jpg", quality=90)
    data = (folder / "broken.jpg").read_bytes()
    (folder / "broken.jpg").write_bytes(data[: len(data) // 3])
    (folder / "notes.png").write_text("not really a picture")
    config = tiny_config(train__steps=2)
    (tmp_path / "tiny.json").write_text(config.to_json())
    code = main(["train", "--config", str(tmp_path / "tiny.json"), "--data", str(folder), "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Data: 4 images" in out
    assert "broken.jpg" in out and "notes.png" in out and "Skipped 2 file(s)" in out
    assert "broken.jpg" in (tmp_path / "run" / "log.txt").read_text()
    assert good.exists()  # the user's files are untouched


def test_the_terminal_says_why_a_run_trains_in_another_number_format(tmp_path, capsys):
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=1, train__precision="fp16").to_json())
    code = main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "run")])
    assert code == 0
    assert "fp32 (fp16 needs an NVIDIA GPU)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,expected,code",
    [
        (["train", "--data", "demo:shapes", "--out", "{tmp}/r", "--batch", "0"], "--batch: must be at least 1", 2),
        (["train", "--data", "demo:shapes", "--out", "{tmp}/r", "--resolution", "100"], "--resolution: must be 16, 32", 2),
        (["train", "--data", "{tmp}/nowhere", "--out", "{tmp}/r"], "No folder, zip file or demo set", 3),
        (["train", "--data", "{tmp}/empty", "--out", "{tmp}/r"], "No images found", 3),
        (["train", "--data", "demo:unicorns", "--out", "{tmp}/r"], "Unknown demo set", 3),
        (["train", "--out", "{tmp}/r"], "Say what to train on", 2),
        (["train", "--out", "{tmp}/r", "--resume"], "Nothing to resume", 3),
        (["train", "--data", "demo:shapes", "--out", "{tmp}/r", "--steps", "-3"], "--steps: must be at least 1", 2),
        (["generate", "{tmp}/foreign.pt", "--out", "{tmp}/g"], "another program", 3),
        (["generate", "{tmp}/empty", "--out", "{tmp}/g"], "no checkpoints", 3),
        (["info", "{tmp}/nowhere"], "No run folder or checkpoint", 3),
        (["generate", "{tmp}/foreign.pt", "--out", "{tmp}/g", "--truncation", "abc"], "--truncation: expected a number", 2),
        (["train", "--data", "demo:shapes:24", "--out", "{tmp}/r", "--resolution", "16", "--seed", "4611686018427387904"], "seed", 2),
        (["trian", "--data", "demo:shapes"], "neither a command", 2),
        (["{tmp}/missing-piece.png"], "there is no file or folder", 2),
    ],
)
def test_bad_input_gets_one_line_and_a_documented_exit_code(tmp_path, args, expected, code):
    """2: the command line is wrong; 3: a file or folder cannot be used (the codes of `ganstudio --help`)."""
    import torch

    (tmp_path / "empty").mkdir()
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    result = _cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], timeout=120)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists() or not (tmp_path / "r" / "config.json").exists()


def test_export_model_writes_a_small_generator_that_renders_the_same(trained_run, tmp_path):
    slim = tmp_path / "model.pt"
    assert main(["export-model", str(trained_run), "--out", str(slim), "--checkpoint", "latest"]) == 0
    assert slim.stat().st_size < (trained_run / "checkpoints" / "latest.pt").stat().st_size / 2
    assert main(["generate", str(trained_run), "--checkpoint", "latest", "--n", "2", "--out", str(tmp_path / "a")]) == 0
    assert main(["generate", str(slim), "--n", "2", "--out", str(tmp_path / "b")]) == 0
    for name in ("seed-000000.png", "seed-000001.png"):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "a" / name)), np.asarray(Image.open(tmp_path / "b" / name)))


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--size", "100000"], "16384"),
        (["--scale", "5000"], "16384"),
        (["--grid", "--size", "9000", "--n", "2"], "16384"),  # each image fits, the grid of them would not
        (["--seed", "18446744073709551615", "--n", "2"], "seed"),
        (["--seed", "99999999999999999999999"], "seed"),
    ],
)
def test_generate_out_of_range_sizes_and_seeds_get_one_line_and_exit_code_2(trained_run, tmp_path, capsys, args, expected):
    out = tmp_path / "pictures"
    assert main(["generate", str(trained_run), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unexpected" not in err[0] and expected in err[0], err
    assert not out.exists()  # nothing was started: no empty folder left behind


def test_resume_refuses_settings_it_would_ignore(trained_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    for flag in (["--batch", "4"], ["--seed", "7"]):
        assert main(["train", "--out", str(run), "--resume", "--steps", "10", "--quiet", *flag]) == 2
        assert "--resume continues a run with its own settings" in capsys.readouterr().err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before


def test_resume_without_config_json_uses_the_settings_in_the_checkpoint(trained_run, tmp_path, capsys):
    """Only checkpoints/ was copied back from the server (or config.json was deleted): the
    checkpoint carries the run's settings, so the run continues instead of being lost."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "config.json").unlink()
    assert main(["train", "--out", str(run), "--resume", "--steps", "10", "--quiet"]) == 0
    assert "config.json" in capsys.readouterr().out
    assert json.loads((run / "config.json").read_text())["model"]["width"] == 8
    steps = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert steps[-1] == 10


def test_a_second_train_on_a_run_that_is_training_is_refused(trained_run, tmp_path):
    """Two terminals, one run folder: the second must not write into the first one's run
    (its checkpoint would overwrite the other's, and their curves would interleave)."""
    import shutil
    import time

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--out", str(run), "--resume", "--minutes", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while "Resumed at step" not in (run / "log.txt").read_text() and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()
            time.sleep(0.2)
        for args in (["--resume", "--steps", "50"], ["--data", "demo:shapes:24", "--resolution", "16", "--steps", "3"]):
            second = _cli("train", "--out", str(run), "--quiet", *args, timeout=120)
            assert second.returncode == 3, second.stderr  # the run folder cannot be used now
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and "another" in lines[0] and "Traceback" not in second.stderr, second.stderr
        assert first.poll() is None  # the first run was left alone
        first.terminate()  # what Ctrl+C does: stop cleanly with a checkpoint
        first.communicate(timeout=120)
        assert first.returncode == 130  # interrupted, by the documented code
        assert "Stopped by SIGTERM at step" in (run / "log.txt").read_text()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    steps = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)
    # Once the first has finished the run is free again.
    assert main(["train", "--out", str(run), "--resume", "--steps", str(steps[-1] + 2), "--quiet"]) == 0


def test_training_into_a_folder_of_the_users_own_files_leaves_them_alone(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    files = {".notes.tmp": "my notes", ".backup.tmp.txt": "my backup", "photo.jpg": "a photo"}
    for name, text in files.items():
        (mine / name).write_text(text)
    (mine / ".config.0123456789ab.tmp.json").write_text("{")  # ours, half-written by a kill: cleared
    config = tiny_config(train__steps=2)
    (tmp_path / "tiny.json").write_text(config.to_json())
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(mine), "--quiet"]) == 0
    for name, text in files.items():
        assert (mine / name).read_text() == text
    assert not (mine / ".config.0123456789ab.tmp.json").exists()
