"""Peak memory of training on 10,000 images at 64 px, from a folder of real PNG files.

    python tests/bench/train_memory.py [--images 10000] [--steps 60]

Writes the images (demo landscapes at 96 px, so every one is resized as a user's would be)
to a temporary folder once, then runs `ganstudio train` on it in a fresh process and reads
that process's peak resident memory from the OS. For scale it also starts a process that
only imports torch and the engine. The data set is held as uint8: 10,000 x 64 x 64 x 3
bytes = 123 MB; as float32 it would be 4x that. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def peak_rss_mb(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run a child to the end; (its peak RSS in MB, wall seconds, its output)."""
    start = time.perf_counter()
    # ru_maxrss of RUSAGE_CHILDREN is the largest of all children waited for so far, so
    # each measurement runs in its own intermediate process.
    probe = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.stderr.write(r.stdout + r.stderr); sys.exit(r.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    kb = int(done.stdout.strip().splitlines()[-1])
    return kb / 1024, time.perf_counter() - start, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()

    from PIL import Image

    from ganstudio.data import make_demo_set

    with tempfile.TemporaryDirectory(prefix="ganstudio-mem-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        start = time.perf_counter()
        for i, image in enumerate(make_demo_set("landscapes", args.images, 96, seed=3)):
            Image.fromarray(image).save(folder / f"img-{i:05d}.png")
        print(f"wrote {args.images} PNG files (96 px) in {time.perf_counter() - start:.0f} s")

        env = {**os.environ, "PYTHONPATH": str(REPO), "GANSTUDIO_CACHE_DIR": str(Path(tmp) / "cache")}
        base, _, _ = peak_rss_mb([sys.executable, "-c", "import torch, ganstudio.training.trainer"], env)
        train = [sys.executable, "-m", "ganstudio", "train", "--data", str(folder), "--resolution", "64",
                 "--steps", str(args.steps), "--quiet"]
        cold, cold_s, _ = peak_rss_mb([*train, "--out", str(Path(tmp) / "run-cold")], env)
        warm, warm_s, _ = peak_rss_mb([*train, "--out", str(Path(tmp) / "run-warm")], env)

    data_mb = args.images * 64 * 64 * 3 / 2**20
    print(f"data set as uint8: {data_mb:.0f} MB (as float32 it would be {4 * data_mb:.0f} MB)")
    print(f"python + torch + engine imported, nothing else: peak {base:.0f} MB")
    print(f"train {args.steps} steps at 64 px, images decoded from the folder: peak {cold:.0f} MB, {cold_s:.0f} s in all")
    print(f"the same again, images from the cache:                 peak {warm:.0f} MB, {warm_s:.0f} s in all")


if __name__ == "__main__":
    main()
