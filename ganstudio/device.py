"""Which device to train on, how to describe it, and which number format suits it.

Nothing here asserts a GPU: every query degrades to the CPU.
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from ganstudio.timing import best_seconds_taking_turns


class DeviceError(ValueError):
    """The requested device is not available on this machine."""


def pick_device(request: str = "auto") -> torch.device:
    """'auto' prefers CUDA, then Apple MPS, then the CPU; an explicit request must exist."""
    if request == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if request == "cuda" and not torch.cuda.is_available():
        raise DeviceError("CUDA was requested but no NVIDIA GPU is usable here; try --device cpu.")
    if request == "mps" and not _mps_available():
        raise DeviceError("Apple MPS was requested but is not available here; try --device cpu.")
    if request not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"Unknown device '{request}'; choose from auto, cpu, cuda, mps.")
    return torch.device(request)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def describe_device(device: torch.device) -> str:
    """A short name for the status bar and logs: 'NVIDIA RTX 4090', 'Apple MPS', 'CPU (2 threads)'."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.cuda.get_device_name(index)
    if device.type == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


def cpu_supports_bf16() -> bool:
    """True when the CPU has the instructions for oneDNN's native bf16 kernels (AVX-512 BF16 / AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


# bf16 must beat fp32 by this much in the probe to be chosen. Seen in the probe: 7-9x with
# AMX, 0.65-0.8x with oneDNN held to AVX-512 BF16 on that Intel host, 0.22x with AVX-512
# alone (ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16 / AVX512_CORE), where a whole training step
# in bf16 ran at 0.4x of fp32. An AMD EPYC with AVX-512 BF16 alone reads 1.8-1.9x (0.33x
# held to AVX512_CORE), and its bf16 step runs 1.3-1.7x fp32's: the bar stays below that.
BF16_MIN_SPEEDUP = 1.2


# Timings per format in the probe, the formats taking turns, on one thread. A busy machine
# (another program, the app loading images) makes some calls slow: on two threads a call
# waits whenever the other thread is put aside, and with both cores taken the probe once
# read 0.5x or 4.8x for a CPU whose bf16 is 1.9x fp32 (one time in three wrong). On one
# thread, a call of about a millisecond, the best of nine read 1.8-1.9x every time, quiet or
# busy, on a 2-core AMD EPYC with AVX-512 BF16.
PROBE_ROUNDS = 9


@functools.cache
def cpu_bf16_is_faster() -> bool:
    """True when bf16 convolutions run clearly faster than fp32 on this CPU: measured once.

    Having the instructions is not enough: a virtual machine may hide them from oneDNN,
    `ONEDNN_MAX_CPU_ISA` may hold it back, and then bf16 is emulated and slower. So a
    channels-last 3x3 convolution is timed in both formats (20-50 ms, once per process).
    """
    if not cpu_supports_bf16():
        return False
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        best = best_seconds_taking_turns(_probe_convolutions(), PROBE_ROUNDS)
    finally:
        torch.set_num_threads(threads)
    return best[torch.float32] >= BF16_MIN_SPEEDUP * best[torch.bfloat16]


def _probe_convolutions() -> dict[torch.dtype, Callable[[], object]]:
    """A 128-channel 3x3 convolution over 4 maps of 16x16 (0.3 GFLOP), in fp32 and in bf16."""
    generator = torch.Generator().manual_seed(0)  # leaves the global random stream alone
    x = torch.randn(4, 128, 16, 16, generator=generator).to(memory_format=torch.channels_last)
    w = torch.randn(128, 128, 3, 3, generator=generator).to(memory_format=torch.channels_last)

    def convolution(dtype: torch.dtype) -> Callable[[], object]:
        xd, wd = x.to(dtype), w.to(dtype)
        return lambda: torch.nn.functional.conv2d(xd, wd, padding=1)

    return {dtype: convolution(dtype) for dtype in (torch.float32, torch.bfloat16)}


@dataclass(frozen=True)
class Precision:
    """How the training step computes: autocast dtype (None = fp32) and whether a grad scaler is needed."""

    name: str  # "fp32", "bf16" or "fp16"
    autocast_dtype: torch.dtype | None
    needs_grad_scaler: bool
    why: str = ""  # where the choice differs from what was asked or might be expected, in plain words

    def describe(self) -> str:
        """'bf16', or 'fp32 (fp16 needs an NVIDIA GPU)' when there is a reason to give."""
        return f"{self.name} ({self.why})" if self.why else self.name


_PRECISIONS = {
    "fp32": Precision("fp32", None, False),
    "bf16": Precision("bf16", torch.bfloat16, False),
    "fp16": Precision("fp16", torch.float16, True),
}


def resolve_precision(request: str, device: torch.device) -> Precision:
    """Turn 'auto' into what suits the device; fall back to fp32 where a format is unsupported.

    On the CPU bf16 autocast is chosen only where the CPU has native bf16 kernels and they
    are measured faster than fp32 (`cpu_bf16_is_faster`): the training step then runs
    1.3-2.2x faster (tests/bench/train_speed.py, see README); elsewhere bf16 is emulated
    and slower.
    """
    why = ""
    if request == "auto":
        if device.type == "cuda":
            request = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device.type == "cpu":
            request = "bf16" if cpu_bf16_is_faster() else "fp32"
            if request == "fp32" and cpu_supports_bf16():
                why = "bf16 is emulated on this CPU and measured slower than fp32"
        else:
            request = "fp32"
    if request == "fp16" and device.type != "cuda":
        request = "fp32"  # fp16 autocast without a GPU is slow and needs loss scaling: not worth it
        why = "fp16 needs an NVIDIA GPU"
    if request == "bf16" and device.type == "mps":
        request = "fp32"
        why = "bf16 is not supported on Apple MPS"
    return replace(_PRECISIONS[request], why=why)


def compile_unavailable_reason(device: torch.device) -> str | None:
    """Why `torch.compile` cannot run here, in plain words; None when it can.

    Inductor builds C++ kernels for the CPU (it needs a C++ compiler) and Triton kernels
    for NVIDIA GPUs (it needs the triton package); Apple MPS support is experimental.
    """
    try:
        import torch._dynamo as dynamo

        if not dynamo.is_dynamo_supported():
            return "this Python version is not supported by torch.compile"
    except Exception:  # an unusual torch build without the compiler stack
        return "this PyTorch build has no compiler"
    if device.type == "mps":
        return "torch.compile is experimental on Apple MPS"
    if device.type == "cuda" and importlib.util.find_spec("triton") is None:
        return "the 'triton' package is not installed"
    if device.type == "cpu" and not any(shutil.which(cxx) for cxx in ("g++", "c++", "clang++")):
        return "no C++ compiler was found (install g++ or clang)"
    return None
