"""What `ganstudio train` decides from the data, and which generator `generate` hands back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from test_data_traits import arrows
from tiny_runs import tiny_config
from ganstudio.cli.main import main


def write_folder(folder, images) -> str:
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"arrow-{i:03d}.png")  # RGB files, equal channels
    return str(folder)


@pytest.fixture(scope="module")
def gray_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gray")
    data = write_folder(root / "arrows", arrows(120, size=16))
    config = tiny_config(train__steps=8, schedule__metric_seconds=0.0)
    config.data.source = data
    config.data.color, config.data.mirror = "auto", "auto"
    (root / "tiny.json").write_text(config.to_json())
    assert main(["train", "--config", str(root / "tiny.json"), "--out", str(root / "run"), "--quiet"]) == 0
    return root


def test_a_gray_handed_set_trains_one_channel_unmirrored_and_writes_gray_pieces(gray_run, capsys, tmp_path):
    saved = json.loads((gray_run / "run" / "config.json").read_text())["data"]
    assert (saved["color"], saved["mirror"]) == ("gray", "off")
    assert "grayscale" in saved["color_why"] and "told from the original" in saved["mirror_why"]
    assert main(["generate", str(gray_run / "run"), "--n", "2", "--out", str(tmp_path / "pieces")]) == 0
    piece = Image.open(next((tmp_path / "pieces").glob("seed-*.png")))
    assert piece.mode == "L" and piece.size == (16, 16)
    capsys.readouterr()
    assert main(["info", str(gray_run / "run")]) == 0
    out = capsys.readouterr().out
    assert "Colour:                 grayscale (every image is grayscale" in out
    assert "Mirroring:              off (a mirrored image can be told from the original" in out


def test_the_artist_can_override_both_choices(gray_run, capsys):
    run = gray_run / "forced"
    args = ["train", "--data", str(gray_run / "arrows"), "--out", str(run), "--resolution", "16", "--steps", "2",
            "--batch", "8", "--colour", "rgb", "--mirror", "on"]
    assert main(args) == 0
    saved = json.loads((run / "config.json").read_text())["data"]
    assert (saved["color"], saved["mirror"], saved["color_why"], saved["mirror_why"]) == ("rgb", "on", "", "")
    out = capsys.readouterr().out
    assert "Colour: colour (set by hand)" in out and "Mirroring: on (set by hand)" in out
    assert main(["train", "--data", "demo:shapes", "--out", str(gray_run / "x"), "--gray", "--colour", "rgb"]) == 2


def test_the_default_generator_is_the_last_measured_unless_an_older_one_is_clearly_better(gray_run, capsys):
    """Every tick is measured here; best.pt must hold the newest generator that no older
    figure beats by more than the measured noise, and the run's end is always measured."""
    stats = [json.loads(line) for line in (gray_run / "run" / "stats.jsonl").read_text().splitlines()]
    measured = [r for r in stats if "swd" in r]
    assert measured[-1]["step"] == stats[-1]["step"] == 8  # the end of the run was judged
    for i, record in enumerate(measured):
        # An older generator wins only when it is lower beyond the noise in both views.
        earlier = [m["swd"] for m in measured[:i]]
        earlier_shapes = [m["swd_shapes"] for m in measured[:i]]
        beaten = bool(earlier) and min(earlier) < record["swd"] - 2 * record["swd_noise"]
        beaten_shapes = bool(earlier) and min(earlier_shapes) < record["swd_shapes"] - 2 * record["swd_shapes_noise"]
        assert record["best"] == (not (beaten and beaten_shapes)), (i, record)
    chosen = [r for r in measured if r["best"]][-1]
    from ganstudio.checkpoint import load_checkpoint

    best = load_checkpoint(gray_run / "run" / "checkpoints" / "best.pt")
    assert best["step"] == chosen["step"] and best["best_quality"] == pytest.approx(chosen["swd"])
    capsys.readouterr()
    assert main(["info", str(gray_run / "run")]) == 0
    assert f"Pictures come from:     best.pt, step {chosen['step']:,}" in capsys.readouterr().out


def test_loss_and_set_change_the_run_after_the_preset_and_refuse_what_does_not_exist(tmp_path, capsys):
    run = tmp_path / "r3"
    assert main(["train", "--data", "demo:shapes:24", "--out", str(run), "--resolution", "16", "--steps", "2",
                 "--batch", "8", "--loss", "rpgan", "--set", "train.lr_g=0.0003", "--set", "loss.r1_every=4",
                 "--quiet"]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["loss"]["kind"] == "rpgan" and saved["model"]["d_batch_norm"] is False
    assert saved["loss"]["r1_gamma"] > 0 and saved["loss"]["r1_every"] == 4 and saved["train"]["lr_g"] == 0.0003
    capsys.readouterr()
    assert main(["train", "--data", "demo:shapes:24", "--out", str(tmp_path / "x"), "--set", "train.speed=9"]) == 2
    assert "--set train.speed: there is no such setting" in capsys.readouterr().err
    assert main(["train", "--data", "demo:shapes:24", "--out", str(tmp_path / "y"), "--set", "train.lr_g=-1"]) == 2
    assert "generator learning rate" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").rglob("*.pt"))
