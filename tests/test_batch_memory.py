"""On the CPU a batch that does not fit in memory is made smaller before the first step (a
computer out of memory swaps or kills the app; it raises nothing the trainer could catch)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tiny_runs import tiny_config
from ganstudio.training.memory import SHARE_OF_FREE, bytes_per_image
from ganstudio.training.report import EventKind, TrainingError
from ganstudio.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]


def _per_image(trainer: Trainer) -> int:
    c = trainer.config
    return bytes_per_image(trainer.G, trainer.D, z_dim=c.model.z_dim, resolution=c.data.resolution,
                           channels=c.channels, element_bytes=4 if trainer.precision.autocast_dtype is None else 2)


def test_a_batch_too_large_for_the_free_memory_is_halved_with_a_plain_message(tiny_images, tmp_path):
    trainer = Trainer(tiny_config(train__batch=64, train__steps=2), tiny_images, tmp_path / "run", device="cpu")
    per_image = _per_image(trainer)
    assert per_image > 0
    trainer._fit_batch_to_memory(free=int(per_image * 20 / SHARE_OF_FREE))  # room for 20 images a step
    assert trainer.batch == 16  # 64 -> 32 -> 16: the largest halving that fits
    reports = list(trainer.run())
    events = [e for r in reports for e in r.events if e.kind is EventKind.BATCH_HALVED]
    assert len(events) == 1 and "64 images per step" in events[0].text and "training with 16 images per step" in events[0].text
    assert reports[-1].step == 2  # and it trains


def test_enough_memory_changes_nothing_and_too_little_is_refused_in_words(tiny_images, tmp_path):
    trainer = Trainer(tiny_config(train__batch=32), tiny_images, tmp_path / "a", device="cpu")
    trainer._fit_batch_to_memory(free=10**15)
    assert trainer.batch == 32
    with pytest.raises(TrainingError, match=r"needs about .* of memory even at 8 images per step"):
        trainer._fit_batch_to_memory(free=_per_image(trainer))  # not even 8 images' worth


def _memory_cgroup(limit: int) -> Path | None:
    """A child memory cgroup (v1 or v2) with `limit` bytes, where this machine lets us make one."""
    name = f"ganstudio-test-{uuid.uuid4().hex[:8]}"
    for base, limit_file in ((Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"), (Path("/sys/fs/cgroup"), "memory.max")):
        if not (base / limit_file).exists() and not (base / "cgroup.procs").exists():
            continue
        try:
            group = base / name
            group.mkdir()
            (group / limit_file).write_text(str(limit))
            return group
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


@pytest.mark.slow
def test_a_real_memory_limit_shrinks_the_batch_and_the_run_survives(tmp_path):
    """`ganstudio train` inside a cgroup of 3 GB asks for 512 images of 128 px a step with the
    residual networks (about 16 GB): it trains at a batch that fits instead of being killed."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("needs Linux and root to make a memory cgroup")
    group = _memory_cgroup(3 * 1024**3)
    if group is None:
        pytest.skip("this machine does not let us make a memory cgroup")
    try:
        command = [sys.executable, "-m", "ganstudio", "train", "--data", "demo:landscapes:48", "--resolution", "128",
                   "--preset", "balanced", "--batch", "512", "--steps", "2", "--device", "cpu",
                   "--out", str(tmp_path / "run"), "--set", "schedule.metric_images=16"]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=600,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
        )
    finally:
        group.rmdir()
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # -9 would be the kernel's OOM killer
    said = done.stdout + done.stderr
    assert "512 images per step at 128 px would need about" in said and "training with" in said, said[-2000:]
    assert "Finished at step 2" in said
