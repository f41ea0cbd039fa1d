"""SampleTimeline: the preview shows the right grid, scrubbing works, memory stays bounded."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ganstudio.export import make_grid, save_png
from ganstudio.gui.widgets import sample_view
from ganstudio.gui.widgets.images import to_qimage
from ganstudio.gui.widgets.sample_view import PLACEHOLDER, SampleTimeline


def grid(value: int, shape=(34, 66, 3)) -> np.ndarray:
    """A recognisable grid: every pixel `value`, with a marker pixel so orientation matters."""
    g = np.full(shape, value % 256, np.uint8)
    g[0, 0] = 255 - value % 256
    return g


@pytest.fixture
def timeline(qtbot):
    widget = SampleTimeline()
    qtbot.addWidget(widget)
    widget.resize(400, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def slider(widget):
    return widget.findChild(object, "sampleTimelineSlider")


def live_button(widget):
    return widget.findChild(object, "sampleLiveButton")


def test_empty_state_is_a_friendly_message(timeline):
    preview = timeline.findChild(object, "samplePreview")
    assert preview is not None and preview.accessibleName() == "Sample preview"
    assert timeline.current_image() is None and timeline.current_step() is None
    assert preview.message() == PLACEHOLDER
    assert not slider(timeline).isEnabled()
    timeline.grab()  # paints the placeholder without trouble


def test_add_grid_shows_it_with_its_step(timeline):
    g = grid(40)
    timeline.add_grid(12345, g)
    assert timeline.current_step() == 12345
    assert np.array_equal(timeline.current_image(), g)
    assert timeline.caption() == "Step 12,345"
    g[:] = 0  # the caller reusing its buffer must not change what is shown
    assert timeline.current_image()[1, 1, 0] == 40


def test_the_painted_preview_is_crisp_and_keeps_aspect(timeline):
    g = np.zeros((20, 40, 3), np.uint8)
    g[:, ::2] = 255  # one-pixel stripes: any smoothing would show grey
    timeline.add_grid(1, g)
    preview = timeline.preview()
    rect = preview.target_rect()
    assert rect.width() == pytest.approx(2 * rect.height())
    image = preview.grab().toImage()
    x0, y0 = int(rect.left()) + 1, int(rect.top() + rect.height() / 2)
    greys = {image.pixelColor(x, y0).red() for x in range(x0, x0 + int(rect.width()) - 2)}
    assert greys <= {0, 255}


def test_slider_scrubs_to_an_older_grid_exactly(timeline, qtbot):
    grids = {step: grid(step) for step in (100, 200, 300, 400)}
    for step, g in grids.items():
        timeline.add_grid(step, g)
    s = slider(timeline)
    assert s.isEnabled() and s.maximum() == 3 and s.value() == 3
    s.setFocus()
    qtbot.keyClick(s, Qt.Key_Left)
    qtbot.keyClick(s, Qt.Key_Left)  # as a user would, with the keyboard
    assert timeline.current_step() == 200
    assert np.array_equal(timeline.current_image(), grids[200])
    assert timeline.caption() == "Step 200"
    assert not timeline.is_live() and not live_button(timeline).isChecked()


def test_live_follows_and_scrubbing_pins(timeline):
    timeline.add_grid(1, grid(1))
    timeline.add_grid(2, grid(2))
    assert timeline.is_live() and live_button(timeline).isChecked()
    timeline.add_grid(3, grid(3))
    assert timeline.current_step() == 3  # live: follows the newest

    slider(timeline).setValue(0)  # the user pins the first grid
    timeline.add_grid(4, grid(4))
    timeline.add_grid(5, grid(5))
    assert timeline.current_step() == 1  # new grids arrive without yanking the user back
    assert np.array_equal(timeline.current_image(), grid(1))
    assert slider(timeline).maximum() == 4 and slider(timeline).value() == 0

    live_button(timeline).click()  # back to live
    assert timeline.is_live() and timeline.current_step() == 5
    slider(timeline).setValue(2)
    slider(timeline).setValue(slider(timeline).maximum())  # dragging to the end follows again
    assert timeline.is_live()
    timeline.add_grid(6, grid(6))
    assert timeline.current_step() == 6


def test_grey_grids_display(timeline):
    g = grid(90, shape=(18, 18, 1))
    timeline.add_grid(7, g)
    assert timeline.current_image().shape == (18, 18, 1)
    assert np.array_equal(timeline.current_image(), g)
    timeline.add_grid(8, g[:, :, 0])  # (H, W) is grey too
    assert timeline.current_image().shape == (18, 18, 1)
    image = timeline.preview().grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert (centre.red(), centre.green(), centre.blue()) == (90, 90, 90)


def test_qimage_is_built_with_the_right_stride():
    g = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)  # 15-byte rows: not 4-aligned
    image = to_qimage(g)
    for y in range(3):
        for x in range(5):
            c = image.pixelColor(x, y)
            assert (c.red(), c.green(), c.blue()) == tuple(g[y, x])


def test_bad_grid_is_refused(timeline):
    with pytest.raises(ValueError):
        timeline.add_grid(1, np.zeros((4, 4, 3), np.float32))
    assert timeline.grid_count() == 0


def test_run_samples_from_disk_show_and_load_lazily(timeline, tmp_path, monkeypatch, tiny_images):
    items = []
    for k, step in enumerate((500, 1000, 1500)):
        pixels = make_grid(np.roll(tiny_images[:4], k, axis=0))
        path = save_png(tmp_path / "samples" / f"step-{step:09d}.png", pixels)
        items.append((step, path))
    reads = []
    real_read = sample_view.read_grid
    monkeypatch.setattr(sample_view, "read_grid", lambda p: reads.append(p) or real_read(p))

    timeline.add_grid(5, grid(5))
    timeline.load_run_samples(items)
    assert timeline.grid_count() == 3
    assert reads == [items[-1][1]]  # only the grid shown was decoded
    assert timeline.current_step() == 1500 and timeline.caption() == "Step 1,500"
    assert np.array_equal(timeline.current_image(), make_grid(np.roll(tiny_images[:4], 2, axis=0)))
    slider(timeline).setValue(0)
    assert np.array_equal(timeline.current_image(), make_grid(tiny_images[:4]))

    # A resumed run's next live grid is saved in the same folder: it stays reachable from disk.
    newer = make_grid(tiny_images[4:8])
    save_png(tmp_path / "samples" / f"step-{2000:09d}.png", newer)
    timeline.add_grid(2000, newer)
    assert timeline.grid_count() == 4 and timeline.current_step() == 500  # still pinned


def test_a_missing_file_shows_a_message_not_a_crash(timeline, tmp_path):
    good = save_png(tmp_path / "step-000000001.png", grid(9))
    timeline.load_run_samples([(1, good), (2, tmp_path / "step-000000002.png")])
    assert timeline.current_image() is None and "could not be read" in timeline.preview().message()
    assert timeline.caption() == "Step 2"
    slider(timeline).setValue(0)
    assert np.array_equal(timeline.current_image(), grid(9))


def test_truncate_after_drops_later_grids(timeline):
    for step in (10, 20, 30, 40):
        timeline.add_grid(step, grid(step))
    timeline.truncate_after(25)
    assert timeline.grid_count() == 2 and timeline.current_step() == 20
    slider(timeline).setValue(0)
    timeline.truncate_after(15)
    assert timeline.current_step() == 10  # the pinned grid survived


def test_clear_returns_to_the_placeholder(timeline):
    timeline.add_grid(1, grid(1))
    timeline.clear()
    assert timeline.grid_count() == 0 and timeline.current_image() is None
    assert timeline.preview().message() == PLACEHOLDER and timeline.caption() == ""


def test_memory_stays_bounded_over_a_long_run(timeline):
    g = grid(3)
    for step in range(1, 1001):
        timeline.add_grid(step, g)
    # No files: only the newest LIVE_GRIDS stay, as the only copies.
    assert timeline.grid_count() == sample_view.LIVE_GRIDS
    assert timeline.grids_in_memory() == sample_view.LIVE_GRIDS
    assert timeline.current_step() == 1000


def test_memory_stays_bounded_with_a_run_folder(timeline, tmp_path):
    small = grid(7, shape=(6, 6, 3))
    folder = tmp_path / "samples"
    png = save_png(tmp_path / "one.png", small).read_bytes()  # written once: save_png fsyncs, slowly
    folder.mkdir()
    timeline.set_samples_folder(folder)
    for step in range(1, 1001):
        (folder / f"step-{step:09d}.png").write_bytes(png)  # the engine saves before it reports
        timeline.add_grid(step, small)
    assert timeline.grid_count() == 1000  # everything stays on the timeline ...
    assert timeline.grids_in_memory() <= sample_view.MEMORY_GRIDS  # ... but only an LRU in memory
    slider(timeline).setValue(0)
    assert timeline.current_step() == 1 and np.array_equal(timeline.current_image(), small)
    assert timeline.grids_in_memory() <= sample_view.MEMORY_GRIDS


def test_pinned_live_grid_is_not_dropped_under_pressure(timeline, monkeypatch):
    monkeypatch.setattr(sample_view, "LIVE_GRIDS", 3)
    for step in range(1, 4):
        timeline.add_grid(step, grid(step))
    slider(timeline).setValue(0)  # pin step 1, the oldest
    for step in range(4, 10):
        timeline.add_grid(step, grid(step))
    assert timeline.current_step() == 1 and np.array_equal(timeline.current_image(), grid(1))
    assert timeline.grid_count() == 3
