"""Quality per minute: what the Train button gives against the plain DCGAN example, same clock.

    python tests/bench/quality_per_minute.py                        # 4 sets x 32 and 64 px, 3 min each side
    python tests/bench/quality_per_minute.py --sets shapes --resolutions 32 --minutes 2
    python tests/bench/quality_per_minute.py --grids /tmp/qpm        # also save the sample grids to look at
    python tests/bench/quality_per_minute.py --sets shapes --override train.batch=128 --no-plain   # tune a preset
    python tests/bench/quality_per_minute.py --sets patterns --seeds 3   # median of 3 runs per side
    python tests/bench/quality_per_minute.py --device cuda --sets shapes --minutes 1   # on an NVIDIA GPU

For every image set and resolution both sides train for the same wall-clock time on the
same images, one after the other (never at once: they would share the cores):

* "GAN Studio": the preset `choose_preset` picks for the set on --device (the CPU unless
  told), with every setting as the app and `ganstudio train` would use it, trained by
  the real `Trainer`.
* "plain DCGAN": the classic PyTorch example loop (tests/bench/plain_dcgan.py): textbook
  loss, Adam 2e-4 / (0.5, 0.999), batch 64, fp32, on the same device.

On a GPU each side's clock stops only once the GPU has finished the work queued so far.

At each time mark the clock stops and both are measured the way the app measures a run:
the multi-scale sliced Wasserstein distance (SWD x 1e3, lower is better) of 512 samples
from fixed latents against 512 real images, normalised by the real set's statistics.
GAN Studio is measured on the EMA generator the app shows; the example has no EMA and is
measured on its generator. "spread" is the samples' mean pairwise distance over the real
images': near 1 they vary like the data, towards 0 they collapse to a few pictures.
"floor" is the SWD of 512 other real images: the figure a perfect generator would get.

Sets: the three demo sets (NAME:COUNT for another size, e.g. shapes:10000), and "glyphs":
letters drawn by the fonts installed on this machine, written as PNG files and read back
through the app's folder loader.

Verdict per set: GAN Studio is "clearly better" when its SWD is at least 10% lower at every
mark from 1 minute on, and it "collapsed" when its spread falls under half its best so far
after 1 minute, or ends under 0.5.

One run of a GAN moves a lot (the same preset, another seed: SWD 144 or 245 after a
minute), so `--seeds N` trains each side N times, with seeds 0 to N-1, and judges the
median at each mark; the lowest and highest are printed beside it.

Not a test: it prints figures to compare side by side. It takes
(sets x resolutions x 2 x seeds x minutes) of training plus about 10 s per measurement.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from font_glyphs import write_glyph_folder  # noqa: E402
from plain_dcgan import PlainDCGAN  # noqa: E402

from ganstudio.config import ConfigError, RunConfig  # noqa: E402
from ganstudio.data import load_images, make_demo_set  # noqa: E402
from ganstudio.device import describe_device, pick_device  # noqa: E402
from ganstudio.training.trainer import Trainer  # noqa: E402
from ganstudio.export import make_grid, save_png  # noqa: E402
from ganstudio.explore.latent import render, z_batch_from_seeds  # noqa: E402
from ganstudio.training.metrics import SlicedWasserstein, mean_pairwise_distance  # noqa: E402
from ganstudio.presets import apply_preset, choose_preset  # noqa: E402

EVAL_IMAGES = 512
SPREAD_IMAGES = 64
EVAL_SEED_BASE = 7_000_000  # latents no side ever trains with


@dataclass
class Mark:
    minutes: float  # training time actually spent when measured
    steps: int
    swd: float
    spread: float


class Contestant:
    """One side of the comparison: something that steps and renders from fixed latents."""

    name = ""
    device = torch.device("cpu")

    def step(self) -> None:
        raise NotImplementedError

    def samples(self, n: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def steps(self) -> int:
        raise NotImplementedError

    def wait(self) -> None:
        """Until the device has run everything queued (a GPU runs behind the Python code)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def parse_override(text: str) -> tuple[str, str, object]:
    """'train.batch=128' -> ('train', 'batch', 128); the value is JSON where it parses, else text."""
    key, sep, raw = text.partition("=")
    section, dot, name = key.partition(".")
    if not sep or not dot:
        raise argparse.ArgumentTypeError(f"expected SECTION.KEY=VALUE, e.g. train.batch=128 (got '{text}')")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return section, name, value


def with_overrides(config: RunConfig, overrides: dict[str, dict]) -> RunConfig:
    """The preset's config with some settings replaced, validated like a config file."""
    raw = config.to_dict()
    for section, values in overrides.items():
        raw.setdefault(section, {}).update(values)
    return RunConfig.from_dict(raw)


