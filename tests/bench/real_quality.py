"""Quality per minute on real images, as an artist gets it, against the textbook DCGAN loop.

    python tests/bench/real_quality.py                                   # every set, 0.5/1/2/5 min, seeds 0-2
    python tests/bench/real_quality.py --sets fonts --minutes 1 2 --seeds 0 1
    python tests/bench/real_quality.py --sets photos --minutes 0.2 --seeds 0 --work /tmp/rq   # a quick look
    python tests/bench/real_quality.py --sets fonts --minutes 1 --sides studio --train-args="--loss rpgan"  # try a change

Needs, beyond the app: Debian's font packages (fonts-urw-base35, fonts-noto-core,
fonts-noto-color-emoji, ...) and scikit-image (its sample photographs); see real_sets.py.

For each real set, each seed and each time mark M, one after the other on this machine:

* "studio": what the artist gets. `ganstudio train --data TRAIN --resolution 32 --minutes M
  --seed S` in a fresh process, every other setting as the app picks it, then `ganstudio
  generate RUN --n 2000 --seed 0`: the default checkpoint, written as PNG files and read back.
  "studio latest" is the same run's `--checkpoint latest`.
* "textbook 32" and "textbook 64": the classic PyTorch DCGAN loop (plain_dcgan.py: BCE, Adam
  2e-4, betas 0.5/0.999, batch 64, no EMA, no augmentation, the set's own channels) at the
  preset's width and at the example's width 64, trained for M minutes of wall clock on the
  same decoded images, then 2,000 samples from fixed latents.

All are judged by judge.py: a classifier trained on the set's held-out half (no GAN sees
it) gives the Fréchet distance (FD, lower is better), precision, recall and class coverage
against the training half. The app's own figure (SWD) picks its 'best'; it plays no part here.

Verdict per set and mark from 1 minute on: "30% better" when studio's median FD is at most
0.7 x the better textbook median and its median recall and coverage are at least as high;
at 30 s, "no worse" when its FD is at most the better textbook's.
Not a test: it prints a table to compare side by side.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from judge import Judge, Score  # noqa: E402
from plain_dcgan import PlainDCGAN  # noqa: E402
from real_sets import BUILDERS  # noqa: E402

from ganstudio.data import load_images  # noqa: E402
from ganstudio.explore.latent import z_batch_from_seeds  # noqa: E402

SAMPLES = 2_000
RESOLUTION = 32
SIDES = ("studio", "studio latest", "textbook 32", "textbook 64")


def cpu_kind() -> str:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    model = next((line.split(":", 1)[1].strip() for line in flags.splitlines() if line.startswith("model name")), "?")
    kind = "AMX" if " amx_tile" in flags else "AVX-512 BF16" if "avx512_bf16" in flags else "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{model}, {kind}, {os.cpu_count()} cores"


def read_pngs(folder: Path) -> np.ndarray:
    from PIL import Image

    files = sorted(folder.glob("seed-*.png"))
    return np.stack([np.asarray(Image.open(f)).reshape(RESOLUTION, RESOLUTION, -1) for f in files])


def run_cli(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"ganstudio {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def studio(train_dir: Path, minutes: float, seed: int, work: Path, extra: list[str]) -> dict[str, np.ndarray]:
    run = work / f"run-{minutes}-{seed}"
    shutil.rmtree(run, ignore_errors=True)
    run_cli("train", "--data", str(train_dir), "--resolution", str(RESOLUTION), "--minutes", str(minutes),
            "--seed", str(seed), "--out", str(run), "--quiet", *extra)
    out = {}
    for side, which in (("studio", None), ("studio latest", "latest")):
        folder = work / f"pieces-{minutes}-{seed}-{which or 'default'}"
        shutil.rmtree(folder, ignore_errors=True)
        extra = ["--checkpoint", which] if which else []
        run_cli("generate", str(run), "--n", str(SAMPLES), "--seed", "0", "--out", str(folder), *extra)
        out[side] = read_pngs(folder)
        shutil.rmtree(folder, ignore_errors=True)
    return out


def textbook(images: np.ndarray, width: int, minutes: float, seed: int) -> np.ndarray:
    loop = PlainDCGAN(images, width=width, seed=seed)
    end = time.perf_counter() + minutes * 60
    while time.perf_counter() < end:
        loop.step()
    z = z_batch_from_seeds([7_000_000 + i for i in range(SAMPLES)], loop.z_dim)
    return loop.samples(z)


def summary(scores: list[Score]) -> str:
    fd = [s.fd for s in scores]
    med = lambda xs: float(np.median(xs))  # noqa: E731
    text = f"{med(fd):7.2f}"
    if len(fd) > 1:
        text += f" ({min(fd):.2f}-{max(fd):.2f})"
    return text + f" R {med([s.recall for s in scores]):.2f} C {med([s.coverage for s in scores]):.2f}"


def verdict(results: dict[str, list[Score]], minutes: float) -> str:
    med = lambda side, key: float(np.median([getattr(s, key) for s in results[side]]))  # noqa: E731
    rival = min(("textbook 32", "textbook 64"), key=lambda side: med(side, "fd"))
    ours = med("studio", "fd")
    if minutes < 1:
        return "no worse" if ours <= med(rival, "fd") else f"WORSE than {rival}"
    better = ours <= 0.7 * med(rival, "fd") and med("studio", "recall") >= med(rival, "recall") \
        and med("studio", "coverage") >= med(rival, "coverage")
    return "30% better" if better else f"not 30% better than {rival} ({ours / med(rival, 'fd'):.2f}x its FD)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=list(BUILDERS), choices=list(BUILDERS))
    parser.add_argument("--minutes", nargs="+", type=float, default=[0.5, 1, 2, 5])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--work", default=None, help="folder for the sets and runs (default: a new temporary one)")
    parser.add_argument("--sides", nargs="+", default=["studio", "textbook"], choices=["studio", "textbook"],
                        help="leave the textbook loop out to try a change of the app's recipe quickly")
    parser.add_argument("--train-args", default="", help="extra flags for `ganstudio train`, e.g. \"--loss rpgan\"")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(__import__("tempfile").mkdtemp(prefix="real-quality-"))
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"CPU: {cpu_kind()}; torch {torch.__version__}; work folder {work}", flush=True)
    table = []
    for name in args.sets:
        real = BUILDERS[name](work / "sets")
        loaded = load_images(str(real.train_dir), resolution=RESOLUTION, color="auto")
        images = loaded.images  # what the app trains on; gray sets have one channel
        judge_images = load_images(str(real.judge_dir), resolution=RESOLUTION, color="auto").images
        judge = Judge(judge_images, real.judge_labels, images)
        floor = judge.score(judge_images[: len(images)])
        print(f"\n{name}: {len(images)} training images ({images.shape[-1]} channel(s)), {real.classes} classes; "
              f"judge accuracy on its own images {judge.accuracy:.2f}; held-out reals score {floor}", flush=True)
        for minutes in args.minutes:
            results: dict[str, list[Score]] = {side: [] for side in SIDES}
            for seed in args.seeds:
                began = time.perf_counter()
                if "studio" in args.sides:
                    for side, fakes in studio(real.train_dir, minutes, seed, work / name, args.train_args.split()).items():
                        results[side].append(judge.score(fakes))
                if "textbook" in args.sides:
                    for width in (32, 64):
                        results[f"textbook {width}"].append(judge.score(textbook(images, width, minutes, seed)))
                line = "  ".join(f"{side}: {results[side][-1]}" for side in SIDES if results[side])
                print(f"  {minutes:g} min seed {seed} ({time.perf_counter() - began:.0f} s): {line}", flush=True)
            shown = [side for side in SIDES if results[side]]
            row = [name, f"{minutes:g}"] + [summary(results[side]) if results[side] else "-" for side in SIDES]
            row.append(verdict(results, minutes) if len(shown) == len(SIDES) else "-")
            table.append(row)
            print("  | " + " | ".join(row) + " |", flush=True)
    print("\n| set | minutes | " + " | ".join(f"{side}: FD median (range), recall, coverage" for side in SIDES) + " | verdict |")
    print("|" + "---|" * (len(SIDES) + 3))
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
