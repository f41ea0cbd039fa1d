"""Engine speed against a plain, minimal PyTorch loop of the same DCGAN, in the same run.

    python tests/bench/train_speed.py                  # 32, 64 and 128 px, both model sizes
    python tests/bench/train_speed.py --resolutions 32 --rounds 9 --no-compile

Both sides train the same DCGAN (same width, latent size, batch, textbook loss, Adam
2e-4 / 0.5) on the same images for the same number of steps, after the same warm-up.
The plain loop is the classic DCGAN example: a DataLoader over float images, BCE on D's
output, D's weight gradients computed in the G step, PyTorch's own convolutions. The
engine runs its real `run()` loop, housekeeping included (see EngineSide). The column
"stock conv" is the preset's settings with PyTorch's own convolutions instead of the
engine's CPU routes (ganstudio/models/cpu_conv.py), to show what those add.

Two models: "textbook" is the paper's DCGAN (width 64, latent 100), the yardstick the
issue's figures use; "preset" is the network the Quick sketch preset actually trains on a
CPU (width 32, latent 64), timed the same way against a plain loop of that network.

A shared cloud machine drifts by 10-20% within a minute, so one long timing per column
compares different moments. Every column is built once and then timed in short slices,
taking turns (round 1: plain, fp32, ..., round 2: plain, fp32, ...); each figure is the
median over the rounds, and the ratio is the median of the per-round ratios.

Not a test: it prints figures to compare side by side. Speed depends on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_dcgan import BATCH, WIDTH, Z_DIM, PlainDCGAN  # noqa: E402

from ganstudio.config import RunConfig  # noqa: E402
from ganstudio.data import make_demo_set  # noqa: E402
from ganstudio.device import compile_unavailable_reason, cpu_bf16_is_faster, cpu_supports_bf16, resolve_precision  # noqa: E402
from ganstudio.engine import Trainer  # noqa: E402
from ganstudio.models import build_discriminator, build_generator  # noqa: E402
from ganstudio.models.cpu_conv import use_stock_convolutions  # noqa: E402
from ganstudio.presets import get_preset  # noqa: E402


@dataclass(frozen=True)
class ModelSize:
    name: str
    width: int
    z_dim: int


TEXTBOOK = ModelSize("textbook", WIDTH, Z_DIM)
_QUICK_SKETCH = get_preset("quick-sketch")  # the CPU default (presets.choose_preset)
PRESET = ModelSize("preset", _QUICK_SKETCH.width, _QUICK_SKETCH.z_dim)


class PlainSide:
    """The classic PyTorch DCGAN example loop (plain_dcgan.py)."""

    def __init__(self, images, model: ModelSize, warmup: int):
        self.model = PlainDCGAN(images, width=model.width, z_dim=model.z_dim, batch=BATCH)
        self.train(warmup)

    def train(self, steps: int) -> float:
        """Seconds for `steps` steps."""
        start = time.perf_counter()
        for _ in range(steps):
            self.model.step()
        return time.perf_counter() - start


class EngineSide:
    """The engine's real run() loop, with the given number format and memory layout.

    One run() is started and kept going for the whole benchmark, as a user's run is: each
    timed slice is one tick of `slice_steps` steps, with the tick's housekeeping (the
    statistics read back, and the sample grid, rollback point and EMA copy whenever their
    wall-clock intervals come due). Starting a fresh run() per slice would charge its
    start-up and final sample grid to every slice of a few steps.
    """

    def __init__(
        self, images, model: ModelSize, warmup: int, slice_steps: int, precision: str, channels_last: bool,
        compile: bool = False, stock_conv: bool = False,
    ):
        cfg = RunConfig()
        cfg.data.resolution = images.shape[1]
        cfg.data.flip = False
        cfg.model.arch, cfg.model.width, cfg.model.z_dim = "dcgan", model.width, model.z_dim
        cfg.loss.kind = "ns"
        cfg.train.batch = BATCH
        cfg.train.precision = precision
        cfg.train.channels_last = channels_last
        cfg.train.compile = compile
        cfg.schedule.metric_seconds = 1e9
        cfg.schedule.tick_steps = slice_steps
        self.slice_steps = slice_steps
        self.trainer = Trainer(cfg.validate(), images, None, device="cpu")
        if stock_conv:
            use_stock_convolutions(self.trainer.G)
            use_stock_convolutions(self.trainer.D)
        for _ in range(warmup + (3 if compile else 0)):  # compiling happens in the first steps
            self.trainer.step()
        self.trainer._stats.clear()
        self.ticks = self.trainer.run()  # no step or time limit: runs until closed
        next(self.ticks)  # run()'s own start-up, untimed

    def train(self, steps: int) -> float:
        """Seconds for the next tick of run(): `steps` steps and the tick's housekeeping."""
        assert steps == self.slice_steps
        start = time.perf_counter()
        next(self.ticks)
        return time.perf_counter() - start

    def close(self) -> None:
        self.ticks.close()


