"""Which device to train on, how to describe it, and which number format suits it.

Nothing here asserts a GPU: every query degrades to the CPU.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass

import torch


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
    """True when oneDNN has native bf16 kernels (AVX-512 BF16 / AMX), where bf16 autocast pays off."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class Precision:
    """How the training step computes: autocast dtype (None = fp32) and whether a grad scaler is needed."""

    name: str  # "fp32", "bf16" or "fp16"
    autocast_dtype: torch.dtype | None
    needs_grad_scaler: bool


_PRECISIONS = {
    "fp32": Precision("fp32", None, False),
    "bf16": Precision("bf16", torch.bfloat16, False),
    "fp16": Precision("fp16", torch.float16, True),
}


def resolve_precision(request: str, device: torch.device) -> Precision:
    """Turn 'auto' into what suits the device; fall back to fp32 where a format is unsupported.

    On the CPU bf16 autocast is chosen only where the CPU has native bf16 kernels: measured
    with tests/bench/train_speed.py (see README), elsewhere it is emulated and slower.
    """
    if request == "auto":
        if device.type == "cuda":
            request = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device.type == "cpu":
            request = "bf16" if cpu_supports_bf16() else "fp32"
        else:
            request = "fp32"
    if request == "fp16" and device.type != "cuda":
        request = "fp32"  # fp16 autocast without a GPU is slow and needs loss scaling: not worth it
    if request == "bf16" and device.type == "mps":
        request = "fp32"
    return _PRECISIONS[request]


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
