"""Soak: train in the real window for a long time and watch the process's memory stay flat.

    QT_QPA_PLATFORM=offscreen python tests/bench/soak.py --minutes 30

Trains the default CPU preset on a demo set through the main window (curves, sample
timeline and explorer following along, as an artist would leave it overnight) and prints
the resident memory once a minute, then the start/end figures. Not a test: it takes as long
as you ask. Memory should level off after the first minutes (torch's allocator and the
data set), not grow with the number of steps.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ganstudio.config import DataConfig  # noqa: E402


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # not Linux: peak instead of current
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--source", default="demo:shapes:2000")
    parser.add_argument("--resolution", type=int, default=32)
    args = parser.parse_args()

    from bench_window import open_window_ready_to_train, stop_and_close

    from ganstudio.gui.app import configure_application

    app = QApplication.instance() or QApplication([])
    configure_application(app)
    with tempfile.TemporaryDirectory() as runs_dir:
        choice = DataConfig(source=args.source, resolution=args.resolution)
        win, config = open_window_ready_to_train(app, choice, runs_dir)
        win.start_training(config)
        win.tabs.setCurrentWidget(win.explore_page)  # the explorer follows training too
        samples = []
        started = time.time()

        def sample():
            report = win.training.last_report
            step = report.step if report is not None else 0
            samples.append((time.time() - started, step, rss_mb()))
            print(f"{samples[-1][0] / 60:6.1f} min  step {step:>8,}  RSS {samples[-1][2]:8.1f} MB", flush=True)
            if time.time() - started >= args.minutes * 60:
                app.exit(0)

        timer = QTimer()
        timer.timeout.connect(sample)
        timer.start(60_000)
        QTimer.singleShot(5_000, sample)
        app.exec()
        timer.stop()
        points = win.train_page.plots.point_count()
        grids = win.train_page.samples.grids_in_memory()
        stop_and_close(app, win)

    first, last = samples[1] if len(samples) > 1 else samples[0], samples[-1]
    print(
        f"\nafter {last[0] / 60:.1f} min and {last[1]:,} steps: RSS {first[2]:.0f} MB at {first[0] / 60:.1f} min -> "
        f"{last[2]:.0f} MB at the end ({last[2] - first[2]:+.0f} MB); curve points held {points:,}, grids in memory {grids}"
    )


if __name__ == "__main__":
    main()
