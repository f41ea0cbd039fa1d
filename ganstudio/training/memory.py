"""Will a training batch fit in memory? Estimated before the first step, on the CPU.

A GPU that runs out of memory raises an error the trainer catches (it halves the batch and
carries on); a computer that runs out of memory swaps until it crawls, or the system kills
the app, a run's unsaved minutes with it. So on the CPU the batch is sized up front.

The estimate counts the numbers each layer outputs for one image (one forward pass at batch
1 with hooks: milliseconds), and scales them by what a training step holds per image: the
generator's outputs, the discriminator's for real and fake images, what backward keeps and
makes (STEP_FACTOR, measured: tests/bench/batch_memory.py), in the training number format.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

# What a step holds per activation number of one image, in units of the number format's size:
# saved inputs of each layer for backward, their gradients, the framework's temporaries.
# Measured (tests/bench/batch_memory.py, bf16 on a 2-core AVX-512 BF16 CPU, batches 256 and
# 512): 1.1 for the residual networks, 0.8–0.9 for DCGAN; 1.5 keeps a margin above both.
STEP_FACTOR = 1.5
SHARE_OF_FREE = 0.6  # leave the rest to the app, the system and the artist's other programs
MIN_BATCH = 8


def activation_numbers(module: nn.Module, example: torch.Tensor) -> int:
    """How many numbers the leaf layers of `module` output for `example` (a batch of one)."""
    total = 0

    def count(_module, _inputs, output) -> None:
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel()

    leaves = [m for m in module.modules() if not list(m.children())]
    handles = [leaf.register_forward_hook(count) for leaf in leaves]
    was_training = module.training
    try:
        module.eval()  # batch norm must not learn from this probe
        with torch.no_grad():
            module(example)
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def bytes_per_image(G: nn.Module, D: nn.Module, *, z_dim: int, resolution: int, channels: int,
                    element_bytes: int = 4) -> int:
    """`element_bytes`: 2 where the step computes in bf16 or fp16, 4 in fp32."""
    device = next(G.parameters()).device
    g = activation_numbers(G, torch.zeros(1, z_dim, device=device))
    d = activation_numbers(D, torch.zeros(1, channels, resolution, resolution, device=device))
    return int((g + 2 * d) * element_bytes * STEP_FACTOR)


def available_memory() -> int | None:
    """Bytes this process can still take: the system's free memory, or a container's limit if
    lower. None where the system does not say (the check is then skipped)."""
    free = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError):
        free = None
    if free is None and hasattr(os, "sysconf"):
        try:  # other Unixes: free pages (macOS has no such name; the check is skipped there)
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            free = None
    limit = _cgroup_room()
    if limit is not None:
        free = limit if free is None else min(free, limit)
    return free


def _cgroup_room() -> int | None:
    """Room left under this process's memory limit in a container or a cgroup (v1 or v2), or
    None where there is no limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            base, limit_name, used_name = Path("/sys/fs/cgroup"), "memory.max", "memory.current"
        elif "memory" in controllers.split(","):
            base, limit_name, used_name = Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        # Inside a container the cgroup folder may be mounted as the root itself.
        for folder in (base / path.lstrip("/"), base):
            try:
                limit = (folder / limit_name).read_text().strip()
                used = int((folder / used_name).read_text().strip())
            except (OSError, ValueError):
                continue
            if limit != "max" and int(limit) < 1 << 60:  # v1 writes "no limit" as a huge number
                rooms.append(max(0, int(limit) - used))
            break
    return min(rooms) if rooms else None


def batch_that_fits(batch: int, per_image: int, free: int | None) -> int:
    """The largest of batch, batch/2, batch/4 … (not under MIN_BATCH, or `batch` itself if smaller)
    whose step fits in SHARE_OF_FREE of `free`; `batch` unchanged where `free` is unknown."""
    if free is None or per_image <= 0:
        return batch
    budget = free * SHARE_OF_FREE
    while batch > MIN_BATCH and batch * per_image > budget:
        batch = max(MIN_BATCH, batch // 2)
    return batch


def gigabytes(n: float) -> str:
    return f"{n / 1024**3:.1f} GB"
