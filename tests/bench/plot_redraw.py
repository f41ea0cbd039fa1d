"""Redraw cost of the training curves over a million-step run, downsampling/clip on vs off.

    python tests/bench/plot_redraw.py                      # 1,000,000 steps in ticks of 100
    python tests/bench/plot_redraw.py --steps 200000 --samples 40

Appends the run tick by tick into a shown TrainingPlots, and every so often times one
redraw: handing the data to the curves (setData) and the paint that follows ("paint" is
that part alone). It does so twice
in the same process: with the settings the app uses (peak-mode auto-downsampling and
clip-to-view) and with both off. Besides the whole-run view it times a view zoomed into the
newest 2% of the run, where clip-to-view is what helps.

Not a test: it prints figures. Times depend on the machine and the Qt platform plugin
(offscreen by default, so it runs without a display).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from ganstudio.training.trainer import TickReport  # noqa: E402
from ganstudio.gui.widgets.plots import TrainingPlots  # noqa: E402
from ganstudio.training.metrics import QualityFigure  # noqa: E402


def report(first: int, k: int, rng: np.random.Generator, swd: float | None) -> TickReport:
    t = np.arange(first, first + k, dtype=np.float64)
    decay = np.exp(-t / 2e5)
    return TickReport(
        step=first + k - 1, first_step=first, images_seen=0,
        d_loss=0.6 + 0.4 * decay + 0.15 * rng.standard_normal(k),
        g_loss=1.0 + 1.5 * decay + 0.3 * rng.standard_normal(k),
        d_real=np.clip(0.6 + 0.1 * rng.standard_normal(k), 0, 1),
        d_fake=np.clip(0.4 + 0.1 * rng.standard_normal(k), 0, 1),
        steps_per_second=0.0, images_per_second=0.0, elapsed=0.0, eta=None, progress=None, batch=64,
        lr_scale=1.0, augment_probability=0.0, state="running",
        quality=QualityFigure(swd, (swd,), 1000) if swd is not None else None,
    )


def timed_redraw(app: QApplication, plots: TrainingPlots) -> tuple[float, float]:
    """(whole redraw, of which painting): setData, then the one paint the event loop does."""
    started = time.perf_counter()
    plots.flush()
    app.processEvents()  # the update request that setData posted: one paint, as in the app
    return time.perf_counter() - started, plots._canvas.last_paint_seconds


def run(app: QApplication, fast: bool, steps: int, tick: int, samples: int) -> dict[str, np.ndarray]:
    plots = TrainingPlots()
    plots.resize(1000, 700)
    plots.show()
    app.processEvents()
    for plot in plots.plot_items():
        plot.setDownsampling(auto=fast, mode="peak" if fast else None, ds=1)
        plot.setClipToView(fast)
    rng = np.random.default_rng(0)
    ticks = steps // tick
    every = max(1, ticks // samples)
    whole, zoomed, appends, paints = [], [], [], []
    for i in range(ticks):
        first = 1 + i * tick
        swd = 80.0 * np.exp(-first / 3e5) + 5.0 if i % 500 == 0 else None
        t0 = time.perf_counter()
        plots.append_report(report(first, tick, rng, swd))
        appends.append(time.perf_counter() - t0)
        if (i + 1) % every == 0:
            total, paint = timed_redraw(app, plots)
            whole.append(total)
            paints.append(paint)
    # Zoomed into the newest 2%: clip-to-view only draws what is in the window.
    end = ticks * tick
    plots.plot_items()[0].setXRange(end * 0.98, end, padding=0)
    for _ in range(max(3, samples // 4)):
        plots._dirty = True  # as if a new tick had arrived
        zoomed.append(timed_redraw(app, plots)[0])
    plots.close()
    plots.deleteLater()
    app.processEvents()
    return {"whole": np.array(whole), "paint": np.array(paints), "zoomed": np.array(zoomed), "append": np.array(appends)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--tick", type=int, default=100)
    parser.add_argument("--samples", type=int, default=60, help="redraws timed along the run")
    parser.add_argument("--off-samples", type=int, default=8, help="the same with both off (each takes seconds)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"{args.steps:,} steps in ticks of {args.tick}; Qt platform {app.platformName()}")
    print(f"{'setting':<28}{'view':<10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for fast, label in ((True, "downsample peak + clip"), (False, "no downsample, no clip")):
        t0 = time.perf_counter()
        result = run(app, fast, args.steps, args.tick, args.samples if fast else args.off_samples)
        for view in ("whole", "paint", "zoomed"):
            ms = result[view] * 1e3
            print(f"{label:<28}{view:<10}{np.percentile(ms, 50):9.1f}{np.percentile(ms, 99):9.1f}{ms.max():9.1f}")
        app_ms = result["append"] * 1e3
        print(
            f"{'':<28}{'append':<10}{np.percentile(app_ms, 50):9.3f}{np.percentile(app_ms, 99):9.3f}{app_ms.max():9.1f}"
            f"   ({time.perf_counter() - t0:.0f} s for this setting)"
        )


if __name__ == "__main__":
    main()
