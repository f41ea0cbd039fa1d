"""ScanWorker and ScanController on real files: results, errors, cancel, supersede, shutdown."""

from __future__ import annotations

from pathlib import Path

import time

import numpy as np
import pytest
from PIL import Image

from ganstudio.config import DataConfig
from ganstudio.data import ImageSet
from ganstudio.gui.workers import scan as scan_thread
from ganstudio.gui.controllers.scan import ScanController
from ganstudio.gui.state import CANCELLED_MESSAGE
from ganstudio.gui.workers.scan import ScanWorker
from ganstudio.gui.state import DataState

# Big enough that it is still drawing when we cancel (about 10 s if left alone), and a
# count no other test completes, so it is never already in the test cache.
BIG = "demo:shapes:20000"


def write_folder(folder, good=5, broken=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(good):
        Image.fromarray(rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    if broken:
        (folder / "broken.png").write_bytes(b"this is not a png")
    return folder


@pytest.fixture
def state():
    return DataState()


@pytest.fixture
def controller(state):
    ctl = ScanController(state, debounce_ms=20, scan_initial=False)
    yield ctl
    assert ctl.shutdown(5000)


def wait_landed(qtbot, state, timeout=10_000):
    # bool(): waitUntil treats a callback returning None as "no assertion failed: done".
    qtbot.waitUntil(lambda: bool(not state.scanning and (state.images is not None or state.error)),
                    timeout=timeout)


def test_folder_with_a_broken_file_gives_images_and_a_skipped_entry(qtbot, tmp_path, state, controller):
    folder = write_folder(tmp_path / "art")
    state.set_choice(DataConfig(source=str(folder), resolution=16))
    wait_landed(qtbot, state)
    assert state.error is None
    assert isinstance(state.images, ImageSet)
    assert state.images.images.shape == (5, 16, 16, 3)
    assert [s.path.endswith("broken.png") for s in state.images.skipped] == [True]
    assert state.images.skipped[0].reason
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=2000)


def test_the_choice_present_at_start_is_scanned(qtbot):
    state = DataState()
    state.set_choice(DataConfig(source="demo:patterns:7", resolution=16))  # e.g. restored settings
    ctl = ScanController(state, debounce_ms=0)
    wait_landed(qtbot, state)
    assert state.images.count == 7
    assert ctl.shutdown(5000)


def test_missing_folder_sets_a_one_line_error(qtbot, tmp_path, state, controller):
    missing = tmp_path / "nowhere"
    state.set_choice(DataConfig(source=str(missing)))
    wait_landed(qtbot, state)
    assert state.images is None
    assert str(missing) in state.error and "\n" not in state.error


def test_progress_reaches_the_state(qtbot, tmp_path, state, controller):
    seen = []
    state.scanProgress.connect(lambda d, t: seen.append((d, t)))
    state.set_choice(DataConfig(source=str(write_folder(tmp_path / "p", good=6, broken=False)), resolution=16))
    wait_landed(qtbot, state)
    assert seen and seen[-1] == (6, 6)


def test_cancel_is_prompt_and_leaves_no_images_and_no_thread(qtbot, state, controller):
    progress = []
    state.scanProgress.connect(lambda d, t: progress.append(d))
    state.set_choice(DataConfig(source=BIG, resolution=64))
    qtbot.waitUntil(lambda: bool(progress) and progress[-1] > 0, timeout=10_000)
    t0 = time.monotonic()
    controller.cancel()
    wait_landed(qtbot, state)
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=2000)
    assert time.monotonic() - t0 < 2.0
    assert state.images is None and state.error == CANCELLED_MESSAGE


def test_a_second_choice_supersedes_the_first(qtbot, tmp_path, state, controller):
    landed = []
    state.imagesChanged.connect(lambda: landed.append((state.images, state.error)))
    state.set_choice(DataConfig(source=BIG, resolution=64))
    qtbot.waitUntil(controller.is_running, timeout=5000)  # the big scan really started
    small = str(write_folder(tmp_path / "small", good=3, broken=False))
    state.set_choice(DataConfig(source=small, resolution=16))
    wait_landed(qtbot, state)
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=5000)
    qtbot.wait(50)  # any late signal of the first scan would have arrived by now
    assert len(landed) == 1
    images, error = landed[0]
    assert error is None and images.source == small and images.count == 3


def test_quick_changes_start_one_scan(qtbot, tmp_path, state):
    ctl = ScanController(state, debounce_ms=100, scan_initial=False)
    starts = []
    state.scanStarted.connect(lambda: starts.append(state.choice.resolution))
    folder = str(write_folder(tmp_path / "q", good=2, broken=False))
    for res in (16, 32, 64):
        state.set_choice(DataConfig(source=folder, resolution=res))
    wait_landed(qtbot, state)
    assert starts == [64] and state.images.images.shape[1] == 64
    assert ctl.shutdown(5000)


def test_flip_alone_does_not_rescan_but_rescan_does(qtbot, tmp_path, state, controller):
    folder = str(write_folder(tmp_path / "f", good=2, broken=False))
    state.set_choice(DataConfig(source=folder, resolution=16, mirror="off"))
    wait_landed(qtbot, state)
    starts = []
    state.scanStarted.connect(lambda: starts.append(1))
    state.set_choice(DataConfig(source=folder, resolution=16, mirror="on"))
    qtbot.wait(100)
    assert starts == [] and not controller.is_pending()
    write_folder(tmp_path / "f", good=4, broken=False)  # the artist added images
    controller.rescan()
    wait_landed(qtbot, state)
    qtbot.waitUntil(lambda: state.images.count == 4, timeout=5000)
    assert starts == [1]


def test_shutdown_joins_a_running_scan(qtbot, state):
    ctl = ScanController(state, debounce_ms=0, scan_initial=False)
    state.set_choice(DataConfig(source=BIG, resolution=64))
    qtbot.waitUntil(ctl.is_running, timeout=5000)
    t0 = time.monotonic()
    assert ctl.shutdown(5000)
    assert time.monotonic() - t0 < 2.0
    assert not ctl.is_running()
    state.set_choice(DataConfig(source="demo:patterns", resolution=16))  # closed: starts nothing
    qtbot.wait(50)
    assert not ctl.is_running() and not ctl.is_pending()


def test_worker_reports_a_bad_background_colour_in_one_line(qtbot):
    worker = ScanWorker(DataConfig(source="demo:shapes:4", resolution=16, background="pink"))
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start()
    assert worker.wait(5000)
    assert "#rrggbb" in blocker.args[0]


def test_worker_turns_an_unexpected_exception_into_a_message(qtbot, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(scan_thread, "load_images", boom)
    worker = ScanWorker(DataConfig(source="demo:shapes:4", resolution=16))
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start()
    assert worker.wait(5000)
    # One line for the user, and where the whole traceback was kept (a crash report).
    first, _, rest = blocker.args[0].partition(". Details are in ")
    assert first == "Could not read demo:shapes:4: disk on fire"
    report = Path(rest.rstrip("."))
    assert report.is_file() and "second line" in report.read_text()


def test_worker_finishes_with_an_image_set(qtbot):
    worker = ScanWorker(DataConfig(source="demo:landscapes:6", resolution=16, color="gray"))
    with qtbot.waitSignal(worker.finished_ok, timeout=5000) as blocker:
        worker.start()
    assert worker.wait(5000)
    assert blocker.args[0].images.shape == (6, 16, 16, 1)
