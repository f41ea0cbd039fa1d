"""A run folder's files are a stranger's too (issue #29 cases 2, 5 and 8): odd stats lines, a
checkpoint path that names a pipe, and a disk that fills up while a checkpoint is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganstudio.cli.main import main
from ganstudio.runs.history import read_run
from ganstudio.training.trainer import Trainer
from tiny_runs import tiny_config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(tiny_images, tmp_path):
    folder = tmp_path / "run"
    list(Trainer(tiny_config(train__steps=4), tiny_images, folder, device="cpu").run())
    return folder


def test_odd_stats_lines_open_and_show_without_them(run, capsys):
    odd = ['{"step": 5, "time": NaN, "d_loss": 1.0}', '{"step": 6, "swd": "abc", "best": "yes", "events": 5}',
           '{"step": 7, "time": "soon", "best_reason": 12}', '{"step": 8, "images": Infinity}']
    with open(run / "stats.jsonl", "a", encoding="utf-8") as handle:
        handle.write("\n".join(odd) + "\n")
    assert main(["info", str(run)]) == 0
    out = capsys.readouterr().out
    assert "Training time:" in out and "abc" not in out
    assert main(["info", str(run), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # standard JSON: no NaN slipped through
    assert summary["step"] == 8 and summary["quality"]["best"] < 1e6
    history = read_run(run)
    assert history.last_step == 8 and history.elapsed > 0  # the last line's odd time fell back, not to "soon"
    assert 6 not in history.quality_steps.tolist()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_piece_whose_recipe_names_a_pipe_is_refused_not_waited_on(run, tmp_path):
    """`generate PIECE.png` used to block in open() for ever on a recipe naming a FIFO."""
    out = tmp_path / "out"
    assert main(["generate", str(run), "--n", "1", "--out", str(out)]) == 0
    piece = next(out.glob("seed-*.png"))
    from ganstudio.export import read_recipe, save_png

    recipe = read_recipe(piece)
    fifo = tmp_path / "not-a-model.pt"
    os.mkfifo(fifo)
    recipe["checkpoint"] = str(fifo)  # an old-style absolute path, the only lead: no run of that name exists
    recipe["run"] = "no-such-run"
    from PIL import Image
    import numpy as np

    shared = tmp_path / "shared.png"
    save_png(shared, np.asarray(Image.open(piece).convert("RGB")), recipe=recipe)
    env = {**os.environ, "PYTHONPATH": str(REPO), "GANSTUDIO_RUNS_DIR": str(tmp_path / "no-runs")}
    result = subprocess.run([sys.executable, "-m", "ganstudio", "generate", str(shared), "--out", str(tmp_path / "again")],
                            capture_output=True, text=True, timeout=120, env=env)  # a hang fails here
    assert result.returncode == 3 and "Could not find run 'no-such-run'" in result.stderr, result.stderr
    assert main(["generate", str(fifo), "--out", str(tmp_path / "x")]) == 3


def _small_tmpfs(path: Path, size: str):
    path.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.decode(errors='replace').strip()[:80]})")


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounting a small tmpfs needs Linux and root")
def test_a_real_full_disk_is_said_plainly_and_training_goes_on(tmp_path):
    disk = tmp_path / "small-disk"
    _small_tmpfs(disk, "96k")
    try:
        (tmp_path / "tiny.json").write_text(tiny_config(train__steps=6).to_json())
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-m", "ganstudio", "train", "--config", str(tmp_path / "tiny.json"), "--out",
             str(disk / "run"), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
        output = result.stdout + result.stderr
        assert "unexpected error" not in output and "Traceback" not in output, output
        assert "No space left on device" in output, output
        assert result.returncode in (0, 2), output
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_huge_generate_is_refused_before_any_work_and_a_large_one_streams(run, tmp_path, capsys):
    """`generate --n 10000000` used to render every picture (3 GB) before writing the first."""
    out = tmp_path / "many"
    assert main(["generate", str(run), "--n", "10000000", "--out", str(out)]) == 2
    assert "at most 100,000" in capsys.readouterr().err and not out.exists()
    assert main(["generate", str(run), "--n", "5000", "--grid", "--out", str(out)]) == 2
    assert "A grid holds at most" in capsys.readouterr().err and not out.exists()
    assert main(["generate", str(run), "--n", "40", "--seed", "7", "--out", str(out)]) == 0
    assert len(list(out.glob("seed-*.png"))) == 40 and (out / "seed-000046.png").is_file()


def test_a_checkpoint_declaring_far_more_than_it_holds_is_refused_before_loading(run, tmp_path):
    """A 0.2 MB file declaring 200 MB of weights (a deflated record of zeros) used to make torch.load
    allocate all of it before failing; it is refused from the zip's directory now."""
    import resource
    import struct
    import zipfile
    import zlib

    import torch

    from ganstudio.checkpoint import CheckpointError, load_checkpoint

    honest = tmp_path / "honest.pt"
    torch.save({"format": "x", "w": torch.zeros(12345)}, honest)
    numel = 50_000_000  # 200 MB of float32
    with zipfile.ZipFile(honest) as original:
        names = original.namelist()
        records = {name: original.read(name) for name in names}
    pkl = next(name for name in names if name.endswith("data.pkl"))
    records[pkl] = records[pkl].replace(b"M" + struct.pack("<H", 12345), b"J" + struct.pack("<i", numel))
    data = next(name for name in names if name.endswith("/data/0"))
    crafted = tmp_path / "crafted.pt"
    with zipfile.ZipFile(crafted, "w") as out:
        for name in names:
            if name == data:
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED  # torch never compresses; a crafted file does
                with out.open(info, "w", force_zip64=True) as member:
                    zero = bytes(4_000_000)
                    for _ in range(numel * 4 // len(zero)):  # exactly the declared 200 MB, as torch checks
                        member.write(zero)
            else:
                out.writestr(name, records[name])
    assert crafted.stat().st_size < 5_000_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CheckpointError, match="declares 200 MB of data in a 0.2 MB file"):
        load_checkpoint(crafted)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # kB: nothing like 200 MB
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 4  # a real checkpoint still opens
