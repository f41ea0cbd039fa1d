"""Time from typing `ganstudio` to a window that answers clicks, and to a known device.

    QT_QPA_PLATFORM=offscreen python tests/bench/startup.py [--runs 5]

Starts the real app (`python -m ganstudio`) in a fresh process each run and times, from
just before the process starts: the event loop's first turn after the window is shown
(the window is painted and takes input), and the moment the background device probe has
loaded torch and named the device. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def one_start() -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="ganstudio-startup-") as home:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "GANSTUDIO_REPORT_STARTUP": "1",
            "XDG_CONFIG_HOME": home,  # fresh settings: the first-start window
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        }
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "ganstudio"], stdout=subprocess.PIPE, text=True, env=env)
        marks: dict[str, float] = {}
        try:
            for line in child.stdout:
                if line.startswith("ganstudio-startup: "):
                    marks[line.split(": ", 1)[1].strip()] = time.perf_counter() - start
                if len(marks) == 2:
                    break
        finally:
            child.kill()
            child.wait()
        return marks["window usable"], marks["device known"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_start()  # the first start pays for cold file caches; not what a user sees the second time
    usable, device = zip(*(one_start() for _ in range(args.runs)))
    print(f"{args.runs} starts of `python -m ganstudio` (after one warm-up start), seconds:")
    print(f"  window usable: median {statistics.median(usable):.2f}  min {min(usable):.2f}  max {max(usable):.2f}")
    print(f"  device known : median {statistics.median(device):.2f}  min {min(device):.2f}  max {max(device):.2f}")


if __name__ == "__main__":
    main()
