"""The Data page's Check and augmentation tabs in the real window, and a video chosen as data."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

import pytest

from planted_data import CLEAN, EXTRA_COPIES, PLANTED, write_planted_folder


@pytest.fixture
def window(fresh_window):
    return fresh_window


def _use(win, qtbot, source, count):
    win.data_page.use_source(str(source))
    qtbot.waitUntil(lambda: win.data_state.images is not None and win.data_state.images.count == count
                    and win.data_state.choice.source == str(source), timeout=60_000)


def test_check_finds_the_planted_images_and_keep_one_leaves_them_out_of_training(window, qtbot, tmp_path):
    folder = write_planted_folder(tmp_path / "art")
    before = sorted(p.name for p in folder.iterdir())
    _use(window, qtbot, folder, CLEAN + PLANTED)
    page, panel = window.data_page, window.data_page.clinic_panel
    page.view_tabs.setCurrentWidget(panel)
    check = window.findChild(QPushButton, "checkDataButton")
    assert check.isEnabled()
    qtbot.mouseClick(check, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.clinic_state.report is not None, timeout=60_000)
    assert panel.summary_label.text().startswith(f"Checked {CLEAN + PLANTED} images: 1 exact duplicate, 3 near-duplicates")
    cards = panel.cards.findChildren(QPushButton, "clinicCardButton")
    assert len(cards) == 4 + 3  # four groups; tiny, strip and the page of text
    keep_all = window.findChild(QPushButton, "keepOneOfEachButton")
    assert keep_all.isVisible() and "4 fewer" in keep_all.text()
    qtbot.mouseClick(keep_all, Qt.LeftButton)
    assert sorted(window.data_state.choice.exclude) == sorted(EXTRA_COPIES)
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == CLEAN + PLANTED - 4,
                    timeout=60_000)
    # The report stays, its groups now say they are left out, and the files are all still there.
    assert window.clinic_state.report is not None
    assert sum(b.text() == "Left out · bring back" for b in panel.cards.findChildren(QPushButton, "clinicCardButton")) == 4
    assert "4 images left out of training" in window.findChild(QLabel, "excludedLabel").text()
    assert sorted(p.name for p in folder.iterdir()) == before
    # The run's settings carry the list; a new window remembers it for this folder.
    assert sorted(window.train_page.build_config().data.exclude) == sorted(EXTRA_COPIES)
    odd = [b for b in panel.cards.findChildren(QPushButton, "clinicCardButton") if b.property("names") == ["page.png"]]
    qtbot.mouseClick(odd[0], Qt.LeftButton)
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == CLEAN + PLANTED - 5,
                    timeout=60_000)
    qtbot.mouseClick(window.findChild(QPushButton, "restoreExcludedButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == CLEAN + PLANTED,
                    timeout=60_000)
    assert window.data_state.choice.exclude == []


def test_the_augmentation_tab_shows_the_images_changed_as_the_run_will(window, qtbot):
    _use(window, qtbot, "demo:landscapes:60", 60)
    preview = window.data_page.augment_preview
    window.data_page.view_tabs.setCurrentWidget(preview)
    qtbot.waitUntil(lambda: preview.shown is not None, timeout=30_000)
    config = window.train_page.build_config()
    assert preview.policy == tuple(config.augment.policy.split(","))  # a small set: the preset augments
    assert "starts gentle" in preview.caption.text() or "each applied" in preview.caption.text()
    images = window.data_state.images.images
    picks = np.linspace(0, len(images) - 1, len(preview.shown)).round().astype(int)
    assert not np.array_equal(preview.shown, images[picks])  # changed, as the discriminator sees them
    first = preview.shown.copy()
    qtbot.mouseClick(window.findChild(QPushButton, "augmentShuffleButton"), Qt.LeftButton)
    assert not np.array_equal(preview.shown, first)


def test_a_video_chosen_as_data_gives_its_frames(window, qtbot, tmp_path):
    colours = [(255, 0, 0), (0, 160, 0), (0, 0, 255), (250, 250, 250)]
    frames = [Image.new("RGB", (64, 48), c) for c in colours]
    frames[0].save(tmp_path / "clip.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    _use(window, qtbot, tmp_path / "clip.gif", 4)
    assert window.data_state.images.names == [f"frame-{i:06d}" for i in range(4)]
    assert "4 images ready" in window.data_page.count_label.text()