def race(sides: dict[str, object], steps: int, rounds: int) -> dict[str, list[float]]:
    """Images/s of every side in each round; the sides take turns so drift hits all alike."""
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            rates[name].append(steps * BATCH / side.train(steps))
    return rates


def flops_per_image(resolution: int, model: ModelSize) -> float:
    """FLOPs of one training step of the plain loop, per image (torch.utils.flop_counter).

    Counts what the textbook step computes: D on reals and fakes (forward and backward),
    G forward, and D forward plus the backward into G for the generator update.
    """
    from torch.utils.flop_counter import FlopCounterMode

    # PyTorch's own convolutions: the counter counts what runs, and the CPU routes can do
    # more multiplications for the same result (the phase route: 9/4 of them).
    G = use_stock_convolutions(build_generator("dcgan", resolution=resolution, channels=3, z_dim=model.z_dim, width=model.width))
    D = use_stock_convolutions(build_discriminator("dcgan", resolution=resolution, channels=3, width=model.width))
    criterion = nn.BCEWithLogitsLoss()
    real = torch.randn(BATCH, 3, resolution, resolution)
    with FlopCounterMode(display=False) as counter:
        ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
        criterion(D(real), ones).backward()
        fake = G(torch.randn(BATCH, model.z_dim))
        criterion(D(fake.detach()), zeros).backward()
        criterion(D(fake), ones).backward()
    return counter.get_total_flops() / BATCH


