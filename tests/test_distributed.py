"""`ganstudio train` under torchrun: two CPU processes (gloo) write one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tiny_runs import tiny_config
from ganstudio.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_with_two_cpu_processes_writes_one_run(tmp_path):
    config = tiny_config(train__steps=6, train__batch=8)
    config.schedule.tick_steps = 3
    (tmp_path / "tiny.json").write_text(config.to_json())
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "ganstudio", "train", "--config", str(tmp_path / "tiny.json"),
        "--out", str(tmp_path / "run"), "--device", "cpu",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]

    run = tmp_path / "run"
    context = result.stdout[-2000:] + result.stderr[-3000:]  # shown if an assertion below fails
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tiny.json"], context  # one run, nothing else written
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in stats] == [3, 6], context  # one line per tick, not one per process
    assert stats[-1]["images"] == 6 * 8  # the global batch, split over the two processes
    ckpt = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert ckpt["step"] == 6
    assert "2 processes" in (run / "log.txt").read_text()
    # Progress is printed once, by rank 0.
    assert result.stdout.count("Finished at step 6") == 1, context
