"""How well does the trainer's up-front estimate of a step's memory match a real step?

    python tests/bench/batch_memory.py --batches 256 512   # per image, once the fixed costs are small beside the batch

For each setting, a fresh process builds the real Trainer on demo images, reads its resident
memory before the first step, trains a few steps, and reads its peak; the difference, per
image, is set beside training/memory.py's estimate. Not a test: it prints figures. The
estimate should be at or above the measurement (the check must not let a batch through that
does not fit) and not far above it (it must not shrink batches that fit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
import torch
from ganstudio.config import RunConfig
from ganstudio.data import load_images
from ganstudio.plan import compose_run
from ganstudio.training.memory import bytes_per_image
from ganstudio.training.trainer import Trainer

preset, resolution, batch = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = RunConfig()
config.data.source = f"demo:landscapes:256"
config.data.resolution = resolution
config.data.color, config.data.mirror = "rgb", "on"
config = compose_run(config.data, preset, 256, None, base=config)
config.train.batch, config.train.steps = batch, 4
config.schedule.metric_first_seconds = config.schedule.metric_seconds = 1e9
images = load_images(config.data.source, resolution=resolution, color="rgb", cache_dir="")
trainer = Trainer(config, images.images, None, device="cpu")
estimate = bytes_per_image(trainer.G, trainer.D, z_dim=config.model.z_dim, resolution=resolution, channels=3,
                           element_bytes=4 if trainer.precision.autocast_dtype is None else 2)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
for _ in trainer.run():
    pass
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate_per_image": estimate, "measured_per_image": (after - before) / trainer.batch,
                  "batch": trainer.batch, "arch": config.model.arch, "width": config.model.width}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["quick-sketch", "balanced"])
    parser.add_argument("--resolutions", nargs="+", type=int, default=[64, 128])
    parser.add_argument("--batches", nargs="+", type=int, default=[256, 512])
    args = parser.parse_args()
    print(f"{'preset':<14}{'px':>5}{'batch':>7}  {'estimate MB/img':>16}{'measured MB/img':>17}  ratio")
    for preset in args.presets:
        for resolution in args.resolutions:
            for batch in args.batches:
                done = subprocess.run([sys.executable, "-c", CHILD, str(REPO), preset, str(resolution), str(batch)],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{preset:<14}{resolution:>5}{batch:>7}  failed: {done.stderr.strip().splitlines()[-1:]}")
                    continue
                r = json.loads(done.stdout.strip().splitlines()[-1])
                est, got = r["estimate_per_image"] / 1e6, r["measured_per_image"] / 1e6
                print(f"{preset:<14}{resolution:>5}{batch:>7}  {est:>16.2f}{got:>17.2f}  {est / max(got, 1e-9):.2f}")


if __name__ == "__main__":
    main()
