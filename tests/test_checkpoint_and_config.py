"""Checkpoint files and settings: atomic, refuse code, clear messages."""

from __future__ import annotations

import pickle

import pytest
import torch

from ganstudio.checkpoint import (
    CheckpointError,
    generator_fingerprint,
    load_checkpoint,
    load_generator,
    resolve_checkpoint_path,
    save_checkpoint,
)
from ganstudio.config import ConfigError, DataConfig, RunConfig
from ganstudio.presets import PRESETS, apply_preset, choose_preset, get_preset, joint_batch_suits


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoint_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as handle:
        pickle.dump({"format": "ganstudio.checkpoint", "payload": _Payload(str(marker))}, handle)
    torch.save({"format": "ganstudio.checkpoint", "x": _Payload(str(marker))}, tmp_path / "evil2.pt")
    assert not marker.exists()  # saving did not trigger it
    for path in (evil, tmp_path / "evil2.pt"):
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(path)
        message = str(err.value)
        assert "\n" not in message
        assert "Refused" in message or "not a readable checkpoint" in message
    assert not marker.exists()


def test_foreign_and_broken_checkpoints_get_one_line_messages(tmp_path):
    torch.save({"state_dict": {"w": torch.zeros(2)}}, tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("hello")
    (tmp_path / "empty.pt").write_bytes(b"")
    save_checkpoint(tmp_path / "future.pt", {"config": {}, "step": 0, "G_ema": {}})
    data = torch.load(tmp_path / "future.pt", weights_only=True)
    data["version"] = 99
    torch.save(data, tmp_path / "future.pt")
    cases = {
        "other.pt": "another program",
        "text.pt": "not a readable checkpoint",
        "empty.pt": "not a readable checkpoint",
        "future.pt": "newer GAN Studio",
        "missing.pt": "No checkpoint",
    }
    for name, expected in cases.items():
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(tmp_path / name)
        assert expected in str(err.value) and "\n" not in str(err.value)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ck" / "latest.pt"
    save_checkpoint(path, {"config": {}, "step": 1, "G_ema": {"w": torch.ones(3)}})
    assert load_checkpoint(path)["step"] == 1
    # A save that fails half-way (an unpicklable object) leaves the old file as it was.
    with pytest.raises(Exception):
        save_checkpoint(path, {"config": {}, "step": 2, "G_ema": {}, "bad": lambda: None})
    assert load_checkpoint(path)["step"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["latest.pt"]


def test_resolve_checkpoint_path_in_a_run_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoints"):
        resolve_checkpoint_path(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path / "checkpoints" / "best.pt", {"config": {}, "step": 1, "G_ema": {}})
    assert resolve_checkpoint_path(tmp_path).name == "best.pt"
    save_checkpoint(tmp_path / "checkpoints" / "latest.pt", {"config": {}, "step": 2, "G_ema": {}})
    assert resolve_checkpoint_path(tmp_path).name == "latest.pt"
    assert resolve_checkpoint_path(tmp_path, prefer="best").name == "best.pt"


def test_generator_with_mismatched_shapes_is_a_clear_error(tmp_path):
    cfg = RunConfig()
    cfg.data.resolution = 16
    cfg.data.color = "rgb"  # decided, as a trainer writes it
    cfg.model.width = 8
    save_checkpoint(tmp_path / "bad.pt", {"config": cfg.to_dict(), "step": 3, "G_ema": {"net.0.weight": torch.zeros(1)}})
    with pytest.raises(CheckpointError, match="does not match"):
        load_generator(tmp_path / "bad.pt")


def test_a_checkpoint_whose_colour_was_never_decided_is_a_clear_error(tmp_path):
    cfg = RunConfig()  # colour "auto": no trainer writes that, but a hand-made file may
    save_checkpoint(tmp_path / "odd.pt", {"config": cfg.to_dict(), "step": 3, "G_ema": {}})
    with pytest.raises(CheckpointError, match="colour setting is still 'auto'"):
        load_generator(tmp_path / "odd.pt")


def test_fingerprint_changes_with_any_weight():
    a = {"w": torch.zeros(4), "b": torch.ones(2)}
    b = {"w": torch.zeros(4), "b": torch.tensor([1.0, 1.0 + 1e-6])}
    assert generator_fingerprint(a) == generator_fingerprint({k: v.clone() for k, v in a.items()})
    assert generator_fingerprint(a) != generator_fingerprint(b)
    assert len(generator_fingerprint(a)) == 16


@pytest.mark.parametrize(
    "section,key,value,message",
    [
        ("train", "batch", 0, "batch size must be between 1"),
        ("data", "resolution", 100, "Resolution must be 16, 32, 64, 128 or 256"),
        ("train", "lr_g", -1.0, "generator learning rate must be above 0"),
        ("model", "z_dim", 0, "latent size"),
        ("loss", "kind", "magic", "Unknown loss 'magic'"),
        ("augment", "policy", "color,blur", "Unknown augmentation 'blur'"),
        ("augment", "color_strength", 2.0, "colour augmentation strength must be at least 0 and at most 1"),
        ("train", "batch", 2.5, "whole number"),
        ("data", "background", "red", "#rrggbb"),
        ("train", "lr_d", float("nan"), "finite number"),
    ],
)
def test_bad_settings_have_plain_messages(section, key, value, message):
    raw = RunConfig().to_dict()
    raw[section][key] = value
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict(raw)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_config_round_trips_through_json_and_rejects_unknown_keys(tmp_path):
    cfg = RunConfig()
    cfg.train.batch = 32
    cfg.augment.policy = "color"
    path = tmp_path / "config.json"
    path.write_text(cfg.to_json())
    assert RunConfig.from_json_file(path) == cfg
    raw = cfg.to_dict()
    raw["train"]["bacth"] = 3
    with pytest.raises(ConfigError, match="Unknown setting 'bacth'"):
        RunConfig.from_dict(raw)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json_file(path)


def test_presets_suit_the_device_and_the_data_size():
    assert choose_preset(500, "cpu") == "quick-sketch"
    assert choose_preset(500, "cuda") == "balanced"
    assert choose_preset(50_000, "cuda") == "quality"
    small = apply_preset(RunConfig(), "balanced", n_images=300)
    medium = apply_preset(RunConfig(), "quick-sketch", n_images=2_000)
    large = apply_preset(RunConfig(), "balanced", n_images=20_000)
    assert "color" in small.augment.policy and "translation" in small.augment.policy
    # A few thousand images: shifted only (colour jitter left casts there), always.
    assert medium.augment.policy == "translation" and medium.augment.probability == 1.0
    assert not large.augment.policy
    assert small.model.arch == "resnet" and small.loss.kind == "hinge"
    assert get_preset("Quick sketch").key == "quick-sketch"
    with pytest.raises(ConfigError, match="Unknown preset"):
        get_preset("turbo")
    for key in PRESETS:
        assert apply_preset(RunConfig(), key, n_images=100).preset == key


def test_a_dcgan_preset_shows_its_discriminator_one_batch_on_shifted_only_sets():
    """Colour-jittered and unaugmented sets keep reals and fakes apart; shifted-only sets
    (2,000 to 10,000 images) below 64 px get one joint batch with running statistics in
    G's step. The residual D has no batch norm there."""
    joint = {
        (key, n): (c.loss.joint_batch, c.loss.joint_g_step)
        for key in ("quick-sketch", "balanced")
        for n in (500, 2_000, 20_000)
        for c in [apply_preset(RunConfig(), key, n_images=n)]
    }
    assert joint[("quick-sketch", 500)][0] is False
    assert joint[("quick-sketch", 2_000)] == (True, "running")
    assert joint[("quick-sketch", 20_000)][0] is False  # unaugmented: it measured no better
    assert not any(joint[("balanced", n)][0] for n in (500, 2_000, 20_000))
    # From 64 px (batch 32) it measured worse, so it is off there.
    at_64 = RunConfig()
    at_64.data.resolution = 64
    assert apply_preset(at_64, "quick-sketch", n_images=2_000).loss.joint_batch is False
    # The rule follows the settings, so an edit after the preset (the app's Advanced
    # settings) is judged on what will train.
    edited = apply_preset(RunConfig(), "quick-sketch", n_images=2_000)
    edited.augment.policy = "color,translation"
    assert joint_batch_suits(edited) is False
    edited.augment.policy, edited.model.arch = "translation", "resnet"
    assert joint_batch_suits(edited) is False


def test_quick_sketch_takes_smaller_batches_from_64_px():
    at = {}
    for resolution in (32, 64, 128):
        config = RunConfig()
        config.data.resolution = resolution
        at[resolution] = apply_preset(config, "quick-sketch", n_images=1000).train.batch
    assert at == {32: 64, 64: 32, 128: 32}
    config = RunConfig()
    config.data.resolution = 64
    assert apply_preset(config, "balanced", n_images=1000).train.batch == 64
    # With the preset's own resolution (64 for balanced), the batch follows that one.
    assert apply_preset(RunConfig(), "quick-sketch", n_images=1000, set_resolution=True).train.batch == 64


def test_resuming_with_a_latent_size_the_checkpoint_does_not_have_is_refused(tiny_images, tmp_path):
    from ganstudio.training.trainer import Trainer
    from tiny_runs import tiny_config

    run = tmp_path / "run"
    list(Trainer(tiny_config(train__steps=2), tiny_images, run, device="cpu").run())
    with pytest.raises(CheckpointError, match="differs from these settings") as err:
        Trainer(tiny_config(train__steps=4, model__z_dim=32), tiny_images, run, device="cpu", resume=True)
    assert "\n" not in str(err.value)
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 2  # the run is untouched


def test_quick_sketch_shifts_small_sets_only_as_needed_and_gray_sets_get_no_colour_jitter():
    small = apply_preset(RunConfig(data=DataConfig(color="rgb")), "quick-sketch", n_images=1_400)
    assert (small.augment.policy, small.augment.adaptive, small.loss.joint_batch) == ("translation", True, False)
    gray = apply_preset(RunConfig(data=DataConfig(color="gray")), "balanced", n_images=300)
    assert gray.augment.policy == "translation,cutout"  # the residual preset's jitter, less colour
