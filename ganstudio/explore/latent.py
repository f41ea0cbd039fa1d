"""Seeds to latent vectors, paths between them, and rendering to uint8 pixels.

Everything the explorer and the CLI need to turn "seed 1234, truncation 0.7"
into the same picture every time.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["z_from_seed", "z_batch_from_seeds", "truncate", "lerp", "slerp", "render", "to_uint8"]

_MAX_SEED = 2**64 - 1  # what torch.Generator.manual_seed accepts
# Below this sin(angle) the two vectors are (anti)parallel to float precision and
# the slerp weights sin(t*angle)/sin(angle) become 0/0: use lerp instead.
_PARALLEL_SIN = 1e-6


def z_from_seed(seed: int, z_dim: int) -> torch.Tensor:
    """(z_dim,) float32 standard normal drawn on the CPU from its own generator.

    Always drawn on the CPU, then moved by the caller, so a seed gives the same
    vector whatever device renders it (CUDA and CPU generators differ).  It uses
    a private generator, so the global RNG (and training reproducibility) is
    untouched.  PyTorch does not promise identical streams across its versions,
    which is why a saved recipe also stores the vector itself.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= int(seed) <= _MAX_SEED:
        raise ValueError(f"seed must be between 0 and 2**64 - 1, got {seed}")
    if isinstance(z_dim, bool) or not isinstance(z_dim, (int, np.integer)) or z_dim < 1:
        raise ValueError(f"z_dim must be a positive int, got {z_dim!r}")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(int(z_dim), generator=gen, dtype=torch.float32)


def z_batch_from_seeds(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """(N, z_dim): row i is exactly z_from_seed(seeds[i], z_dim)."""
    if isinstance(z_dim, bool) or not isinstance(z_dim, (int, np.integer)) or z_dim < 1:
        raise ValueError(f"z_dim must be a positive int, got {z_dim!r}")
    if len(seeds) == 0:
        return torch.empty(0, int(z_dim), dtype=torch.float32)
    return torch.stack([z_from_seed(s, z_dim) for s in seeds])


def truncate(z: torch.Tensor, psi: float, center: torch.Tensor | None = None) -> torch.Tensor:
    """The truncation trick: center + psi * (z - center).

    psi = 1 leaves z alone, psi = 0 gives the centre (the "average" picture),
    values in between trade variety for typicality.  `center` defaults to zeros,
    the mean of the N(0, I) prior; pass e.g. the mean of many mapped latents for
    a generator with a mapping network.  Broadcasts over a batch.
    """
    psi = float(psi)
    if not np.isfinite(psi):
        raise ValueError(f"psi must be finite, got {psi}")
    if center is None:
        return z * psi
    center = center.to(device=z.device, dtype=z.dtype)
    return center + psi * (z - center)


def _weights(t, like: torch.Tensor) -> torch.Tensor:
    """t as a tensor that broadcasts against vectors on the last dim.

    A float gives one point; a tensor of shape (...) gives one point per entry,
    e.g. lerp(a, b, torch.linspace(0, 1, 8)) is an (8, z_dim) path.
    """
    t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    return t.unsqueeze(-1) if t.ndim > 0 else t


def lerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Straight-line interpolation; t=0 gives a and t=1 gives b exactly.

    Written as (1 - t) * a + t * b rather than a + t * (b - a), because the
    latter does not return b exactly at t = 1 in floating point.
    """
    t = _weights(t, a)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation along the last dim; endpoints exact, batched.

    For vectors of equal length every point keeps that length, which keeps
    samples from a Gaussian prior "typical" (lerp dips towards the centre and
    gives washed-out midpoints).  Falls back to lerp where a and b are parallel
    or antiparallel (the great circle is undefined there) or either is zero.
    """
    t = _weights(t, a)
    a, b = torch.broadcast_tensors(a, b)
    na = a.norm(dim=-1, keepdim=True)
    nb = b.norm(dim=-1, keepdim=True)
    ua = a / na.clamp_min(torch.finfo(a.dtype).tiny)
    ub = b / nb.clamp_min(torch.finfo(b.dtype).tiny)
    # The angle via atan2 of chord lengths is accurate near 0 and near pi, where
    # acos(dot) loses half its digits.
    omega = 2 * torch.atan2((ua - ub).norm(dim=-1, keepdim=True), (ua + ub).norm(dim=-1, keepdim=True))
    sin_omega = torch.sin(omega)
    degenerate = (sin_omega.abs() < _PARALLEL_SIN) | (na == 0) | (nb == 0)
    safe = torch.where(degenerate, torch.ones_like(sin_omega), sin_omega)
    # x / x == 1 exactly and sin(0 * w) == 0, so t = 0 and t = 1 return a and b exactly.
    wa = torch.sin((1 - t) * omega) / safe
    wb = torch.sin(t * omega) / safe
    spherical = wa * a + wb * b
    return torch.where(degenerate, (1 - t) * a + t * b, spherical)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) float in [-1, 1] to contiguous uint8 (N, H, W, C).

    value = floor((x + 1) * 127.5 + 0.5), clamped to 0..255: round half up, so
    -1 -> 0, 0 -> 128, 1 -> 255 (the same as StyleGAN's x * 127.5 + 128 then
    truncation).  NaN becomes 128 and +-inf the extremes, so a diverged
    generator shows as flat grey rather than crashing the view.  The conversion
    happens on the images' device; only uint8 crosses to the CPU.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError("images must be a (N, C, H, W) tensor")
    x = images.detach().float()
    x = torch.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    x = torch.floor((x + 1.0) * 127.5 + 0.5).clamp_(0, 255).to(torch.uint8)
    return np.ascontiguousarray(x.permute(0, 2, 3, 1).cpu().numpy())


