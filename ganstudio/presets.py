"""Presets with plain names: what to train, chosen from the data set's size and the device.

A user who only picks a folder and presses Train gets `choose_preset(...)`'s answer.
Each preset fills in architecture, width, loss, batch, learning rates and augmentation;
anything the user sets explicitly afterwards wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.config import ConfigError, RunConfig, parse_policy


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    summary: str  # one line for a tooltip or `--help`
    arch: str
    width: int
    z_dim: int
    loss: str
    r1_gamma: float
    batch: int
    batch_from_64px: int  # the batch at 64 px and up, where each step costs 4x or more
    lr_g: float
    lr_d: float
    beta1: float
    beta2: float
    resolution: int  # suggested resolution when the user has not chosen one
    ema_half_life_images: float


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            key="quick-sketch",
            title="Quick sketch",
            summary="Small DCGAN for a laptop CPU: recognisable shapes and colours within minutes.",
            arch="dcgan",
            width=32,
            z_dim=64,
            loss="ns",
            r1_gamma=0.0,
            batch=64,
            # At 64 px a step at batch 64 takes a 2-core CPU about half a second, so a run of
            # minutes gets a few hundred updates. Half the batch trains ~5% fewer images/s but
            # makes ~1.9x the updates; in tests/bench/quality_per_minute.py (64 px, three sets,
            # three seeds) it reached a lower SWD with more variety. At 32 px it was no better.
            batch_from_64px=32,
            # Twice the textbook rate: in tests/bench/quality_per_minute.py it reached a given
            # quality in about half the time at 32 and 64 px, and the EMA keeps samples steady.
            lr_g=4e-4,
            lr_d=4e-4,
            beta1=0.5,
            beta2=0.999,
            resolution=32,
            ema_half_life_images=5_000.0,
        ),
        Preset(
            key="balanced",
            title="Balanced",
            summary="Residual networks with spectral normalisation and hinge loss: steadier, better on small sets.",
            arch="resnet",
            width=64,
            z_dim=128,
            loss="hinge",
            r1_gamma=0.0,
            batch=64,
            batch_from_64px=64,
            lr_g=2e-4,
            lr_d=2e-4,
            beta1=0.0,
            beta2=0.99,
            resolution=64,
            ema_half_life_images=10_000.0,
        ),
        Preset(
            key="quality",
            title="Quality",
            summary="Wider residual networks with an R1 penalty, for a GPU and a long run.",
            arch="resnet",
            width=128,
            z_dim=128,
            loss="hinge",
            r1_gamma=0.1,
            batch=64,
            batch_from_64px=64,
            lr_g=2e-4,
            lr_d=2e-4,
            beta1=0.0,
            beta2=0.99,
            resolution=64,
            ema_half_life_images=20_000.0,
        ),
    )
}

# Below this many images a discriminator memorises the set: augment everything it sees
# (DiffAugment, Zhao et al. 2020, shows the gain is largest for a few hundred images).
SMALL_SET = 2_000
# Up to this many, a run of minutes still shows D every image dozens of times and it starts
# memorising too: Quick sketch on 2,000 glyph images got steadily worse after ~1,500 steps
# (~50 passes over the set), its papers turning pure white. Shifting alone stops that
# (tests/bench/quality_per_minute.py) without the colour casts colour jitter can leave.
MEDIUM_SET = 10_000


def preset_names() -> list[str]:
    return list(PRESETS)


def choose_preset(n_images: int, device_type: str) -> str:
    """The preset a user gets when they just press Train."""
    if device_type == "cpu":
        return "quick-sketch"
    if device_type == "cuda" and n_images >= SMALL_SET:
        return "quality"
    return "balanced"


def get_preset(key: str) -> Preset:
    normalised = key.strip().lower().replace(" ", "-").replace("_", "-")
    if normalised not in PRESETS:
        raise ConfigError(f"Unknown preset '{key}'; choose from {', '.join(PRESETS)}.")
    return PRESETS[normalised]


def apply_preset(config: RunConfig, key: str, *, n_images: int, set_resolution: bool = False) -> RunConfig:
    """Return a copy of `config` with the preset's choices filled in for a set of `n_images`.

    The batch depends on `config.data.resolution` (or the preset's own, with `set_resolution`).
    """
    preset = get_preset(key)
    out = config.copy()
    out.preset = preset.key
    out.model.arch = preset.arch
    out.model.width = preset.width
    out.model.z_dim = preset.z_dim
    out.loss.kind = preset.loss
    out.loss.r1_gamma = preset.r1_gamma
    if set_resolution:
        out.data.resolution = preset.resolution
    out.train.batch = preset.batch_from_64px if out.data.resolution >= 64 else preset.batch
    out.train.lr_g = preset.lr_g
    out.train.lr_d = preset.lr_d
    out.train.beta1 = preset.beta1
    out.train.beta2 = preset.beta2
    out.train.ema_half_life_images = preset.ema_half_life_images
    adaptive = False
    if n_images < SMALL_SET and preset.arch == "resnet":
        # Colour and translation suit every set; cutout helps the residual D most.
        out.augment.policy = "color,translation,cutout"
    elif n_images < SMALL_SET:
        # Quick sketch: shifts only, and only as much as D needs (ADA: none while it is not
        # memorising, which a run of minutes mostly is). On real photographs colour jitter at
        # full strength doubled the Fréchet distance of a one-minute run; on letters of real
        # fonts adaptive shifting beat shifting every image (tests/bench/real_quality.py, README).
        out.augment.policy = "translation"
        adaptive = True
    elif n_images < MEDIUM_SET:
        out.augment.policy = "translation"
    else:
        out.augment.policy = ""
    if out.data.color == "gray":
        out.augment.policy = without_color(out.augment.policy)  # nothing to jitter in one channel
    if out.augment.policy:
        out.augment.probability = 1.0
        out.augment.adaptive = adaptive
    out.loss.joint_batch = joint_batch_suits(out)
    out.loss.joint_g_step = "running"
    return out.validate()


# R3GAN's penalty weight for our networks at 32-64 px, images in [-1, 1] (tests/bench/real_quality.py).
RPGAN_GAMMA = 0.1


def with_loss(config: RunConfig, kind: str) -> RunConfig:
    """A copy of `config` with another loss, and what that loss needs around it: the R3GAN
    recipe (rpgan) judges each image on its own, so its discriminator has no batch norm,
    and it always has its R1 and R2 penalties; the other losses keep batch norm."""
    out = config.copy()
    out.loss.kind = kind
    out.model.d_batch_norm = kind != "rpgan"
    if kind == "rpgan" and out.loss.r1_gamma <= 0:
        out.loss.r1_gamma = RPGAN_GAMMA
    return out.validate()


def without_color(policy: str) -> str:
    """An augmentation policy less its colour jitter (for grayscale sets)."""
    return ",".join(op for op in parse_policy(policy) if op != "color")


def joint_batch_suits(config: RunConfig) -> bool:
    """Whether D should see reals and fakes as one batch for these settings (loss.joint_batch).

    Without colour augmentation a batch's colours say something, and a batch-norm D that
    normalises reals and fakes apart hides a shift all fakes share (paper too light, a
    tint). One joint batch in D's step, and D's running statistics in G's step, keep it
    visible at no extra cost: on the 2,000-image glyph set at 32 px (three seeds) the SWD
    halved at 1 and 2 minutes and a step got ~12% cheaper (one D pass over 128 images
    instead of two over 64). With colour jitter it did not help; at 64 px (batch 32) it was
    about 30% worse on the same set, and on 10,000 unaugmented shapes at 32 px it was behind
    at 3 minutes (96 against 63, one run each), so it stays off there (README).
    """
    uses_batch_norm_d = config.model.arch == "dcgan" and config.model.d_batch_norm  # the residual D has none
    # The preset's choice for 2,000-10,000 images: every image shifted (not adaptively, where
    # the probability starts at 0 and the joint batch was never measured).
    shifted_only = config.augment.policy == "translation" and not config.augment.adaptive
    return uses_batch_norm_d and shifted_only and config.data.resolution < 64
