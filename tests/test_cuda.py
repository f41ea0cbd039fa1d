"""Training on an NVIDIA GPU, as a user of `ganstudio train --device cuda` gets it.

Skipped without CUDA (CI has no GPU); tests/bench/gpu_session.sh runs them on the GPU
machine that some sessions are lent. The CPU fallbacks of the same code paths (fp16
asked for without a GPU, a missing compiler) are tested in test_device.py and
test_compile.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tiny_runs import tiny_config
from ganstudio.checkpoint import load_generator
from ganstudio.training.trainer import Trainer
from ganstudio.explore.latent import render, z_batch_from_seeds

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")


def _no_waiting_for_the_gpu(trainer: Trainer, steps: int) -> None:
    """Run steps with CUDA's sync check set to fail on any call that waits for the GPU."""
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(steps):
            trainer.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("precision", ["auto", "fp16", "fp32"])
@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_a_training_step_never_waits_for_the_gpu(tiny_images, precision, arch):
    config = tiny_config(train__precision=precision, model__arch=arch, train__channels_last=True)
    trainer = Trainer(config, tiny_images, None, device="cuda")
    assert trainer.precision.name == {"auto": "bf16" if torch.cuda.is_bf16_supported() else "fp16"}.get(precision, precision)
    assert trainer.precision.needs_grad_scaler == (trainer.precision.name == "fp16")
    for _ in range(3):  # the first steps pick cuDNN kernels and may allocate
        trainer.step()
    _no_waiting_for_the_gpu(trainer, 5)  # raises RuntimeError at the first op that synchronises
    stats = torch.stack(trainer._stats).float().cpu().numpy()
    assert stats.shape == (8, 4) and np.isfinite(stats).all()


def test_augmented_and_joint_batch_steps_never_wait_for_the_gpu(tiny_images):
    config = tiny_config(augment__policy="color,translation,cutout", augment__probability=1.0, loss__joint_batch=True)
    trainer = Trainer(config, tiny_images, None, device="cuda")
    for _ in range(3):
        trainer.step()
    _no_waiting_for_the_gpu(trainer, 4)


def test_a_gpu_run_opens_on_a_cpu_with_the_same_pictures(tiny_images, tmp_path):
    config = tiny_config(train__precision="auto")
    trainer = Trainer(config, tiny_images, tmp_path / "run", device="cuda")
    reports = list(trainer.run())
    assert reports[-1].state == "finished" and reports[-1].step == 12
    assert reports[-1].sample_grid is not None and reports[-1].sample_grid.std() > 1

    z = z_batch_from_seeds(range(6), config.model.z_dim)
    on_gpu = render(trainer.ema_generator(), z)
    loaded = load_generator(tmp_path / "run")  # as the app and `ganstudio generate` open it: on the CPU
    assert next(loaded.generator.parameters()).device.type == "cpu"
    on_cpu = render(loaded.generator, z)
    # The same weights on another device: fp32 rounding only, a grey level here and there.
    assert on_cpu.shape == on_gpu.shape == (6, 16, 16, 3)
    assert np.abs(on_cpu.astype(int) - on_gpu.astype(int)).max() <= 2


def test_compiled_training_on_the_gpu_matches_the_settings(tiny_images, stop_compile_workers):
    from ganstudio.device import compile_unavailable_reason

    reason = compile_unavailable_reason(torch.device("cuda"))
    if reason:
        pytest.skip(reason)
    config = tiny_config(train__compile=True, train__precision="auto", train__steps=6, schedule__tick_steps=3)
    trainer = Trainer(config, tiny_images, None, device="cuda")
    reports = list(trainer.run())
    assert reports[-1].state == "finished" and reports[-1].step == 6
    assert trainer.compiled  # compiled, not silently fallen back to plain training
    assert all(np.isfinite(r.d_loss).all() for r in reports)
