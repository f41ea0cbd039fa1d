"""The speed benchmark runs from the README's command and prints what the README quotes.

Not a timed test: a run this small measures nothing, it only proves the script still
works against today's engine (it reaches into a Trainer's run loop), so that the next
person who measures with it gets a table instead of a traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "bench"
sys.path.insert(0, str(BENCH))

from train_speed import BATCH, StepCost, ceiling_ratio  # noqa: E402


def test_a_step_cost_is_split_into_its_fixed_part_and_its_part_per_image():
    # 10 ms whatever the batch, plus 0.5 ms an image: 11 ms at batch 2, 42 ms at batch 64.
    cost = StepCost.fit((2, 11.0), (64, 42.0))
    assert cost.fixed == pytest.approx(10.0)
    assert cost.per_image == pytest.approx(0.5)


def test_the_ceiling_is_the_plain_step_over_a_perfectly_faster_per_image_part():
    engine_fp32 = StepCost(fixed=12.0, per_image=0.75)
    # bf16 twice as fast per image at best: 48 ms of per-image work becomes 24, plus 10 fixed.
    assert ceiling_ratio(68.0, engine_fp32, engine_low_fixed=10.0, peak_ratio=2.0) == pytest.approx(68.0 / 34.0)
    assert BATCH * engine_fp32.per_image == pytest.approx(48.0)


def test_train_speed_prints_its_table_and_the_ceiling_line():
    result = subprocess.run(
        [
            sys.executable, str(BENCH / "train_speed.py"), "--models", "preset", "--resolutions", "16",
            "--rounds", "1", "--steps", "2", "--warmup", "1", "--images", "64", "--no-compile",
        ],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    row = re.search(r"^\s+16\s+(\d+)\s+(\d+)\s+(\d+)", out, re.MULTILINE)
    assert row, out  # the 16 px row: plain, engine fp32, fp32+CL images/s
    assert all(int(v) > 0 for v in row.groups())
    if "CPU bf16 instructions: True" in out:  # the ceiling compares against bf16: only where it exists
        costs = re.search(r"ms a step = fixed \+ per image x batch: plain [-\d.]+ \+ [-\d.]+ x 64, .*bf16\+CL", out)
        # A number where the two batch sizes' timings could be split; on a busy machine (CI beside
        # other work) they can cross, and the script says so instead of printing a negative ceiling.
        assert costs and re.search(r"ceiling: (\d+\.\d\dx|unknown: the timings were too noisy)", out), out
        assert not re.search(r"ceiling: -", out), out
    assert re.search(r"peak \(channels-last 3x3 conv, 256 ch\): fp32 [\d,]+ GFLOP/s", out), out
