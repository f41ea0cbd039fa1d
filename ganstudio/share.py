"""A trained generator in the formats other tools read.

- `.pt` (ours): settings and the averaged generator, opened by the app and `generate`.
- `.safetensors`: the averaged generator's weights as plain tensors (no pickle, so no code can
  hide in it), with the run's settings as JSON in the file's metadata; the app, `generate`
  and `info` open it like a `.pt`.
- `.onnx`: the generator as a graph for realtime tools (TouchDesigner, Unity, the web):
  input `z`, float32 (batch, z_dim), standard normal noise; output `image`, float32
  (batch, channels, H, W), RGB or gray in 0..1. The batch axis is dynamic.

Both foreign formats are optional extras (`pip install safetensors onnx onnxruntime`);
each says so in one line when its package is missing.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from ganstudio.atomic import replace_atomically
from ganstudio.checkpoint import (
    FORMAT_NAME,
    FORMAT_VERSION,
    CheckpointError,
    generator_fingerprint,
    load_checkpoint,
    load_generator,
    resolve_checkpoint_path,
)

SAFETENSORS_FORMAT = "ganstudio.generator"
MAX_METADATA = 1 << 20  # a config is a few kB; a hostile header must not make us parse megabytes
FORMATS = ("pt", "safetensors", "onnx")


class MissingPackage(RuntimeError):
    """An optional package is not installed; the message says what to install."""


def format_of(path: str | Path, asked: str | None = None) -> str:
    """The format to write: the one asked for, else the file name's ending, else ours."""
    if asked:
        return asked
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "pt"


# ---------------------------------------------------------------------------- safetensors
def write_safetensors(source: str | Path, destination: str | Path, prefer: str = "best") -> Path:
    try:
        from safetensors.torch import save_file
    except ImportError:
        raise MissingPackage("Writing .safetensors needs the safetensors package: pip install safetensors") from None
    data = load_checkpoint(resolve_checkpoint_path(source, prefer))
    state = {name: tensor.detach().to("cpu").contiguous() for name, tensor in data["G_ema"].items()}
    metadata = {
        "format": SAFETENSORS_FORMAT,
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(data["config"]),
        "step": str(int(data.get("step", 0))),
        "app_version": str(data.get("app_version", "")),
        "fingerprint": generator_fingerprint(state),
    }
    def write(tmp: Path) -> None:
        save_file(state, str(tmp), metadata=metadata)
        _readable_like_any_new_file(tmp)

    return replace_atomically(destination, write)


def _readable_like_any_new_file(path: Path) -> None:
    """safetensors creates its file owner-only (0600); a file made to share gets the user's usual
    permissions (0666 less the umask), like every other file we write."""
    import os

    probe = path.with_name(path.name + ".mode")  # a new file shows the umask (os.umask would change it for every thread)
    probe.touch()
    try:
        os.chmod(path, probe.stat().st_mode & 0o777)
    finally:
        probe.unlink()


def read_safetensors(path: Path) -> dict:
    """A .safetensors written by `write_safetensors`, as the dict a generator-only checkpoint
    holds; a CheckpointError in words for anything else."""
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError:
        raise CheckpointError(f"Opening '{path.name}' needs the safetensors package: pip install safetensors") from None
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != SAFETENSORS_FORMAT:
                raise CheckpointError(f"'{path}' holds weights, but not a GAN Studio generator with its settings.")
            if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA:
                raise CheckpointError(f"'{path}' has implausibly large metadata; refused.")
            version = metadata.get("format_version", "")
            if not version.isdigit() or int(version) > FORMAT_VERSION:
                raise CheckpointError(f"'{path}' was written by a newer GAN Studio; please update GAN Studio.")
            state = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"'{path}' is not a readable .safetensors file ({str(exc).splitlines()[0][:160]}).") from None
    try:
        config = json.loads(metadata["config"])
        step = int(metadata.get("step", "0"))
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"'{path}' has damaged settings in its metadata ({exc}).") from None
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "config": config, "step": step, "G_ema": state,
            "app_version": metadata.get("app_version", ""), "generator_only": True}


# ---------------------------------------------------------------------------- ONNX
class _ToUnitRange(torch.nn.Module):
    """The generator with its tanh output moved to 0..1, the range image tools expect."""

    def __init__(self, generator: torch.nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.generator(z) * 0.5 + 0.5).clamp(0.0, 1.0)


def write_onnx(source: str | Path, destination: str | Path, prefer: str = "best") -> Path:
    loaded = load_generator(source, prefer=prefer)
    model = _ToUnitRange(loaded.generator).eval()
    example = torch.randn(2, loaded.generator.z_dim)

    def export(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                model, (example,), str(tmp), input_names=["z"], output_names=["image"],
                dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}}, opset_version=17, dynamo=False,
            )
        _add_onnx_metadata(tmp, loaded)

    return replace_atomically(destination, export)


def _add_onnx_metadata(path: Path, loaded) -> None:
    """What the model is, for the tool that opens it (needs the onnx package; skipped without it)."""
    try:
        import onnx
    except ImportError:
        return
    model = onnx.load(str(path))
    c = loaded.config
    fields = {
        "producer": "GAN Studio", "z_dim": str(loaded.generator.z_dim), "resolution": str(c.data.resolution),
        "channels": str(c.channels), "output": "image in 0..1, (batch, channels, height, width)",
        "input": "z: standard normal noise, (batch, z_dim)", "step": str(loaded.step),
        "fingerprint": loaded.fingerprint, "config": c.to_json(),
    }
    for key, value in fields.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
