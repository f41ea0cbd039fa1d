"""The Data page wired as the main window wires it: DataState + ScanController + DataPage."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QLineEdit, QProgressBar, QPushButton, QTreeWidget

from ganstudio.config import DataConfig
from ganstudio.data import ImageSet, SkippedFile
from ganstudio.gui.pages.data import DataPage, dropped_source
from ganstudio.wording import describe_source
from ganstudio.gui.controllers.scan import ScanController
from ganstudio.gui.state import CANCELLED_MESSAGE
from ganstudio.gui.state import DataState

BIG = "demo:shapes:20000"  # still drawing when cancelled (see test_scan_thread.py)


@pytest.fixture
def wired(qtbot):
    state = DataState()
    controller = ScanController(state, debounce_ms=20, scan_initial=False)
    page = DataPage(state)
    page.cancelRequested.connect(controller.cancel)
    page.rescanRequested.connect(controller.rescan)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    yield state, controller, page
    assert controller.shutdown(5000)


def landed(state):
    return bool(not state.scanning and (state.images is not None or state.error))


def write_folder(folder, good=4):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(good):
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(folder / f"pic{i}.png")
    (folder / "broken.png").write_bytes(b"not an image at all")
    return str(folder)


def test_controls_have_stable_names(wired):
    _, _, page = wired
    assert page.objectName() == "dataPage"
    edit = page.findChild(QLineEdit, "datasetPathEdit")
    assert edit is not None and edit.accessibleName() == "Data set"
    for cls, name in [(QComboBox, "resolutionCombo"), (QComboBox, "cropCombo"), (QComboBox, "colorCombo"),
                      (QProgressBar, "scanProgressBar"), (QPushButton, "scanCancelButton"),
                      (QLabel, "imageCountLabel"), (QLabel, "dataErrorLabel"), (QTreeWidget, "skippedList")]:
        widget = page.findChild(cls, name)
        assert widget is not None, name
        assert widget.toolTip() or cls in (QLabel, QProgressBar, QTreeWidget), name
    assert page.findChild(QPushButton, "demoButton_patterns") is not None


def test_empty_state_shows_a_hint(wired):
    _, _, page = wired
    assert page.stack.currentWidget() is page.hint_label
    assert "folder" in page.hint_label.text()
    assert not page.count_label.isVisible() and not page.error_frame.isVisible()


def test_demo_button_loads_the_set_and_fills_the_grid(qtbot, wired):
    state, _, page = wired
    chosen = []
    page.sourceChosen.connect(chosen.append)
    qtbot.mouseClick(page.demo_buttons["patterns"], Qt.MouseButton.LeftButton)
    assert state.choice.source == "demo:patterns" and chosen == ["demo:patterns"]
    assert page.path_edit.text() == "demo:patterns"
    qtbot.waitUntil(lambda: landed(state), timeout=15_000)
    assert page.count_label.text() == "1,000 images ready at 32×32"
    assert page.model.rowCount() == 1000
    assert page.stack.currentWidget() is page.view
    assert page.demo_buttons["patterns"].isChecked() and not page.demo_buttons["shapes"].isChecked()


def test_changing_resolution_rescans_and_thumbnails_change(qtbot, wired):
    state, _, page = wired
    page.use_source("demo:landscapes:12")
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert page.model.image_size() == 32
    first = page.model.data(page.model.index(0), Qt.ItemDataRole.DecorationRole).toImage()
    page.resolution_combo.setCurrentIndex(page.resolution_combo.findData(16))
    assert state.choice.resolution == 16
    qtbot.waitUntil(lambda: landed(state) and page.model.image_size() == 16, timeout=10_000)
    assert page.count_label.text() == "12 images ready at 16×16"
    second = page.model.data(page.model.index(0), Qt.ItemDataRole.DecorationRole).toImage()
    assert second.size() == first.size()  # same cell on screen ...
    assert second != first  # ... showing coarser pixels


def test_other_options_write_the_choice(wired):
    state, _, page = wired
    page.crop_combo.setCurrentIndex(page.crop_combo.findData("pad"))
    page.color_combo.setCurrentIndex(page.color_combo.findData("gray"))
    assert (state.choice.fit, state.choice.color) == ("pad", "gray")
    state.set_choice(DataConfig(source="demo:shapes", resolution=128, fit="crop", color="rgb", mirror="off"))
    assert page.resolution_combo.currentData() == 128  # the page follows the state
    assert page.crop_combo.currentData() == "crop" and page.mirror_combo.currentData() == "off"


def test_use_choice_sets_everything(wired):
    state, _, page = wired
    choice = DataConfig(source="demo:landscapes", resolution=64, fit="pad", color="gray", mirror="off")
    page.use_choice(choice)
    assert state.choice == choice
    assert page.path_edit.text() == "demo:landscapes" and page.color_combo.currentData() == "gray"
    assert page.demo_buttons["landscapes"].isChecked()


def test_flip_shows_mirrored_copies_without_rescanning(qtbot, wired):
    state, _, page = wired
    page.use_source("demo:shapes:8")
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    starts = []
    state.scanStarted.connect(lambda: starts.append(1))
    page.mirror_combo.setCurrentIndex(page.mirror_combo.findData("off"))
    assert state.choice.mirror == "off" and not page.flip_note.isVisible()
    page.mirror_combo.setCurrentIndex(page.mirror_combo.findData("on"))
    assert state.choice.mirror == "on" and page.flip_note.isVisible()
    assert page.flip_preview.pairs_shown == 3 and not page.flip_preview.pixmap().isNull()
    qtbot.wait(80)
    assert starts == []


def test_skipped_list_shows_the_broken_file_and_why(qtbot, tmp_path, wired):
    state, _, page = wired
    page.use_source(write_folder(tmp_path / "art"))
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert page.count_label.text() == "4 images ready at 32×32"
    assert page.skipped_toggle.isVisible() and page.skipped_toggle.text() == "1 file skipped"
    assert not page.skipped_list.isVisible()
    qtbot.mouseClick(page.skipped_toggle, Qt.MouseButton.LeftButton)
    assert page.skipped_list.isVisible()
    item = page.skipped_list.topLevelItem(0)
    assert item.text(0) == "broken.png"
    assert item.text(1) == state.images.skipped[0].reason and item.text(1)


def test_error_shows_in_the_page(qtbot, tmp_path, wired):
    state, _, page = wired
    missing = str(tmp_path / "not-here")
    page.use_source(missing)
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert page.error_frame.isVisible()
    assert missing in page.error_label.text() and "can't be used" in page.error_label.text()
    assert page.model.rowCount() == 0 and page.stack.currentWidget() is page.hint_label
    # A good source clears the message.
    page.use_source(write_folder(tmp_path / "ok", good=2))
    qtbot.waitUntil(lambda: landed(state) and state.images is not None, timeout=10_000)
    assert not page.error_frame.isVisible()


def test_use_source_updates_the_path_edit_and_enter_uses_a_typed_path(qtbot, tmp_path, wired):
    state, _, page = wired
    page.use_source("demo:landscapes:5")
    assert page.path_edit.text() == "demo:landscapes:5"
    folder = write_folder(tmp_path / "typed", good=2)
    page.path_edit.clear()
    qtbot.keyClicks(page.path_edit, folder)
    qtbot.keyClick(page.path_edit, Qt.Key.Key_Return)
    assert state.choice.source == folder
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert state.images.count == 2


def test_cancel_button_only_while_scanning(qtbot, wired):
    state, controller, page = wired
    assert not page.cancel_button.isVisible() and not page.progress_bar.isVisible()
    page.use_source(BIG)
    qtbot.waitUntil(lambda: page.cancel_button.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: page.progress_bar.maximum() == 20000 and page.progress_bar.value() > 0, timeout=10_000)
    assert page.progress_bar.text().startswith("Drawing ") and "/ 20,000 images…" in page.progress_bar.text()
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.cancel_button.isVisible(), timeout=3000)
    assert state.error == CANCELLED_MESSAGE and page.error_label.text() == CANCELLED_MESSAGE
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=3000)
    # "Scan again" after a cancel reads the same choice again.
    state.set_choice(DataConfig(source="demo:shapes:6", resolution=16))
    qtbot.waitUntil(lambda: landed(state) and state.images is not None, timeout=10_000)
    assert not page.cancel_button.isVisible() and not page.error_frame.isVisible()


def test_rescan_button_after_an_error(qtbot, tmp_path, wired):
    state, _, page = wired
    folder = tmp_path / "later"
    page.use_source(str(folder))
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert state.error
    write_folder(folder, good=3)  # the artist fixes it, then asks again
    qtbot.mouseClick(page.rescan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: landed(state) and state.images is not None, timeout=10_000)
    assert state.images.count == 3


def test_recent_list_and_folder_dialog(qtbot, tmp_path, wired, monkeypatch):
    state, _, page = wired
    chosen = []
    page.sourceChosen.connect(chosen.append)
    folder = write_folder(tmp_path / "r", good=1)
    page.set_recent(["demo:landscapes", folder])
    assert page.recent() == ["demo:landscapes", folder]
    assert page.recent_list.item(0).text() == describe_source("demo:landscapes") == "Demo set: Landscapes"
    rect = page.recent_list.visualItemRect(page.recent_list.item(1))
    qtbot.mouseClick(page.recent_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.choice.source == folder and chosen == [folder]
    page.set_recent([])
    assert not page.recent_list.isVisible()

    other = write_folder(tmp_path / "picked", good=1)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: other)
    qtbot.mouseClick(page.folder_button, Qt.MouseButton.LeftButton)
    assert state.choice.source == other and chosen[-1] == other
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))  # dialog closed
    qtbot.mouseClick(page.zip_button, Qt.MouseButton.LeftButton)
    assert state.choice.source == other
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)


def test_dropping_a_folder_uses_it(qtbot, tmp_path, wired):
    state, _, page = wired
    folder = write_folder(tmp_path / "dropped", good=1)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(folder)])
    assert dropped_source(mime) == folder
    text_only = QMimeData()
    text_only.setText("hello")
    assert dropped_source(text_only) is None
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    assert state.choice.source == folder and page.path_edit.text() == folder
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)


def test_a_big_set_makes_pixmaps_only_for_what_is_visible(qtbot, wired):
    state, _, page = wired
    images = np.random.default_rng(0).integers(0, 255, (5000, 16, 16, 3), dtype=np.uint8)
    state.set_images(ImageSet(images, [SkippedFile("x/a.png", "file is empty")], "x", False))
    qtbot.waitUntil(lambda: page.model.pixmaps_made > 0, timeout=5000)
    qtbot.wait(50)
    assert page.model.rowCount() == 5000
    assert page.model.pixmaps_made < 300
    assert page.count_label.text() == "5,000 images ready at 16×16"
    assert page.skipped_list.topLevelItem(0).text(0) == "a.png"


def test_thumbnails_keep_tiny_pixels_crisp_and_handle_grayscale(qapp):
    from ganstudio.gui.widgets.images import to_qimage
    from ganstudio.gui.widgets.thumbnails import scaled_pixmap

    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[:, :8] = (255, 0, 0)  # left half red
    image = scaled_pixmap(rgb, 96).toImage()
    assert image.width() == 96
    # Nearest-neighbour: the edge stays a hard step, no blended pixels.
    assert image.pixelColor(47, 10).red() == 255 and image.pixelColor(48, 10).red() == 0
    gray = np.full((16, 16, 1), 200, dtype=np.uint8)
    q = to_qimage(gray)
    assert (q.width(), q.height()) == (16, 16) and q.pixelColor(3, 3).red() == 200
    mirrored = scaled_pixmap(rgb[:, ::-1], 16).toImage()  # a non-contiguous view is fine
    assert mirrored.pixelColor(15, 0).red() == 255 and mirrored.pixelColor(0, 0).red() == 0


def test_a_file_name_that_is_not_utf8_is_shown_recognisably(qtbot, tmp_path, wired):
    # Old zips and USB sticks give names like b"caf\xe9.png". Qt silently drops the byte it
    # cannot show, so the skipped list named "caf.png": a different file, perhaps a real one.
    state, _, page = wired
    folder = tmp_path / "old stick"
    folder.mkdir()
    try:
        (folder / os.fsdecode(b"caf\xe9.png")).write_bytes(b"not a picture")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    Image.new("RGB", (20, 20), (0, 0, 255)).save(folder / "caf.png")  # a good picture, in use
    page.use_source(str(folder))
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert state.images.count == 1
    item = page.skipped_list.topLevelItem(0)
    assert item.text(0) == "caf\ufffd.png" and item.text(1) == "not an image"
    assert "\ufffd" in item.toolTip(0)

    (folder / "caf.png").unlink()  # now nothing is usable: the message names the file
    page.use_source(str(folder))
    qtbot.waitUntil(lambda: landed(state), timeout=10_000)
    assert state.error and "caf\ufffd.png: not an image" in page.error_label.text()


def test_automatic_colour_and_mirroring_say_what_they_chose_and_why(qtbot, tmp_path, wired):
    from test_data_traits import arrows

    state, _, page = wired
    folder = tmp_path / "arrows"
    folder.mkdir()
    for i, image in enumerate(arrows(60)):
        Image.fromarray(image).save(folder / f"{i:02d}.png")  # gray drawings kept as RGB files
    page.use_source(str(folder))
    qtbot.waitUntil(lambda: landed(state) and state.images.count == 60, timeout=20_000)
    assert page.color_combo.currentData() == "auto" and page.mirror_combo.currentData() == "auto"
    assert state.images.images.shape[-1] == 1  # trained as one channel
    assert page.color_decision.text().startswith("→ Grayscale: every image is grayscale")
    assert page.mirror_decision.text().startswith("→ Mirrored copies off: a mirrored image can be told")
    assert not page.flip_note.isVisible()  # no mirrored preview for a set that is not mirrored
    assert "in grayscale" in page.count_label.text()
    page.mirror_combo.setCurrentIndex(page.mirror_combo.findData("on"))  # the artist overrides
    assert state.decided_choice().mirror == "on" and not page.mirror_decision.isVisible()