def peak_conv_flops(dtype: torch.dtype, seconds: float = 1.5) -> float:
    """The machine's practical peak: a large channels-last 3x3 convolution, in FLOP/s."""
    x = torch.randn(32, 256, 32, 32).to(memory_format=torch.channels_last)
    conv = nn.Conv2d(256, 256, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
    flops = 2 * 256 * 256 * 9 * 32 * 32 * 32
    context = torch.autocast("cpu", dtype=dtype) if dtype != torch.float32 else torch.no_grad()
    with torch.no_grad(), context:
        for _ in range(3):
            conv(x)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            conv(x)
            count += 1
        return count * flops / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--models", nargs="+", choices=["textbook", "preset"], default=["textbook", "preset"])
    parser.add_argument("--steps", type=int, default=0, help="steps per timed slice (default: about 1-2 s of work)")
    parser.add_argument("--rounds", type=int, default=5, help="timed slices per column, taken in turns (default 5)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile column (it compiles for 15-30 s)")
    args = parser.parse_args()

    cpu = torch.device("cpu")
    bf16 = cpu_supports_bf16()
    preset_precision = resolve_precision("auto", cpu).name  # what the presets use on this CPU
    preset_column = "bf16+CL" if preset_precision == "bf16" else "fp32+CL"
    why_no_compile = "skipped" if args.no_compile else compile_unavailable_reason(cpu)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 instructions: {bf16},"
        f" bf16 measured faster than fp32: {cpu_bf16_is_faster()}"
    )
    print(f"batch {BATCH}, textbook loss; images/s (higher is better), median of {args.rounds} slices taken in turns")
    print(f"preset settings on this CPU: {'bf16 autocast' if preset_precision == 'bf16' else 'fp32'}, channels-last, no compile")
    if why_no_compile:
        print(f"torch.compile column: {why_no_compile}")
    models = {size.name: size for size in (TEXTBOOK, PRESET)}
    rows = []
    for model_name in args.models:
        model = models[model_name]
        print(f"\n{model.name} DCGAN: width {model.width}, latent {model.z_dim}")
        header = (
            f"{'res':>4} {'plain fp32':>11} {'engine fp32':>12} {'fp32+CL':>9} {'bf16+CL':>9} {'stock conv':>11} {preset_column + '+compile':>16}"
            f" {'preset':>7} {'preset/plain':>13} {'(range)':>13}"
        )
        print(header)
        print("-" * len(header))
        for res in args.resolutions:
            # About a second of plain-loop work per slice at width 64; narrower models run more steps.
            steps = args.steps or max(2, int(16 * (32 / res) ** 2 * (WIDTH / model.width)))
            images = make_demo_set("shapes", args.images, res, seed=0)
            sides: dict[str, object] = {
                "plain": PlainSide(images, model, args.warmup),
                "fp32": EngineSide(images, model, args.warmup, steps, "fp32", False),
                "fp32+CL": EngineSide(images, model, args.warmup, steps, "fp32", True),
            }
            if bf16:
                sides["bf16+CL"] = EngineSide(images, model, args.warmup, steps, "bf16", True)
            sides["stock"] = EngineSide(images, model, args.warmup, steps, preset_precision, True, stock_conv=True)
            if not why_no_compile:
                # Compiled in the presets' own number format: bf16 where the CPU has it, else fp32.
                sides["compile"] = EngineSide(images, model, args.warmup, steps, preset_precision, True, compile=True)
            rates = race(sides, steps, args.rounds)
            median = {name: statistics.median(values) for name, values in rates.items()}
            ratios = [p / q for p, q in zip(rates[preset_column], rates["plain"])]

            def cell(name: str, width: int) -> str:
                return f"{median[name]:>{width}.0f}" if name in median else f"{'-':>{width}}"

            print(
                f"{res:>4} {cell('plain', 11)} {cell('fp32', 12)} {cell('fp32+CL', 9)} {cell('bf16+CL', 9)} {cell('stock', 11)} {cell('compile', 16)}"
                f" {median[preset_column]:>7.0f} {statistics.median(ratios):>12.2f}x {min(ratios):>6.2f}-{max(ratios):.2f}x",
                flush=True,
            )
            rows.append((model, res, median["plain"], max(median["fp32"], median["fp32+CL"]), median.get("bf16+CL", float("nan"))))
            for side in sides.values():
                if isinstance(side, EngineSide):
                    side.close()
            del sides
            torch._dynamo.reset()

    # Achieved FLOP/s against the machine's peak, measured now in the same precision.
    peak32 = peak_conv_flops(torch.float32)
    peak16 = peak_conv_flops(torch.bfloat16) if bf16 else float("nan")
    print(f"\npeak (channels-last 3x3 conv, 256 ch): fp32 {peak32 / 1e9:,.0f} GFLOP/s, bf16 {peak16 / 1e9:,.0f} GFLOP/s")
    print(f"{'model':>9} {'res':>4} {'GFLOP/img':>10} {'plain fp32':>16} {'engine fp32':>16} {'engine bf16':>16}   GFLOP/s (share of peak)")
    for model, res, plain, fp32, bf16_rate in rows:
        per_image = flops_per_image(res, model)

        def share(rate: float, peak: float) -> str:
            achieved = rate * per_image
            return f"{achieved / 1e9:6.0f} ({achieved / peak:4.0%})" if rate == rate else "-"

        print(
            f"{model.name:>9} {res:>4} {per_image / 1e9:>10.3f} {share(plain, peak32):>16} {share(fp32, peak32):>16}"
            f" {share(bf16_rate, peak16):>16}"
        )


if __name__ == "__main__":
    main()
