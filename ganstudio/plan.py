"""From what the artist chose and what their images are to the settings a run trains with.

`decide_data` settles the data choices left on "auto" (colour and mirroring) from the
images themselves (data/traits.py) and returns the images in the shape the run needs.
`compose_run` puts a run's settings together: the data choice, a preset sized to the set,
and the artist's own edits on top. The terminal, the app and the Trainer all go through
them, so a folder trains the same way from each, and config.json records what was
decided and why.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganstudio.config import ConfigError, DataConfig, RunConfig
from ganstudio.presets import apply_preset, joint_batch_suits, with_loss
from ganstudio.data.load import to_gray
from ganstudio.data.traits import SetTraits, analyse


def decide_data(choice: DataConfig, images: np.ndarray, *, traits: SetTraits | None = None) -> tuple[DataConfig, np.ndarray]:
    """Return (a copy of `choice` with colour and mirroring decided, the images to train on).

    Images come as decoded for `choice` (three channels when colour is "auto"). A choice the
    artist made stands, with an empty reason; an "auto" one gets the measured answer and a
    sentence saying why. `traits` may be passed when they were measured already.
    """
    if choice.decided:
        return choice, images
    if traits is None:
        traits = analyse(images)
    color, color_why = choice.color, choice.color_why
    if choice.color == "auto":
        color = "gray" if traits.grayscale else "rgb"
        color_why = traits.color_reason()
    mirror, mirror_why = choice.mirror, choice.mirror_why
    if choice.mirror == "auto":
        mirror = "off" if traits.handed else "on"
        mirror_why = traits.mirror_reason()
    if color == "gray" and images.shape[-1] == 3:
        images = to_gray(images)
    decided = dataclasses.replace(choice, color=color, color_why=color_why, mirror=mirror, mirror_why=mirror_why)
    return decided, images


def convert_channels(images: np.ndarray, color: str) -> np.ndarray:
    """Images (N, H, W, 1 or 3) as the colour a run trains in: gray as one channel, rgb as three."""
    if color == "gray" and images.shape[-1] == 3:
        return to_gray(images)
    if color == "rgb" and images.shape[-1] == 1:
        return np.ascontiguousarray(np.repeat(images, 3, axis=-1))
    return images


def describe_color(data: DataConfig) -> str:
    """'gray (every image is grayscale, ...)' for `info` and the Data page."""
    name = {"gray": "grayscale", "rgb": "colour"}.get(data.color, data.color)
    return f"{name} ({data.color_why})" if data.color_why else f"{name} (set by hand)"


def describe_mirror(data: DataConfig) -> str:
    name = {"on": "on", "off": "off"}.get(data.mirror, data.mirror)
    return f"{name} ({data.mirror_why})" if data.mirror_why else f"{name} (set by hand)"


@dataclass
class RunEdits:
    """What the artist set on top of the preset; None leaves the preset's choice."""

    arch: str | None = None
    loss: str | None = None
    batch: int | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    z_dim: int | None = None
    width: int | None = None
    ema_half_life_images: float | None = None
    augment_policy: str | None = None
    seed: int | None = None
    precision: str | None = None
    compile: bool | None = None
    steps: int | None = None  # a step limit replaces a time limit, and the other way round
    minutes: float | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # "section.key" -> value, as in config.json


def compose_run(data: DataConfig, preset: str | None, n_images: int, edits: RunEdits | None = None,
                base: RunConfig | None = None) -> RunConfig:
    """The settings of a new run: `base` (defaults, or a config file) with the data choice,
    the preset sized for `n_images` (None: the base's own choices), then the artist's edits.
    Raises ConfigError on a bad edit."""
    cfg = (base or RunConfig()).copy()
    cfg.data = dataclasses.replace(data)
    if preset is not None:
        cfg = apply_preset(cfg, preset, n_images=n_images)
    return apply_edits(cfg, edits or RunEdits())


def apply_edits(config: RunConfig, edits: RunEdits) -> RunConfig:
    """A copy of `config` with the artist's edits, each checked as config.json would be."""
    cfg = config.copy()
    if edits.arch is not None:
        cfg.model.arch = edits.arch
    if edits.loss is not None and edits.loss != cfg.loss.kind:
        cfg = with_loss(cfg, edits.loss)
    for section, name in (("train", "batch"), ("train", "lr_g"), ("train", "lr_d"), ("model", "z_dim"),
                          ("model", "width"), ("train", "ema_half_life_images"), ("train", "seed"),
                          ("train", "precision"), ("train", "compile")):
        value = getattr(edits, name)
        if value is not None:
            setattr(getattr(cfg, section), name, value)
    if edits.augment_policy is not None:
        cfg.augment.policy = edits.augment_policy
    if edits.arch is not None or edits.augment_policy is not None:
        cfg.loss.joint_batch = joint_batch_suits(cfg)  # follows the architecture and augmentation chosen
    if edits.steps:
        cfg.train.steps, cfg.train.minutes = int(edits.steps), 0.0
    elif edits.minutes is not None:
        cfg.train.minutes, cfg.train.steps = float(edits.minutes), 0
    return with_overrides(cfg, edits.overrides).validate()


def parse_override(text: str) -> tuple[str, Any]:
    """'section.key=value' (as `--set` takes it) -> ('section.key', value); value read as JSON
    where it can be (numbers, true/false), else kept as the plain words."""
    name, sep, raw = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot or not key:
        raise ConfigError(f"--set takes SECTION.KEY=VALUE, e.g. train.lr_g=0.0003 (got '{text}').")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # plain words, e.g. --set loss.kind=hinge
    return f"{section}.{key}", value


def with_overrides(config: RunConfig, overrides: dict[str, Any]) -> RunConfig:
    """A copy of `config` with each "section.key" set, checked like a line of config.json."""
    if not overrides:
        return config
    raw = config.to_dict()
    for name, value in overrides.items():
        section, _, key = name.partition(".")
        if section not in raw or not isinstance(raw[section], dict) or key not in raw[section]:
            raise ConfigError(f"--set {name}: there is no such setting (see a run's config.json for the names).")
        raw[section][key] = value
    return RunConfig.from_dict(raw)