def _module_device_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in module.parameters():
        if p.is_floating_point():
            return p.device, p.dtype
    for buf in module.buffers():
        if buf.is_floating_point():
            return buf.device, buf.dtype
    return torch.device("cpu"), torch.float32


@torch.no_grad()
def render(generator: nn.Module, z: torch.Tensor, *, device=None, batch_size: int = 64) -> np.ndarray:
    """Run the generator on z (N, z_dim) and return uint8 (N, H, W, C), contiguous.

    Runs in eval mode and puts every submodule back in the mode it was in.  z is
    moved to the generator's device and dtype (or to `device`, which is where the
    batches run; the generator itself is never moved).  Batched so a big N does
    not need the memory of N activations at once.  It flips the module's modes,
    so give it a generator no other thread is using (the app renders from a
    detached eval copy, never from the one being trained).
    """
    if not isinstance(z, torch.Tensor) or z.ndim != 2:
        raise ValueError("z must be a (N, z_dim) tensor")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    batch_size = int(batch_size)
    run_device, dtype = _module_device_dtype(generator)
    if device is not None:
        run_device = torch.device(device)

    # Remember each submodule's own flag: train(True) on the root would also flip
    # submodules someone deliberately froze in eval mode (e.g. a fixed BatchNorm).
    modes = [(m, m.training) for m in generator.modules()]
    generator.eval()
    try:
        out: np.ndarray | None = None
        for start in range(0, z.shape[0], batch_size):
            chunk = z[start : start + batch_size].to(device=run_device, dtype=dtype)
            pixels = to_uint8(generator(chunk))
            if out is None:
                # Fill a preallocated array rather than concatenating at the end:
                # peak memory is one copy of the result.
                out = np.empty((z.shape[0],) + pixels.shape[1:], dtype=np.uint8)
            out[start : start + len(pixels)] = pixels
    finally:
        for m, was_training in modes:
            m.training = was_training
    if out is None:
        raise ValueError("z is empty: nothing to render")
    return out


def prepare_generator(generator: nn.Module) -> nn.Module:
    """Eval mode, no gradients, on the CPU: what a render copy must be (returns it)."""
    generator = generator.to("cpu")
    generator.eval()
    generator.requires_grad_(False)
    return generator
