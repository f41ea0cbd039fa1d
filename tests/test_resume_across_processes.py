"""Resume is exact across processes: a run stopped by one `ganstudio train` and resumed by
another trains on to the same numbers, bit for bit, as a run that never stopped.

Within one process this is test_engine's job; here each part runs in its own interpreter,
so nothing a process keeps to itself (CPU routes timed on first use, torch's global RNG,
cached statistics) can carry a run through by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from tiny_runs import tiny_config

REPO = Path(__file__).resolve().parents[1]


def _train(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "ganstudio", "train", *args, "--quiet"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr


def _losses(run: Path) -> list[tuple[int, float, float]]:
    rows = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    return [(r["step"], r["d_loss"], r["g_loss"]) for r in rows if "d_loss" in r]


def test_a_run_resumed_in_another_process_continues_bit_for_bit(tmp_path):
    # The precision the machine would pick (bf16 on most CPUs), with the CPU routes on.
    config = tiny_config(train__steps=12, train__precision="auto", schedule__tick_steps=1)
    assert config.train.cpu_routes
    (tmp_path / "tiny.json").write_text(config.to_json())
    straight, split = tmp_path / "straight", tmp_path / "split"
    _train("--config", str(tmp_path / "tiny.json"), "--out", str(straight))
    _train("--config", str(tmp_path / "tiny.json"), "--out", str(split), "--steps", "6")
    _train("--out", str(split), "--resume", "--steps", "12")

    assert [step for step, *_ in _losses(split)] == list(range(1, 13))
    assert _losses(split) == _losses(straight)
    a = torch.load(straight / "checkpoints" / "latest.pt", weights_only=True)
    b = torch.load(split / "checkpoints" / "latest.pt", weights_only=True)
    assert a["step"] == b["step"] == 12
    for part in ("G", "D", "G_ema"):
        assert all(torch.equal(a[part][k], b[part][k]) for k in a[part]), part
    assert a["cpu_routes"] == b["cpu_routes"] and len(a["cpu_routes"]) > 0
