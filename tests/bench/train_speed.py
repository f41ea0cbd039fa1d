"""Engine speed against a plain, minimal PyTorch loop of the same DCGAN, in the same run.

    python tests/bench/train_speed.py                  # 32, 64 and 128 px, both model sizes
    python tests/bench/train_speed.py --resolutions 32 --rounds 9 --no-compile
    python tests/bench/train_speed.py --device cuda    # on an NVIDIA GPU (tests/bench/gpu_session.sh)

Both sides train the same DCGAN (same width, latent size, batch, textbook loss, Adam
2e-4 / 0.5) on the same images for the same number of steps, after the same warm-up.
The plain loop is the classic DCGAN example: a DataLoader over float images, BCE on D's
output, D's weight gradients computed in the G step, PyTorch's own convolutions. The
engine runs its real `run()` loop, housekeeping included (see EngineSide). The column
"stock conv" is the preset's settings with PyTorch's own convolutions instead of the
engine's CPU routes (ganstudio/models/cpu_conv.py), to show what those add.

Two models: "textbook" is the paper's DCGAN (width 64, latent 100), the yardstick the
issue's figures use; "preset" is the network the app's default preset trains on the
device (`choose_preset` for a set of --images): on a CPU Quick sketch's DCGAN (width 32,
latent 64), on a GPU Balanced's residual networks (width 64, latent 128), timed the same
way against a plain loop of that network.

On a GPU the columns are fp32, fp32 channels-last, mixed precision (bf16 where the GPU
has it, else fp16 with a grad scaler) channels-last, and that compiled; "stock conv" is
left out (the engine's own convolution routes are for CPUs only). Each timed slice waits
for the GPU to finish before and after (`torch.cuda.synchronize`), slices last about
--slice-seconds, and the peak is a large channels-last convolution on the GPU in each
number format (fp32 with PyTorch's defaults: cuDNN may use TF32 for it, as it does for
the plain loop's convolutions).

On a CPU each resolution also gets a ceiling line. The plain loop, the engine in fp32
channels-last and the engine in the presets' reduced precision are timed at batch 2 as
well, in the same turns, and each step's time is split into a fixed part (set-up,
dispatch, optimiser: what a step costs whatever its batch) and a part per image. The
ceiling is the plain loop's step time over the engine's fp32 step with its per-image
part sped up by the whole bf16/fp32 peak ratio measured in the same run, plus the bf16
step's own fixed part: what perfect bf16 kernels would give. Where the ceiling is near
2x, no kernel work reaches the issue's 2x goal; only a smaller fixed part would.

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
from ganstudio.device import (  # noqa: E402
    compile_unavailable_reason,
    cpu_bf16_is_faster,
    cpu_supports_bf16,
    describe_device,
    pick_device,
    resolve_precision,
)
from ganstudio.training.trainer import Trainer  # noqa: E402
from ganstudio.models import build_discriminator, build_generator  # noqa: E402
from ganstudio.accel.cpu_conv import use_stock_convolutions  # noqa: E402
from ganstudio.presets import choose_preset, get_preset  # noqa: E402


@dataclass(frozen=True)
class ModelSize:
    name: str
    width: int
    z_dim: int
    arch: str = "dcgan"


TEXTBOOK = ModelSize("textbook", WIDTH, Z_DIM)
_QUICK_SKETCH = get_preset("quick-sketch")  # the CPU default (presets.choose_preset)
PRESET = ModelSize("preset", _QUICK_SKETCH.width, _QUICK_SKETCH.z_dim)


def preset_model(device: torch.device, n_images: int) -> ModelSize:
    """The network the app's default preset trains on this device for a set of n_images."""
    preset = get_preset(choose_preset(n_images, device.type))
    return ModelSize("preset", preset.width, preset.z_dim, preset.arch)