class Studio(Contestant):
    name = "GAN Studio"

    def __init__(
        self, images: np.ndarray, source: str, overrides: dict[str, dict] | None = None, seed: int = 0,
        device: torch.device = torch.device("cpu"),
    ):
        n = len(images)
        self.device = device
        config = RunConfig()
        config.data.source = source
        config.data.resolution = images.shape[1]
        config.train.seed = seed  # an override of train.seed wins
        self.preset = choose_preset(n, device.type)
        self.config = with_overrides(apply_preset(config, self.preset, n_images=n), overrides or {})
        self.trainer = Trainer(self.config, images, None, device=device)
        self.describe = (
            f"preset {self.preset}: {self.config.model.arch} width {self.config.model.width}, "
            f"{self.config.loss.kind} loss, {self.trainer.precision.name}, batch {self.config.train.batch}, "
            f"augment '{self.config.augment.policy or 'none'}', EMA"
            + (f"; overridden: {json.dumps(overrides)}" if overrides else "")
        )

    def step(self) -> None:
        self.trainer.step()
        if len(self.trainer._stats) > 1000:  # run() drains these once per tick; we call step() alone
            self.trainer._stats.clear()

    def samples(self, n: int) -> np.ndarray:
        z = z_batch_from_seeds(range(EVAL_SEED_BASE, EVAL_SEED_BASE + n), self.trainer.G.z_dim)
        return render(self.trainer.ema_generator(), z)

    @property
    def steps(self) -> int:
        return self.trainer.step_count


class Plain(Contestant):
    name = "plain DCGAN"

    def __init__(self, images: np.ndarray, seed: int = 0, device: torch.device = torch.device("cpu")):
        self.device = device
        self.model = PlainDCGAN(images, seed=seed, device=device)
        self.describe = "the PyTorch example: dcgan width 64, textbook loss, fp32, batch 64, no EMA"

    def step(self) -> None:
        self.model.step()

    def samples(self, n: int) -> np.ndarray:
        z = z_batch_from_seeds(range(EVAL_SEED_BASE, EVAL_SEED_BASE + n), self.model.z_dim)
        return self.model.samples(z)

    @property
    def steps(self) -> int:
        return self.model.steps


def time_marks(minutes: float) -> list[float]:
    marks = [m for m in (0.5, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60) if m < minutes - 1e-9]
    return marks + [minutes]


def race(contestant: Contestant, marks: list[float], judge, grids: Path | None, label: str) -> list[Mark]:
    """Train until each mark (training time only: the clock stops while measuring)."""
    results: list[Mark] = []
    trained = 0.0
    for mark in marks:
        start = time.perf_counter()
        while trained + (time.perf_counter() - start) < mark * 60:
            contestant.step()
        contestant.wait()
        trained += time.perf_counter() - start
        fakes = contestant.samples(EVAL_IMAGES)
        swd, spread = judge(fakes)
        results.append(Mark(trained / 60, contestant.steps, swd, spread))
        print(f"    {contestant.name:<11} {trained / 60:5.2f} min  step {contestant.steps:>6}  SWD {swd:6.1f}  spread {spread:4.2f}", flush=True)
        if grids is not None:
            save_png(grids / f"{label}-{contestant.name.replace(' ', '-')}-{mark:g}min.png", make_grid(fakes[:36], cols=6), scale=2)
    return results


def median_marks(runs: list[list[Mark]]) -> list[Mark]:
    """Per mark, the median of several runs' figures (one run: itself)."""
    return [
        Mark(
            float(np.median([m.minutes for m in marks])),
            int(np.median([m.steps for m in marks])),
            float(np.median([m.swd for m in marks])),
            float(np.median([m.spread for m in marks])),
        )
        for marks in zip(*runs)
    ]


def race_seeds(make, seeds: int, marks: list[float], judge, grids: Path | None, label: str) -> list[Mark]:
    """Race `seeds` fresh contestants from make(seed); with more than one, print the medians."""
    runs = []
    for seed in range(seeds):
        contestant = make(seed)
        if seed == 0:
            print(f"  {contestant.name}: {contestant.describe}", flush=True)
        if seeds > 1:
            print(f"   seed {seed}", flush=True)
        runs.append(race(contestant, marks, judge, grids if seed == 0 else None, label))
        del contestant
    medians = median_marks(runs)
    if seeds > 1:
        for i, mark in enumerate(medians):
            swds = [run[i].swd for run in runs]
            print(f"    median of {seeds} {mark.minutes:5.2f} min  step {mark.steps:>6}  SWD {mark.swd:6.1f} "
                  f"({min(swds):.0f}-{max(swds):.0f})  spread {mark.spread:4.2f}", flush=True)
    return medians


def judge_against(reference: np.ndarray) -> Callable[[np.ndarray], tuple[float, float]]:
    """fakes -> (SWD against `reference`, spread over the reference's spread), as printed here."""
    metric = SlicedWasserstein(reference, seed=0, normalize="real")
    real_spread = mean_pairwise_distance(reference[:SPREAD_IMAGES])

    def judge(fakes: np.ndarray) -> tuple[float, float]:
        return metric(fakes).swd, mean_pairwise_distance(fakes[:SPREAD_IMAGES]) / real_spread

    return judge


