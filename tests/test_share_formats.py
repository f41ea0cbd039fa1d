"""`export-model` to .safetensors and .onnx: what another tool reads is the same generator."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from tiny_runs import tiny_config
from ganstudio.checkpoint import CheckpointError, load_checkpoint, load_generator
from ganstudio.cli.main import main
from ganstudio.models import ARCHITECTURES

safetensors = pytest.importorskip("safetensors")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny real run per architecture (and one grayscale), each trained a few steps."""
    root = tmp_path_factory.mktemp("share")
    made = {}
    for arch in ARCHITECTURES:
        for color in ("rgb", "gray"):
            if color == "gray" and arch != "dcgan":
                continue
            name = f"{arch}-{color}"
            config = tiny_config(train__steps=2, model__arch=arch, data__color=color)
            (root / f"{name}.json").write_text(config.to_json())
            assert main(["train", "--config", str(root / f"{name}.json"), "--out", str(root / name), "--quiet"]) == 0
            made[name] = root / name
    return made


def _pixels(path):
    with Image.open(path) as image:
        return np.asarray(image)


def test_safetensors_round_trip_renders_the_same_pictures(runs, tmp_path):
    run = runs["dcgan-rgb"]
    out = tmp_path / "model.safetensors"
    assert main(["export-model", str(run), "--out", str(out)]) == 0
    from safetensors import safe_open

    with safe_open(str(out), framework="pt") as handle:  # what another tool sees: tensors and metadata
        meta = handle.metadata()
        names = set(handle.keys())
    assert meta["format"] == "ganstudio.generator" and json.loads(meta["config"])["model"]["arch"] == "dcgan"
    assert names == set(load_checkpoint(run / "checkpoints" / "best.pt")["G_ema"])
    assert out.stat().st_mode & 0o044  # readable by others, like any file made to share
    # Back in GAN Studio: generate, info and the explorer's loader open it like a .pt.
    assert main(["generate", str(run), "--n", "3", "--out", str(tmp_path / "a")]) == 0
    assert main(["generate", str(out), "--n", "3", "--out", str(tmp_path / "b")]) == 0
    for i in range(3):
        name = f"seed-{i:06d}.png"
        assert np.array_equal(_pixels(tmp_path / "a" / name), _pixels(tmp_path / "b" / name))
    assert load_generator(out).fingerprint == load_generator(run, prefer="best").fingerprint
    assert main(["info", str(out)]) == 0


def test_a_foreign_or_damaged_safetensors_is_refused_in_words(tmp_path):
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a GAN Studio generator"):
        load_generator(foreign)
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="not a readable .safetensors"):
        load_generator(damaged)
    assert main(["generate", str(damaged), "--out", str(tmp_path / "x")]) == 3


@pytest.mark.parametrize("name", ["dcgan-rgb", "dcgan-gray", *[f"{a}-rgb" for a in ARCHITECTURES if a != "dcgan"]])
def test_onnx_runs_in_onnxruntime_with_any_batch_and_matches_torch(runs, tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    run = runs[name]
    out = tmp_path / "model.onnx"
    assert main(["export-model", str(run), "--out", str(out)]) == 0
    loaded = load_generator(run, prefer="best")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (z_input,) = session.get_inputs()
    assert z_input.name == "z" and z_input.shape[1] == loaded.generator.z_dim
    for batch in (1, 5):  # the batch axis is dynamic
        z = torch.randn(batch, loaded.generator.z_dim, generator=torch.Generator().manual_seed(batch))
        (image,) = session.run(None, {"z": z.numpy()})
        with torch.inference_mode():
            expected = (loaded.generator(z) * 0.5 + 0.5).clamp(0, 1).numpy()
        assert image.shape == expected.shape == (batch, loaded.config.channels, 16, 16)
        assert 0.0 <= image.min() and image.max() <= 1.0
        np.testing.assert_allclose(image, expected, atol=1e-4)
    onnx = pytest.importorskip("onnx")
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["producer"] == "GAN Studio" and meta["z_dim"] == str(loaded.generator.z_dim)


def test_export_format_follows_the_file_ending_or_the_flag(runs, tmp_path, capsys):
    run = runs["dcgan-rgb"]
    assert main(["export-model", str(run), "--out", str(tmp_path / "g.bin"), "--format", "onnx"]) == 0
    assert (tmp_path / "g.bin").read_bytes()[:2] != b"PK"  # an ONNX protobuf, not a torch zip
    assert main(["export-model", str(run), "--out", str(tmp_path / "g.pt")]) == 0
    assert load_checkpoint(tmp_path / "g.pt")["generator_only"] is True
