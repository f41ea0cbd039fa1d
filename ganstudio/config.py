"""Run settings as plain dataclasses, to and from JSON, with validation in plain words.

A run's whole recipe is one `RunConfig`. It is written to `config.json` in the run
folder and embedded in every checkpoint, so a run copied from another machine can be
resumed or rendered without guessing how it was made.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARCHITECTURES = ("dcgan", "resnet")
LOSSES = ("ns", "hinge", "lsgan", "wgan-gp", "rpgan")
JOINT_G_STEPS = ("batch", "running")
AUGMENT_OPS = ("color", "translation", "cutout")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
FITS = ("crop", "pad")
COLORS = ("auto", "rgb", "gray")  # "auto": gray when every image is (plan.decide_data)
MIRRORS = ("auto", "on", "off")  # "auto": off when mirrored images are told from the originals


# The trainer draws its sample-grid noise from seeds seed * 100_003 + i, which must stay below
# 2**64 (what torch's generators take); 10**14 keeps them there, and is exact as a JSON number.
MAX_SEED = 10**14


class ConfigError(ValueError):
    """A setting is out of range or unknown; the message is one line a user can act on."""


@dataclass
class DataConfig:
    source: str = "demo:shapes"  # a folder, a .zip file, or demo:NAME
    resolution: int = 32  # square output size in pixels, a power of two from 16 to 256
    fit: str = "crop"  # "crop": centre-crop to square; "pad": pad to square with the background
    color: str = "auto"  # "rgb", "gray", or "auto": decided from the images (plan.decide_data)
    background: str = "#ffffff"  # behind transparent pixels and padding
    # Mirror images left-right at random: doubles a set for free where the subject has no
    # handedness. "auto" measures that on the images (data/traits.py) before training.
    mirror: str = "auto"
    # Why an automatic choice came out as it did, in words (empty when the artist chose).
    color_why: str = ""
    mirror_why: str = ""
    # Images the artist left out (the data clinic's duplicates, odd ones out), by their names in
    # the source: relative file names, "frame-000123" for a video. Their files are untouched.
    exclude: list[str] = field(default_factory=list)
    frame_rate: float = 0.0  # a video's frames sampled per second (0: automatic, data/video.py)

    @property
    def flip(self) -> bool:
        """Whether the trainer mirrors images: only once `mirror` is decided ("on")."""
        return self.mirror == "on"

    @property
    def decided(self) -> bool:
        return self.color != "auto" and self.mirror != "auto"

    def scan_key(self) -> tuple:
        """The settings that change the decoded pixels (mirroring is applied while training)."""
        return (self.source, self.resolution, self.fit, self.color, self.background, tuple(self.exclude),
                self.frame_rate)


@dataclass
class ModelConfig:
    arch: str = "dcgan"
    z_dim: int = 100  # size of the random vector the generator starts from
    width: int = 64  # base channel count; compute grows with its square
    # Batch norm in the DCGAN discriminator. R3GAN's recipe has none: its gradient penalties
    # are per image, and batch norm mixes the images of a batch.
    d_batch_norm: bool = True


@dataclass
class LossConfig:
    kind: str = "ns"  # ns = the textbook non-saturating GAN loss
    r1_gamma: float = 0.0  # R1 penalty weight on real images (0 = off); with rpgan also R2's, on fakes
    r1_every: int = 16  # lazy regularisation: apply R1 every N steps, scaled up by N
    gp_weight: float = 10.0  # gradient-penalty weight for wgan-gp
    d_steps: int = 1  # discriminator updates per generator update
    # Show D real and fake images in one batch, so its batch norm compares them on the same
    # statistics. Apart, each batch is normalised on its own and D hardly sees a colour or
    # brightness shift common to all fakes (see Trainer.step). Quick sketch turns it on below
    # 64 px for sets that are only shifted (2,000 to 10,000 images; apply_preset): it
    # kept the glyph set's papers at the right brightness; on the colour-augmented demo
    # sets it was no better and failed two of six pairs (README, "Real and fake in one batch").
    joint_batch: bool = False
    # With joint_batch, what D's batch norm uses in the generator's step: "batch" puts the
    # same reals beside the fakes again (exact, but D runs over twice the images: +20-28% per
    # step); "running" uses the statistics D's own step has been keeping (eval mode), at no
    # extra cost.
    joint_g_step: str = "batch"


@dataclass
class AugmentConfig:
    policy: str = ""  # comma list of color, translation, cutout ("" = none)
    probability: float = 1.0  # chance each op is applied to an image (fixed mode)
    adaptive: bool = False  # let the trainer tune the probability (ADA-style)
    target: float = 0.6  # adaptive target for E[sign(D(real))]
    # Adaptive: how many images it takes the probability to go from 0 to 1 at the most.
    adaptive_speed_images: int = 100_000
    color_strength: float = 1.0  # how far colour may move (1 = DiffAugment's ranges)


@dataclass
class TrainConfig:
    batch: int = 64  # global batch size (split across processes under torchrun)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    ema_half_life_images: float = 10_000.0  # EMA half-life of the generator, in images seen
    ema_rampup: float = 0.05  # early on, the half-life is at most this fraction of images seen
    steps: int = 0  # stop after this many steps (0 = no step limit)
    minutes: float = 0.0  # stop after this much training time (0 = no time limit)
    seed: int = 0
    precision: str = "auto"  # auto picks what was measured fastest on the device
    channels_last: bool = True
    # torch.compile the networks: the first steps take 10-60 s longer. Off by default: on a
    # 2-core CPU, timed in turns with eager bf16, it was no faster once compiled (0.93-1.04x,
    # README), and compiling holds the GIL, so the window stutters meanwhile. Unmeasured on GPUs.
    compile: bool = False
    # Faster CPU routes for the convolutions while training (ganstudio/accel/cpu_conv.py): the
    # same maths up to float rounding; False is the off switch (PyTorch's own layers throughout).
    cpu_routes: bool = True
    device: str = "auto"
    threads: int = 0  # CPU threads for torch (0 = leave torch's default)
    init_from: str = ""  # the model this run started from, in words ("" = trained from scratch; warm_start.py)
    freeze_d_layers: int = 0  # the discriminator's first N layers keep their starting weights (FreezeD)


@dataclass
class ScheduleConfig:
    """Housekeeping: how often the loop stops to report, sample, measure and save."""

    tick_seconds: float = 1.0  # a report at most this often (the GUI wants a few per second)
    tick_steps: int = 0  # if > 0, tick every N steps instead (reproducible; used under torchrun)
    sample_seconds: float = 15.0  # fixed-noise sample grid
    # Quality figure (sliced Wasserstein distance): the first after metric_first_seconds, then
    # at a spacing that grows with the run (metric_growth x training time so far), costing at
    # most metric_budget of the time, and at most metric_seconds apart (0 = every tick); and
    # once more when the run ends (quality.py).
    metric_first_seconds: float = 15.0
    metric_growth: float = 0.25
    metric_budget: float = 0.05
    metric_seconds: float = 600.0
    metric_images: int = 256
    checkpoint_minutes: float = 5.0
    snapshot_minutes: float = 30.0  # keep a numbered checkpoint this often
    keep_snapshots: int = 5
    grid_images: int = 36  # images in each sample grid (6 x 6)


@dataclass
class RunConfig:
    preset: str = "custom"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    # -- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, raw: Any) -> RunConfig:
        """Build and validate a config; unknown sections or keys are errors, not silently dropped."""
        if not isinstance(raw, dict):
            raise ConfigError("The settings must be a JSON object.")
        config = cls()
        for key, value in raw.items():
            if key == "preset":
                config.preset = str(value)
                continue
            if key not in _SECTIONS:
                raise ConfigError(f"Unknown settings section '{key}' (expected one of {', '.join(_SECTIONS)}).")
            if not isinstance(value, dict):
                raise ConfigError(f"Settings section '{key}' must be a JSON object.")
            section = getattr(config, key)
            if key == "data":
                value = _legacy_data(value)
            _update_section(key, section, value)
        config.validate()
        return config

    @classmethod
    def from_json_file(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"No settings file at '{path}'.") from None
        except OSError as exc:
            raise ConfigError(f"Cannot read settings file '{path}': {exc.strerror or exc}.") from None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Settings file '{path}' is not valid JSON (line {exc.lineno}: {exc.msg}).") from None
        return cls.from_dict(raw)

    def copy(self) -> RunConfig:
        return RunConfig.from_dict(self.to_dict())

    # -- validation ----------------------------------------------------------------
    def validate(self) -> RunConfig:
        d, m, lo, a, t, s = self.data, self.model, self.loss, self.augment, self.train, self.schedule
        res = d.resolution
        if not (16 <= res <= 256 and res & (res - 1) == 0):
            raise ConfigError(f"Resolution must be 16, 32, 64, 128 or 256 pixels (got {res}).")
        _choice("fit", d.fit, FITS)
        _choice("color", d.color, COLORS)
        _choice("mirroring", d.mirror, MIRRORS)
        parse_color(d.background)
        if not isinstance(d.exclude, list) or not all(isinstance(v, str) for v in d.exclude):
            raise ConfigError("The images to leave out must be a list of names.")
        _number_range("frame rate", d.frame_rate, 0.0, 240.0)
        _choice("architecture", m.arch, ARCHITECTURES)
        _int_range("latent size (z_dim)", m.z_dim, 1, 4096)
        _int_range("width", m.width, 4, 1024)
        _choice("loss", lo.kind, LOSSES)
        _number_range("R1 gamma", lo.r1_gamma, 0.0, 1e6)
        _int_range("R1 interval", lo.r1_every, 1, 10_000)
        _number_range("gradient-penalty weight", lo.gp_weight, 0.0, 1e6)
        _int_range("discriminator steps", lo.d_steps, 1, 100)
        _choice("joint-batch generator step", lo.joint_g_step, JOINT_G_STEPS)
        parse_policy(a.policy)
        _number_range("augmentation probability", a.probability, 0.0, 1.0)
        _number_range("augmentation target", a.target, 0.0, 1.0)
        _int_range("adaptive augmentation speed", a.adaptive_speed_images, 1, 10**12)
        _number_range("colour augmentation strength", a.color_strength, 0.0, 1.0)
        _int_range("batch size", t.batch, 1, 65_536)
        _number_range("generator learning rate", t.lr_g, 0.0, 1.0, open_low=True)
        _number_range("discriminator learning rate", t.lr_d, 0.0, 1.0, open_low=True)
        _number_range("beta1", t.beta1, 0.0, 1.0, open_high=True)
        _number_range("beta2", t.beta2, 0.0, 1.0, open_high=True)
        _number_range("EMA half-life", t.ema_half_life_images, 0.0, 1e12)
        _number_range("EMA ramp-up", t.ema_rampup, 0.0, 1e6)
        _int_range("steps", t.steps, 0, 10**12)
        _number_range("minutes", t.minutes, 0.0, 1e9)
        _int_range("seed", t.seed, 0, MAX_SEED)
        _choice("precision", t.precision, PRECISIONS)
        _choice("device", t.device, DEVICES)
        _int_range("threads", t.threads, 0, 4096)
        _int_range("frozen discriminator layers", t.freeze_d_layers, 0, 100)
        _number_range("tick interval", s.tick_seconds, 0.0, 3600.0)
        _int_range("tick steps", s.tick_steps, 0, 10**9)
        _number_range("sample interval", s.sample_seconds, 0.0, 1e9)
        _number_range("metric interval", s.metric_seconds, 0.0, 1e9)
        _number_range("first metric", s.metric_first_seconds, 0.0, 1e12)
        _number_range("metric growth", s.metric_growth, 0.0, 100.0)
        _number_range("metric budget", s.metric_budget, 0.0, 1.0, open_low=True)
        _int_range("metric images", s.metric_images, 16, 100_000)
        _number_range("checkpoint interval", s.checkpoint_minutes, 0.0, 1e9)
        _number_range("snapshot interval", s.snapshot_minutes, 0.0, 1e9)
        _int_range("snapshots to keep", s.keep_snapshots, 0, 10_000)
        _int_range("grid images", s.grid_images, 1, 1024)
        return self

    @property
    def channels(self) -> int:
        if self.data.color == "auto":
            raise ConfigError("The colour setting is still 'auto': decide it from the images first (plan.decide_data).")
        return 1 if self.data.color == "gray" else 3


_SECTIONS = ("data", "model", "loss", "augment", "train", "schedule")


def _legacy_data(values: dict) -> dict:
    """Settings written by earlier versions said `"flip": true/false`; today that is `mirror` on/off."""
    if "flip" not in values:
        return values
    values = dict(values)
    flip = values.pop("flip")
    if not isinstance(flip, bool):
        raise ConfigError(f"Setting 'data.flip' must be true or false (got {flip!r}).")
    values.setdefault("mirror", "on" if flip else "off")
    return values


def _update_section(name: str, section: Any, values: dict) -> None:
    fields = {f.name: f for f in dataclasses.fields(section)}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"Unknown setting '{key}' in section '{name}'.")
        default = getattr(section, key)
        setattr(section, key, _coerce(f"{name}.{key}", value, default))


def _coerce(label: str, value: Any, default: Any) -> Any:
    """Accept JSON's numbers for our types, refuse anything that would surprise later."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"Setting '{label}' must be true or false (got {value!r}).")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise ConfigError(f"Setting '{label}' must be a whole number (got {value!r}).")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"Setting '{label}' must be a number (got {value!r}).")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"Setting '{label}' must be text (got {value!r}).")
        return value
    if isinstance(default, list):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"Setting '{label}' must be a list of names (got {value!r}).")
        return list(value)
    return value


