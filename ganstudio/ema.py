"""Exponential moving average of the generator's weights: what samples and exports use.

The averaged generator is much smoother than the one being trained (Karras et al.,
Progressive GAN / StyleGAN): single updates jitter, the average does not.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema_copy(generator: nn.Module) -> nn.Module:
    """A frozen, detached copy that only ever changes through `update_ema`."""
    ema = copy.deepcopy(generator).eval()
    ema.requires_grad_(False)
    return ema


def ema_beta(batch: int, images_seen: int, half_life_images: float, rampup: float) -> float:
    """Per-step decay for a half-life measured in images.

    With `rampup`, the half-life is capped at a fraction of the images seen so far, so the
    average does not drag the first random weights along for the whole early run.
    """
    half_life = half_life_images
    if rampup > 0:
        half_life = min(half_life, images_seen * rampup)
    if half_life <= 0:
        return 0.0
    return 0.5 ** (batch / half_life)


@torch.no_grad()
def update_ema(ema: nn.Module, generator: nn.Module, beta: float) -> None:
    """ema = beta * ema + (1 - beta) * generator, for every weight; buffers (BN stats) are copied."""
    ema_params = [p for p in ema.parameters()]
    params = [p.detach() for p in generator.parameters()]
    if beta <= 0.0:
        torch._foreach_copy_(ema_params, params)
    else:
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for ema_buffer, buffer in zip(ema.buffers(), generator.buffers()):
        ema_buffer.copy_(buffer)
