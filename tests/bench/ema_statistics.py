"""Which generator to show: the trained one, or its average with copied or re-measured statistics.

    python tests/bench/ema_statistics.py                                # patterns, 32 px
    python tests/bench/ema_statistics.py --set patterns --resolution 64 --steps 100 200 400 600
    python tests/bench/ema_statistics.py --set shapes --override train.seed=1

Trains the preset the app picks (as tests/bench/quality_per_minute.py does) and, at each
step mark, measures three generators on the same 512 fixed latents against 512 real images
(SWD x 1e3, lower is better; "spread" as in quality_per_minute.py):

* "EMA, copied": the averaged weights with the trained generator's batch-norm statistics,
  as GAN Studio showed and saved before it re-measured them;
* "EMA, own": the averaged weights with statistics measured on their own activations
  (`Trainer.ema_generator()`, what the app shows and saves now);
* "trained": the generator being trained, with its own statistics.

All three come from one run, so the comparison is at equal steps and unaffected by how
fast the machine is. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

import numpy as np
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_per_minute import EVAL_IMAGES, EVAL_SEED_BASE, Studio, judge_against, load_set, parse_override  # noqa: E402

from ganstudio.explore.latent import render, z_batch_from_seeds  # noqa: E402


def with_copied_statistics(trainer) -> nn.Module:
    """The averaged weights with the trained generator's batch-norm buffers, as update_ema leaves them."""
    ema = copy.deepcopy(trainer.G_ema)
    for mine, theirs in zip(ema.buffers(), trainer.G.buffers()):
        mine.copy_(theirs)
    return ema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="patterns", choices=["shapes", "landscapes", "patterns", "glyphs"])
    parser.add_argument("--resolution", type=int, default=32, choices=[32, 64, 128])
    parser.add_argument("--steps", type=int, nargs="+", default=[200, 450, 900, 1350])
    parser.add_argument("--override", type=parse_override, action="append", default=[],
                        help="SECTION.KEY=VALUE on top of the preset, e.g. train.seed=1")
    args = parser.parse_args()
    overrides: dict[str, dict] = {}
    for section, key, value in args.override:
        overrides.setdefault(section, {})[key] = value

    with tempfile.TemporaryDirectory() as scratch:
        images, _, source = load_set(args.set, args.resolution, Path(scratch))
        order = np.random.default_rng(0).permutation(len(images))
        judge = judge_against(images[order[:EVAL_IMAGES]])  # as quality_per_minute.py judges
        studio = Studio(images, source, overrides, seed=0)
        print(f"{args.set} at {args.resolution} px, {len(images)} images; {studio.describe}", flush=True)
        z = z_batch_from_seeds(range(EVAL_SEED_BASE, EVAL_SEED_BASE + EVAL_IMAGES), studio.trainer.G.z_dim)
        print(f"  {'step':>6}   {'EMA, copied':>18}   {'EMA, own':>18}   {'trained':>18}   (SWD, spread)")
        for mark in sorted(args.steps):
            while studio.steps < mark:
                studio.step()
            trainer = studio.trainer
            cells = []
            for generator in (with_copied_statistics(trainer), trainer.ema_generator(), trainer.G):
                swd, spread = judge(render(generator, z))
                cells.append(f"{swd:9.1f}, {spread:4.2f}")
            print(f"  {mark:>6}   {cells[0]:>18}   {cells[1]:>18}   {cells[2]:>18}", flush=True)


if __name__ == "__main__":
    main()