def _choice(label: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"Unknown {label} '{value}'; choose from {', '.join(choices)}.")


def _int_range(label: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"The {label} must be a whole number (got {value!r}).")
    if not low <= value <= high:
        if high >= 10**9 and value < low:
            raise ConfigError(f"The {label} must be at least {low} (got {value}).")
        if high >= 10**9:
            raise ConfigError(f"The {label} must be at most {high:,} (got {value:,}).")
        raise ConfigError(f"The {label} must be between {low} and {high} (got {value}).")


def _number_range(
    label: str, value: Any, low: float, high: float, *, open_low: bool = False, open_high: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"The {label} must be a finite number (got {value!r}).")
    too_low = value <= low if open_low else value < low
    too_high = value >= high if open_high else value > high
    if too_low or too_high:
        lo = f"above {low:g}" if open_low else f"at least {low:g}"
        hi = f"below {high:g}" if open_high else f"at most {high:g}"
        raise ConfigError(f"The {label} must be {lo} and {hi} (got {value:g}).")


def parse_policy(text: str) -> tuple[str, ...]:
    """'color, translation' -> ('color', 'translation'); '' -> ()."""
    ops = tuple(part.strip() for part in text.split(",") if part.strip())
    for op in ops:
        if op not in AUGMENT_OPS:
            raise ConfigError(f"Unknown augmentation '{op}'; choose from {', '.join(AUGMENT_OPS)}.")
    return ops


def parse_color(text: str) -> tuple[int, int, int]:
    """'#rrggbb' (or '#rgb') -> (r, g, b)."""
    value = text.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    try:
        if len(value) != 6:
            raise ValueError
        return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise ConfigError(f"Background colour must look like #rrggbb (got '{text}').") from None


def mirror_from_old_flip(flip, default: str) -> str:
    """Settings saved before mirroring had an automatic choice kept a checkbox: honour an 'off'."""
    return "off" if flip in ("false", False) else default


def int_or_none(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