def wait_for(device: torch.device) -> None:
    """Let queued GPU work finish, so that a timing covers it (nothing to wait for on a CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PlainSide:
    """The classic PyTorch DCGAN example loop (plain_dcgan.py)."""

    def __init__(self, images, model: ModelSize, warmup: int, device: torch.device, batch: int = BATCH):
        self.device = device
        self.batch = batch
        self.model = PlainDCGAN(images, width=model.width, z_dim=model.z_dim, batch=batch, arch=model.arch, device=device)
        self.train(warmup)

    def train(self, steps: int) -> float:
        """Seconds for `steps` steps."""
        wait_for(self.device)
        start = time.perf_counter()
        for _ in range(steps):
            self.model.step()
        wait_for(self.device)
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
        compile: bool = False, stock_conv: bool = False, device: torch.device = torch.device("cpu"), batch: int = BATCH,
    ):
        cfg = RunConfig()
        cfg.data.resolution = images.shape[1]
        cfg.data.mirror = "off"
        cfg.model.arch, cfg.model.width, cfg.model.z_dim = model.arch, model.width, model.z_dim
        cfg.loss.kind = "ns"
        cfg.train.batch = batch
        cfg.train.precision = precision
        cfg.train.channels_last = channels_last
        cfg.train.compile = compile
        cfg.schedule.metric_seconds = 1e9
        cfg.schedule.tick_steps = slice_steps
        self.slice_steps = slice_steps
        self.batch = batch
        self.device = device
        self.trainer = Trainer(cfg.validate(), images, None, device=device)
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
        wait_for(self.device)
        start = time.perf_counter()
        next(self.ticks)  # the tick reads the statistics back: the GPU has caught up by then
        wait_for(self.device)
        return time.perf_counter() - start

    def close(self) -> None:
        self.ticks.close()


def race(sides: dict[str, object], steps: dict[str, int], rounds: int) -> dict[str, list[float]]:
    """Images/s of every side in each round; the sides take turns so drift hits all alike."""
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            rates[name].append(steps[name] * side.batch / side.train(steps[name]))
    return rates


@dataclass(frozen=True)
class StepCost:
    """A step's time as fixed + per_image * batch (milliseconds), fitted from two batch sizes."""

    fixed: float
    per_image: float

    @staticmethod
    def fit(small: tuple[int, float], large: tuple[int, float]) -> "StepCost":
        (b1, t1), (b2, t2) = small, large
        per_image = (t2 - t1) / (b2 - b1)
        return StepCost(t1 - per_image * b1, per_image)


def ms_per_step(rate: float, batch: int = BATCH) -> float:
    return batch / rate * 1e3


def ceiling_ratio(plain_ms: float, engine_fp32: StepCost, engine_low_fixed: float, peak_ratio: float) -> float:
    """The most the reduced-precision engine could beat the plain loop by, on this machine.

    Takes the engine's own fp32 channels-last step and speeds every per-image part of it
    up by the whole peak ratio of the two number formats (what a perfect bf16 kernel
    would give: compute-bound work can go no faster), keeping the fixed per-step cost
    that the reduced-precision step actually measured. Real bf16 kernels fall short of
    the peak ratio, so the measured ratio stays below this.
    """
    return plain_ms / (engine_low_fixed + engine_fp32.per_image * BATCH / peak_ratio)


SMALL_BATCH = 2  # a step at this batch is nearly all fixed cost: set-up, dispatch, optimiser
SMALL_SUFFIX = f"@{SMALL_BATCH}"


def small_name(column: str) -> str:
    return column + SMALL_SUFFIX


def flops_per_image(resolution: int, model: ModelSize) -> float:
    """FLOPs of one training step of the plain loop, per image (torch.utils.flop_counter).

    Counts what the textbook step computes: D on reals and fakes (forward and backward),
    G forward, and D forward plus the backward into G for the generator update.
    """
    from torch.utils.flop_counter import FlopCounterMode

    # PyTorch's own convolutions: the counter counts what runs, and the CPU routes can do
    # more multiplications for the same result (the phase route: 9/4 of them).
    G = use_stock_convolutions(build_generator(model.arch, resolution=resolution, channels=3, z_dim=model.z_dim, width=model.width))
    D = use_stock_convolutions(build_discriminator(model.arch, resolution=resolution, channels=3, width=model.width))
    criterion = nn.BCEWithLogitsLoss()
    real = torch.randn(BATCH, 3, resolution, resolution)
    with FlopCounterMode(display=False) as counter:
        ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
        criterion(D(real), ones).backward()
        fake = G(torch.randn(BATCH, model.z_dim))
        criterion(D(fake.detach()), zeros).backward()
        criterion(D(fake), ones).backward()
    return counter.get_total_flops() / BATCH


