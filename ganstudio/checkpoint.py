"""Checkpoint files: versioned plain dicts of tensors and primitives.

Written to a temporary file beside the target and renamed into place, so a crash or a
power cut leaves either the old file or the new one, never half of one. Read with
`torch.load(weights_only=True)`, so a file from a stranger cannot run code on load.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import shutil
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganstudio.atomic import replace_atomically
from ganstudio.config import ConfigError, RunConfig

FORMAT_NAME = "ganstudio.checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint can't be used; the message says why in one line."""


class DamagedCheckpointError(CheckpointError):
    """A file that should be one of our checkpoints can't be read whole (cut short, damaged
    on disk or in a copy): an older checkpoint of the same run may stand in for it."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Atomically write `payload` (plus the format header) to `path`."""
    path = Path(path)
    data = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **payload}
    replace_atomically(path, lambda tmp: _save(data, tmp))
    return path


def _save(data: dict[str, Any], tmp: Path) -> None:
    """torch.save, with a failed write reported as the OSError it is: torch reports a full disk as
    "RuntimeError: [enforce fail at inline_container.cc] unexpected pos", which callers that
    keep training through a failed save (OSError) would not catch."""
    try:
        torch.save(data, tmp)
    except RuntimeError as exc:
        if "inline_container" not in str(exc) and "write" not in str(exc).lower():
            raise
        try:
            free = shutil.disk_usage(tmp.parent).free
        except OSError:
            free = None
        if free is not None and free < 1 << 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from None
        raise OSError(errno.EIO, f"the checkpoint could not be written ({str(exc).splitlines()[0][:120]})") from None


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and check a checkpoint; every failure becomes a one-line CheckpointError."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"'{path}' is a folder, not a checkpoint file.")
    if path.exists() and not path.is_file():  # a pipe or a device: opening it could wait for ever
        raise CheckpointError(f"'{path}' is not a regular file, so it is not a checkpoint.")
    if path.suffix.lower() == ".safetensors" and path.is_file():
        from ganstudio.share import read_safetensors

        return read_safetensors(path)
    _check_declared_size(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "pickle protocol 4": a foreign file, handled below
            data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"No checkpoint at '{path}'.") from None
    except PermissionError:
        raise CheckpointError(f"Cannot read '{path}': permission denied.") from None
    except pickle.UnpicklingError:
        # weights_only refused an object that is not plain data: it might run code.
        raise CheckpointError(
            f"Refused to open '{path}': it contains program objects, not just weights "
            "(a file like this could run code on your computer)."
        ) from None
    except Exception as exc:  # anything else a malformed file makes the unpickler raise
        raise DamagedCheckpointError(f"'{path}' is not a readable checkpoint ({_short(exc)}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise CheckpointError(f"'{path}' is not a GAN Studio checkpoint (it was made by another program).")
    version = data.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"'{path}' was written by a newer GAN Studio (format {version}); please update GAN Studio."
        )
    for key in ("config", "step", "G_ema"):
        if key not in data:
            raise DamagedCheckpointError(f"'{path}' is incomplete: it has no '{key}'.")
    return data


def _check_declared_size(path: Path) -> None:
    """Refuse, before torch reads it, a checkpoint whose records would unpack to far more than
    the file holds. torch writes its records uncompressed, so a checkpoint is never much smaller
    than its data; a crafted one with deflated records of zeros (5.7 MB declaring 4 GB) made
    torch.load take that memory for 16 s before it failed. An older, non-zip file is left to torch."""
    try:
        with zipfile.ZipFile(path) as archive:
            records = archive.infolist()
        size = path.stat().st_size
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    declared = sum(info.file_size for info in records)
    packed = any(info.compress_type != zipfile.ZIP_STORED for info in records)
    if packed or declared > 2 * size + (1 << 20):
        raise CheckpointError(
            f"Refused to open '{path}': it declares {declared / 1e6:,.0f} MB of data in a {size / 1e6:,.1f} MB file, "
            "which no checkpoint written by PyTorch does (its data is never compressed)."
        )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def resolve_checkpoint_path(target: str | Path, prefer: str = "latest") -> Path:
    """A run folder or a checkpoint file -> the checkpoint file to open."""
    target = Path(target)
    if target.is_dir():
        from ganstudio.runs.folder import RunFolder

        candidates = RunFolder(target).checkpoint_candidates(prefer)
        if candidates:
            return candidates[0]
        raise CheckpointError(f"The run folder '{target}' has no checkpoints yet.")
    if not target.exists():
        raise CheckpointError(f"No run folder or checkpoint at '{target}'.")
    if not target.is_file():  # a pipe or a device (a shared recipe may name one): reading it could wait for ever
        raise CheckpointError(f"'{target}' is not a regular file, so it is not a checkpoint.")
    return target


def generator_fingerprint(state_dict: dict[str, torch.Tensor]) -> str:
    """A short, stable identity for a generator's weights (names, shapes and values).

    Saved artwork records it, so reopening a piece can tell whether the model it came
    from is the same one that is loaded now.
    """
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if not torch.is_tensor(tensor):
            continue
        tensor = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()[:16]


def load_weights(net: nn.Module, state: Any, failure: str) -> None:
    """`net.load_state_dict(state)`, or a CheckpointError: `failure`, then torch's first line."""
    try:
        net.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{failure}: {(str(exc).splitlines() or [type(exc).__name__])[0][:160]}") from None


@dataclass(frozen=True)
class LoadedGenerator:
    """An EMA generator rebuilt from a checkpoint, in eval mode on the CPU."""

    generator: nn.Module
    config: RunConfig
    step: int
    path: Path
    fingerprint: str
    why: str = ""  # for a run's best.pt: why its generator is the one pictures come from


def load_generator(target: str | Path, prefer: str = "latest") -> LoadedGenerator:
    """Run folder or checkpoint file -> its EMA generator, rebuilt from the stored config."""
    from ganstudio.models import build_generator  # models pull in more of torch: import when needed

    path = resolve_checkpoint_path(target, prefer)
    data = load_checkpoint(path)
    try:
        config = RunConfig.from_dict(data["config"])
        channels = config.channels
    except ConfigError as exc:
        raise CheckpointError(f"'{path}' has settings this version can't use: {exc}") from None
    m = config.model
    generator = build_generator(
        m.arch, resolution=config.data.resolution, channels=channels, z_dim=m.z_dim, width=m.width
    )
    state = data["G_ema"]
    if not isinstance(state, dict):
        raise CheckpointError(f"'{path}' has no usable generator weights.")
    load_weights(generator, state, f"The generator in '{path}' does not match its settings (shapes differ)")
    generator.eval().requires_grad_(False)
    return LoadedGenerator(generator, config, int(data["step"]), path, generator_fingerprint(state))


def save_generator_only(source: str | Path, destination: str | Path, prefer: str = "best") -> Path:
    """Write a small checkpoint holding only what rendering needs (settings and the EMA generator).

    For sharing a model or shipping one with the app: no discriminator, optimisers or RNG
    state, so it is a fraction of the size and cannot be resumed.
    """
    path = resolve_checkpoint_path(source, prefer)
    data = load_checkpoint(path)
    slim = {key: data[key] for key in ("app_version", "config", "step", "images_seen", "best_quality", "G_ema") if key in data}
    slim["generator_only"] = True
    return save_checkpoint(destination, slim)
