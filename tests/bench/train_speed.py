"""Engine speed against a plain, minimal PyTorch loop of the same DCGAN, in the same run.

    python tests/bench/train_speed.py                  # 32, 64 and 128 px, a few dozen steps each
    python tests/bench/train_speed.py --resolutions 32 --steps 100

Both sides train the same DCGAN (same width, latent size, batch, textbook loss, Adam
2e-4 / 0.5) on the same images for the same number of steps, after the same warm-up.
The plain loop is the classic DCGAN example: a DataLoader over float images, BCE on D's
output, D's weight gradients computed in the G step. The engine runs its real `run()`
loop, housekeeping included (ticks, the final sample grid and quality figure).

Not a test: it prints figures to compare side by side. Speed depends on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_dcgan import BATCH, WIDTH, Z_DIM, PlainDCGAN  # noqa: E402

from ganstudio.config import RunConfig  # noqa: E402
from ganstudio.data import make_demo_set  # noqa: E402
from ganstudio.device import compile_unavailable_reason, cpu_supports_bf16, resolve_precision  # noqa: E402
from ganstudio.engine import Trainer  # noqa: E402
from ganstudio.models import build_discriminator, build_generator  # noqa: E402



def plain_loop(images, resolution: int, steps: int, warmup: int) -> float:
    """The classic PyTorch DCGAN example loop (plain_dcgan.py); images/s over the timed steps."""
    model = PlainDCGAN(images, width=WIDTH, z_dim=Z_DIM, batch=BATCH)
    for _ in range(warmup):
        model.step()
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return steps * BATCH / (time.perf_counter() - start)


def engine_loop(
    images, resolution: int, steps: int, warmup: int, precision: str, channels_last: bool, compile: bool = False
) -> float:
    cfg = RunConfig()
    cfg.data.resolution = resolution
    cfg.data.flip = False
    cfg.model.arch, cfg.model.width, cfg.model.z_dim = "dcgan", WIDTH, Z_DIM
    cfg.loss.kind = "ns"
    cfg.train.batch = BATCH
    cfg.train.precision = precision
    cfg.train.channels_last = channels_last
    cfg.train.compile = compile
    cfg.train.steps = warmup + steps
    cfg.schedule.metric_seconds = 1e9
    trainer = Trainer(cfg.validate(), images, None, device="cpu")
    for _ in range(warmup + (3 if compile else 0)):  # compiling happens in the first steps
        trainer.step()
    start = time.perf_counter()
    for _ in trainer.run():
        pass
    return steps * BATCH / (time.perf_counter() - start)


def flops_per_image(resolution: int) -> float:
    """FLOPs of one training step of the plain loop, per image (torch.utils.flop_counter).

    Counts what the textbook step computes: D on reals and fakes (forward and backward),
    G forward, and D forward plus the backward into G for the generator update.
    """
    from torch.utils.flop_counter import FlopCounterMode

    G = build_generator("dcgan", resolution=resolution, channels=3, z_dim=Z_DIM, width=WIDTH)
    D = build_discriminator("dcgan", resolution=resolution, channels=3, width=WIDTH)
    criterion = nn.BCEWithLogitsLoss()
    real = torch.randn(BATCH, 3, resolution, resolution)
    with FlopCounterMode(display=False) as counter:
        ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
        criterion(D(real), ones).backward()
        fake = G(torch.randn(BATCH, Z_DIM))
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
    parser.add_argument("--steps", type=int, default=0, help="timed steps per run (default: scaled to resolution)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile column (it compiles for 15-30 s)")
    args = parser.parse_args()

    cpu = torch.device("cpu")
    preset_precision = resolve_precision("auto", cpu).name  # what the presets use on this CPU
    why_no_compile = "skipped" if args.no_compile else compile_unavailable_reason(cpu)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 kernels: {cpu_supports_bf16()}")
    print(f"DCGAN width {WIDTH}, latent {Z_DIM}, batch {BATCH}, textbook loss; images/s (higher is better)")
    print(f"preset settings on this CPU: {preset_precision} autocast, channels-last, no compile")
    if why_no_compile:
        print(f"torch.compile column: {why_no_compile}")
    print()
    header = (
        f"{'res':>4} {'plain fp32':>11} {'engine fp32':>12} {'fp32+CL':>9} {'bf16+CL':>9} {'bf16+CL+compile':>16}"
        f" {'preset':>7} {'preset/plain':>13}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for res in args.resolutions:
        steps = args.steps or max(10, int(60 * (32 / res) ** 2))
        images = make_demo_set("shapes", args.images, res, seed=0)
        plain = plain_loop(images, res, steps, args.warmup)
        fp32 = engine_loop(images, res, steps, args.warmup, "fp32", False)
        fp32_cl = engine_loop(images, res, steps, args.warmup, "fp32", True)
        bf16 = engine_loop(images, res, steps, args.warmup, "bf16", True) if cpu_supports_bf16() else float("nan")
        compiled = float("nan")
        if not why_no_compile and cpu_supports_bf16():
            compiled = engine_loop(images, res, steps, args.warmup, "bf16", True, compile=True)
            torch._dynamo.reset()
        preset = bf16 if preset_precision == "bf16" else fp32_cl
        print(
            f"{res:>4} {plain:>11.0f} {fp32:>12.0f} {fp32_cl:>9.0f} {bf16:>9.0f} {compiled:>16.0f}"
            f" {preset:>7.0f} {preset / plain:>12.2f}x",
            flush=True,
        )
        rows.append((res, plain, max(fp32, fp32_cl), bf16))

    # Achieved FLOP/s against the machine's peak, measured now in the same precision.
    peak32 = peak_conv_flops(torch.float32)
    peak16 = peak_conv_flops(torch.bfloat16) if cpu_supports_bf16() else float("nan")
    print(f"\npeak (channels-last 3x3 conv, 256 ch): fp32 {peak32 / 1e9:,.0f} GFLOP/s, bf16 {peak16 / 1e9:,.0f} GFLOP/s")
    print(f"{'res':>4} {'GFLOP/img':>10} {'plain fp32':>16} {'engine fp32':>16} {'engine bf16':>16}   GFLOP/s (share of peak)")
    for res, plain, fp32, bf16 in rows:
        per_image = flops_per_image(res)

        def share(rate: float, peak: float) -> str:
            achieved = rate * per_image
            return f"{achieved / 1e9:6.0f} ({achieved / peak:4.0%})" if rate == rate else "-"

        print(f"{res:>4} {per_image / 1e9:>10.3f} {share(plain, peak32):>16} {share(fp32, peak32):>16} {share(bf16, peak16):>16}")


if __name__ == "__main__":
    main()