def compare(
    set_name: str,
    images: np.ndarray,
    extra: np.ndarray | None,
    source: str,
    minutes: float,
    grids: Path | None,
    overrides: dict[str, dict] | None = None,
    with_plain: bool = True,
    seeds: int = 1,
    device: torch.device = torch.device("cpu"),
) -> bool | None:
    res = images.shape[1]
    picker = np.random.default_rng(0)
    order = picker.permutation(len(images))
    reference = images[order[:EVAL_IMAGES]] if len(images) >= EVAL_IMAGES else images[picker.choice(len(images), EVAL_IMAGES)]
    others = images[order[EVAL_IMAGES : 2 * EVAL_IMAGES]] if len(images) >= 2 * EVAL_IMAGES else extra
    judge = judge_against(reference)
    floor = f"{judge(others)[0]:.1f}" if others is not None else "n/a (set under 1,024 images)"

    print(f"\n== {set_name} at {res} px: {len(images)} images; floor (other real images) SWD {floor}", flush=True)
    marks = time_marks(minutes)
    label = f"{set_name}-{res}"
    ours = race_seeds(lambda seed: Studio(images, source, overrides, seed, device), seeds, marks, judge, grids, label)
    if not with_plain:
        return None
    theirs = race_seeds(lambda seed: Plain(images, seed, device), seeds, marks, judge, grids, label)

    print(f"  {'minutes':>7} {'GAN Studio':>11} {'plain DCGAN':>12} {'ratio':>6}   spread (ours / plain)")
    for mark, a, b in zip(marks, ours, theirs):
        print(f"  {mark:>7g} {a.swd:>11.1f} {b.swd:>12.1f} {a.swd / b.swd:>6.2f}   {a.spread:.2f} / {b.spread:.2f}")
    later = [(a, b) for mark, a, b in zip(marks, ours, theirs) if mark >= 1]
    if not later:
        print("  no verdict: the verdict counts the marks from 1 minute on (give --minutes 1 or more)", flush=True)
        return None
    better = all(a.swd <= 0.9 * b.swd for a, b in later)
    # Collapse is variety lost after it was there: spread falling to under half its best so
    # far, or too little of it at the end. (Early on every GAN draws much the same picture.)
    best, collapsed = 0.0, False
    for a, _ in later:
        best = max(best, a.spread)
        collapsed |= a.spread < 0.5 * best
    collapsed |= ours[-1].spread < 0.5
    print(f"  GAN Studio clearly better (SWD at least 10% lower at every mark from 1 min): {'YES' if better else 'NO'}; "
          f"collapsed: {'YES' if collapsed else 'no'} (final spread {ours[-1].spread:.2f})", flush=True)
    return better and not collapsed


def load_set(name: str, resolution: int, scratch: Path) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(the images, more images of the same kind for the floor or None, the source text)."""
    cache = scratch / "cache"
    if name == "glyphs":
        folder = scratch / "glyphs"
        if not folder.is_dir() and write_glyph_folder(folder, 2000) == 0:
            raise SystemExit("No fonts found on this machine for the glyphs set; leave it out with --sets.")
        source = str(folder)
    else:
        source = f"demo:{name}"
    loaded = load_images(source, resolution=resolution, cache_dir=cache)
    kind = name.split(":")[0]  # "shapes:10000" is the shapes demo set at 10,000 images
    extra = make_demo_set(kind, EVAL_IMAGES, resolution, seed=1) if source.startswith("demo:") else None
    return loaded.images, extra, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["shapes", "landscapes", "patterns", "glyphs"])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--minutes", type=float, default=3.0, help="training time of each side (default 3)")
    parser.add_argument("--grids", type=Path, help="save a 6x6 sample grid of each side at each mark here")
    parser.add_argument(
        "--override",
        type=parse_override,
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="change one of the preset's settings, as in a config.json (repeatable), to tune it with these figures",
    )
    parser.add_argument("--no-plain", action="store_true", help="train only GAN Studio's side (no verdict)")
    parser.add_argument("--seeds", type=int, default=1, help="train each side this many times and judge the median (default 1)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps", "auto"], help="where both sides train (default cpu)")
    args = parser.parse_args()
    overrides: dict[str, dict] = {}
    for section, name, value in args.override:
        overrides.setdefault(section, {})[name] = value
    try:
        with_overrides(RunConfig(), overrides)  # a misspelt setting stops here, not after minutes of training
    except ConfigError as exc:
        parser.error(str(exc))
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.grids:
        args.grids.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)

    print(f"torch {torch.__version__}, {describe_device(device)}; {args.minutes:g} min of training per side"
          + (f", {args.seeds} seeds each" if args.seeds > 1 else ""))
    verdicts = {}
    with tempfile.TemporaryDirectory(prefix="ganstudio-qpm-") as tmp:
        for res in args.resolutions:
            for name in args.sets:
                images, extra, source = load_set(name, res, Path(tmp))
                verdicts[f"{name} {res} px"] = compare(
                    name, images, extra, source, args.minutes, args.grids, overrides, not args.no_plain, args.seeds, device
                )
    if args.no_plain:
        return
    print("\nsummary: GAN Studio clearly better from 1 min on, without collapsing")
    for key, ok in verdicts.items():
        print(f"  {key:<18} {'no verdict' if ok is None else 'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