def peak_conv_flops(dtype: torch.dtype, device: torch.device = torch.device("cpu"), seconds: float = 1.5) -> float:
    """The machine's practical peak: a large channels-last 3x3 convolution, in FLOP/s."""
    batch, size = (32, 32) if device.type == "cpu" else (128, 64)  # a GPU needs far more work to fill
    x = torch.randn(batch, 256, size, size, device=device).to(memory_format=torch.channels_last)
    conv = nn.Conv2d(256, 256, 3, padding=1, bias=False).to(device, memory_format=torch.channels_last)
    flops = 2 * 256 * 256 * 9 * size * size * batch
    context = torch.autocast(device.type, dtype=dtype) if dtype != torch.float32 else torch.no_grad()
    with torch.no_grad(), context:
        for _ in range(3):
            conv(x)
        wait_for(device)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(10 if device.type == "cuda" else 1):  # a GPU call returns before it has run
                conv(x)
                count += 1
            wait_for(device)
        return count * flops / (time.perf_counter() - start)


def slice_steps(plain: PlainSide, seconds: float) -> int:
    """Steps that take the plain loop about `seconds` (a GPU's steps vary too much by model to guess)."""
    spent = plain.train(5)
    return max(5, round(seconds * 5 / spent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--models", nargs="+", choices=["textbook", "preset"], default=["textbook", "preset"])
    parser.add_argument("--steps", type=int, default=0, help="steps per timed slice (default: about 1-2 s of work)")
    parser.add_argument("--rounds", type=int, default=5, help="timed slices per column, taken in turns (default 5)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"], help="where to train (default cpu)")
    parser.add_argument("--slice-seconds", type=float, default=1.0, help="on a GPU: the plain loop's time per slice")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile column (it compiles for 15-30 s)")
    args = parser.parse_args()

    device = pick_device(args.device)
    on_cpu = device.type == "cpu"
    preset_precision = resolve_precision("auto", device).name  # what the presets use on this device
    # The reduced-precision column: bf16 where the CPU has the instructions, else the GPU's choice.
    low = ("bf16" if cpu_supports_bf16() else None) if on_cpu else preset_precision
    preset_column = f"{preset_precision}+CL" if preset_precision != "fp32" else "fp32+CL"
    why_no_compile = "skipped" if args.no_compile else compile_unavailable_reason(device)
    if on_cpu:
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 instructions: {cpu_supports_bf16()},"
            f" bf16 measured faster than fp32: {cpu_bf16_is_faster()}"
        )
    else:
        print(f"torch {torch.__version__}, {describe_device(device)}")
    print(f"batch {BATCH}, textbook loss; images/s (higher is better), median of {args.rounds} slices taken in turns")
    print(f"preset settings on this device: {preset_precision}{' autocast' if preset_precision != 'fp32' else ''}, channels-last, no compile")
    if why_no_compile:
        print(f"torch.compile column: {why_no_compile}")
    models = {"textbook": TEXTBOOK, "preset": PRESET if on_cpu else preset_model(device, args.images)}
    low_column = f"{low}+CL" if low else None
    columns = ["plain", "fp32", "fp32+CL"] + ([low_column] if low_column else []) + (["stock"] if on_cpu else []) + ["compile"]
    titles = {"plain": "plain fp32", "fp32": "engine fp32", "stock": "stock conv", "compile": preset_column + "+compile"}
    # The machine's peak in both number formats, measured now (the ceiling below needs them).
    low_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(low)
    peaks = (peak_conv_flops(torch.float32, device), peak_conv_flops(low_dtype, device) if low_dtype else float("nan"))
    rows = []
    for model_name in args.models:
        model = models[model_name]
        print(f"\n{model.name} {model.arch}: width {model.width}, latent {model.z_dim}")
        header = " ".join(f"{titles.get(c, c):>{max(9, len(titles.get(c, c)))}}" for c in columns)
        header = f"{'res':>4} {header} {'preset':>7} {'preset/plain':>13} {'(range)':>13}"
        print(header)
        print("-" * len(header))
        for res in args.resolutions:
            images = make_demo_set("shapes", args.images, res, seed=0)
            plain = PlainSide(images, model, args.warmup, device)
            if args.steps:
                steps = args.steps
            elif on_cpu:
                # About a second of plain-loop work per slice at width 64; narrower models run more steps.
                steps = max(2, int(16 * (32 / res) ** 2 * (WIDTH / model.width)))
            else:
                steps = slice_steps(plain, args.slice_seconds)

            def engine(precision: str, channels_last: bool, **kw) -> EngineSide:
                return EngineSide(images, model, args.warmup, steps, precision, channels_last, device=device, **kw)

            sides: dict[str, object] = {"plain": plain, "fp32": engine("fp32", False), "fp32+CL": engine("fp32", True)}
            if low_column:
                sides[low_column] = engine(low, True)
            if on_cpu:
                sides["stock"] = engine(preset_precision, True, stock_conv=True)
            if not why_no_compile:
                # Compiled in the presets' own number format.
                sides["compile"] = engine(preset_precision, True, compile=True)
            # On a CPU the same columns at batch SMALL_BATCH too, in the same turns: what a step
            # costs whatever its batch, for the ceiling (see ceiling_ratio).
            small = ["plain", "fp32+CL", low_column] if on_cpu and low_column else []
            for name in small:
                small_steps = steps * 4
                sides[small_name(name)] = (
                    PlainSide(images, model, args.warmup, device, batch=SMALL_BATCH)
                    if name == "plain"
                    else EngineSide(
                        images, model, args.warmup, small_steps, "fp32" if name == "fp32+CL" else low, True,
                        device=device, batch=SMALL_BATCH,
                    )
                )
            rates = race(sides, {name: steps * 4 if name.endswith(SMALL_SUFFIX) else steps for name in sides}, args.rounds)
            median = {name: statistics.median(values) for name, values in rates.items()}
            ratios = [p / q for p, q in zip(rates[preset_column], rates["plain"])]

            def cell(name: str) -> str:
                width = max(9, len(titles.get(name, name)))
                return f"{median[name]:>{width}.0f}" if name in median else f"{'-':>{width}}"

            print(
                f"{res:>4} {' '.join(cell(c) for c in columns)}"
                f" {median[preset_column]:>7.0f} {statistics.median(ratios):>12.2f}x {min(ratios):>6.2f}-{max(ratios):.2f}x",
                flush=True,
            )
            rows.append((model, res, median["plain"], max(median["fp32"], median["fp32+CL"]), median.get(low_column, float("nan"))))
            if small:
                costs = {
                    name: StepCost.fit(
                        (SMALL_BATCH, statistics.median(ms_per_step(r, SMALL_BATCH) for r in rates[small_name(name)])),
                        (BATCH, ms_per_step(median[name])),
                    )
                    for name in small
                }
                peak_ratio = peaks[1] / peaks[0]
                fitted = all(c.fixed > 0 and c.per_image > 0 for c in costs.values())
                if fitted:
                    ceiling = ceiling_ratio(ms_per_step(median["plain"]), costs["fp32+CL"], costs[low_column].fixed, peak_ratio)
                    said = f"{ceiling:.2f}x (fp32+CL's per-image part at {low}'s peak, {peak_ratio:.2f}x fp32's, plus {low_column}'s fixed cost)"
                else:  # a busy machine: the two batch sizes' timings crossed, and a negative cost means nothing
                    said = "unknown: the timings were too noisy to split a step into fixed and per-image parts (more --rounds)"
                print(
                    "     ms a step = fixed + per image x batch: "
                    + ", ".join(f"{name} {c.fixed:.1f} + {c.per_image:.3f} x {BATCH}" for name, c in costs.items())
                    + f"\n     ceiling: {said}",
                    flush=True,
                )
            for side in sides.values():
                if isinstance(side, EngineSide):
                    side.close()
            del sides, plain
            torch._dynamo.reset()

    # Achieved FLOP/s against the machine's peak, measured in the same run and precision.
    peak32, peak_low = peaks
    unit, scale = ("GFLOP/s", 1e9) if on_cpu else ("TFLOP/s", 1e12)
    print(f"\npeak (channels-last 3x3 conv, 256 ch): fp32 {peak32 / scale:,.0f} {unit}, {low or 'bf16'} {peak_low / scale:,.0f} {unit}")
    print(f"{'model':>9} {'res':>4} {'GFLOP/img':>10} {'plain fp32':>16} {'engine fp32':>16} {'engine ' + (low or 'bf16'):>16}   {unit} (share of peak)")
    for model, res, plain_rate, fp32, low_rate in rows:
        per_image = flops_per_image(res, model)

        def share(rate: float, peak: float) -> str:
            achieved = rate * per_image
            return f"{achieved / scale:6.{0 if on_cpu else 1}f} ({achieved / peak:4.0%})" if rate == rate else "-"

        print(
            f"{model.name:>9} {res:>4} {per_image / 1e9:>10.3f} {share(plain_rate, peak32):>16} {share(fp32, peak32):>16}"
            f" {share(low_rate, peak_low):>16}"
        )


if __name__ == "__main__":
    main()
