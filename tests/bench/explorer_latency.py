"""Explorer latency: from a slider's value change to new pixels on the view.

    QT_QPA_PLATFORM=offscreen python tests/bench/explorer_latency.py [--changes 150] [--render-threads 0]

For a DCGAN at 64 px (width 64, z 128) and the "balanced" ResNet at 64 px (width 64,
z 128), on the CPU: a direction slider is moved to a new value every --interval ms
(a drag), and for each value change we time setValue() -> the moment the view's image
is set with the pixels of that change (ExploreCanvas.imageSet). Changes that a newer
one superseded before they were drawn (newest wins) are counted as skipped, not timed.
Done twice: idle, and while an engine.Trainer trains (32 px demo set) in a background
thread. Also times one bare forward pass (plain PyTorch) for comparison.

Not a test: figures depend on the machine. Goals: p95 <= 16 ms idle, <= 50 ms while training.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def bare_forward_ms(generator, z_dim: int, repeats: int = 50) -> float:
    z = torch.randn(1, z_dim)
    with torch.inference_mode():
        for _ in range(5):
            generator(z)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            generator(z)
            times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def measure(app, page, changes: int, interval_ms: float) -> tuple[np.ndarray, int]:
    """Drive a direction slider like a drag; return latencies (ms) of changes that were drawn."""
    slider = page.direction_sliders[0]
    started: dict[int, float] = {}
    latencies: list[float] = []

    def on_set():
        now = time.perf_counter()
        request_id = page._shown_id  # set just before the image (ExplorePage._on_rendered)
        t0 = started.pop(request_id, None)
        if t0 is not None:
            latencies.append((now - t0) * 1000)

    page.view.imageSet.connect(on_set)
    values = np.round(np.sin(np.linspace(0, 6 * np.pi, changes)) * 90).astype(int)
    loop = QEventLoop()
    state = {"i": 0}
    value = slider.value()

    def step():
        nonlocal value
        i = state["i"]
        if i >= changes:
            timer.stop()
            QTimer.singleShot(300, loop.quit)
            return
        v = int(values[i]) if int(values[i]) != value else int(values[i]) + 1
        t0 = time.perf_counter()
        slider.setValue(v)  # valueChanged -> model -> render request, all inside this call
        value = v
        started[page._view_id] = t0
        state["i"] += 1

    timer = QTimer()
    timer.setInterval(int(interval_ms))
    timer.timeout.connect(step)
    slider.setSliderDown(True)  # a real drag: one undo step, no grid refresh until released
    timer.start()
    loop.exec()
    slider.setSliderDown(False)
    page.view.imageSet.disconnect(on_set)
    skipped = changes - len(latencies)
    return np.array(latencies), skipped


def train_in_background(stop: threading.Event, rates: list[float]) -> threading.Thread:
    from ganstudio.config import RunConfig
    from ganstudio.data import load_images
    from ganstudio.training.trainer import Trainer

    cfg = RunConfig()
    cfg.data.source = "demo:shapes:1000"
    cfg.data.resolution = 32
    cfg.model.width = 32
    cfg.model.z_dim = 64
    cfg.train.minutes = 10.0
    cfg.schedule.metric_seconds = 1e9
    images = load_images(cfg.data.source, resolution=32).images

    def work():
        trainer = Trainer(cfg, images, None)
        for report in trainer.run():
            if len(report.d_loss):
                rates.append(report.images_per_second)
            if stop.is_set():
                trainer.request_stop()

    thread = threading.Thread(target=work, name="bench-trainer")
    thread.start()
    return thread


def report(name: str, lat: np.ndarray, skipped: int, goal: float) -> None:
    if len(lat) == 0:
        print(f"  {name}: nothing drawn")
        return
    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
    verdict = "ok" if p95 <= goal else "over goal"
    print(f"  {name:<16} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {lat.max():6.1f} ms   "
          f"({len(lat)} drawn, {skipped} superseded; goal p95 <= {goal:.0f} ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=150)
    parser.add_argument("--interval", type=float, default=16.0, help="ms between slider changes (60 Hz drag)")
    parser.add_argument("--render-threads", type=int, default=0, help="torch threads for the render thread (0 = leave)")
    parser.add_argument("--models", default="dcgan,resnet")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    from ganstudio.gui.app import configure_application
    from ganstudio.gui.controllers.explore import ExploreController
    from ganstudio.gui.pages.explore import ExplorePage
    from ganstudio.gui.state import ExploreState
    from ganstudio.models import build_generator

    configure_application(app)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"render thread torch threads: {args.render_threads or 'default'}; a change every {args.interval:.0f} ms")
    for arch in args.models.split(","):
        torch.manual_seed(0)
        generator = build_generator(arch, resolution=64, channels=3, z_dim=128, width=64).eval()
        state = ExploreState()
        page = ExplorePage(state)
        controller = ExploreController(state, page, render_threads=args.render_threads)
        page.resize(1200, 800)
        page.show()
        page.set_generator(generator, fingerprint="bench", run="bench", checkpoint=None, step=0, live=False)
        deadline = time.time() + 10
        while not page.is_idle() and time.time() < deadline:
            app.processEvents()
        page.grid.setVisible(False)  # time the big view alone (the grid refreshes after a drag ends)
        print(f"{arch} 64 px, width 64: bare forward pass {bare_forward_ms(generator, 128):.1f} ms (plain PyTorch, GUI thread)")
        lat, skipped = measure(app, page, args.changes, args.interval)
        report("idle", lat, skipped, 16)

        stop, rates = threading.Event(), []
        trainer = train_in_background(stop, rates)
        while not rates:  # until it really trains
            app.processEvents()
            time.sleep(0.05)
        lat, skipped = measure(app, page, args.changes, args.interval)
        report("while training", lat, skipped, 50)
        stop.set()
        while trainer.is_alive():
            app.processEvents()
            time.sleep(0.01)
        print(f"  training ran at {np.median(rates):,.0f} images/s meanwhile")
        page.shutdown()
        controller.shutdown()
        page.deleteLater()


if __name__ == "__main__":
    main()
