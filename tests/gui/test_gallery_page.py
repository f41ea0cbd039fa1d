"""Gallery: lists saved pieces newest first, tooltips from recipes, double-click opens."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ganstudio.export import save_png
from ganstudio.gui.pages.gallery import EMPTY_TEXT, GalleryPage
from ganstudio.gui.state import GalleryState


@pytest.fixture
def gallery(qtbot):
    page = GalleryPage(GalleryState())
    qtbot.addWidget(page)
    page.resize(800, 600)
    page.show()
    qtbot.waitExposed(page)
    return page


def piece(folder, name, seed, mtime, value=100):
    image = np.full((16, 16, 3), value, np.uint8)
    path = save_png(folder / name, image, recipe={"app": "GAN Studio", "seed": seed, "step": 1500, "latent": [0.0]}, scale=4)
    os.utime(path, (mtime, mtime))
    return path


def test_empty_state_text(gallery, tmp_path):
    assert gallery.objectName() == "galleryPage"
    gallery.set_folders([tmp_path / "nothing-here"])
    assert gallery.paths() == []
    assert gallery.findChild(object, "galleryEmptyText").text() == EMPTY_TEXT
    assert gallery.findChild(object, "galleryEmptyText").isVisible()


def test_lists_saved_pngs_newest_first_with_seed_and_step(qtbot, gallery, tmp_path):
    art = tmp_path / "run" / "artwork"
    a = piece(art, "a.png", 11, 1_000_000)
    b = piece(art, "b.png", 22, 3_000_000, 200)
    c = piece(tmp_path / "other", "c.png", 33, 2_000_000, 50)
    (art / "notes.txt").write_text("not a picture")
    (art / ".half-written.png.tmp.png").write_bytes(b"")
    gallery.set_folders([art, tmp_path / "other"])
    assert gallery.paths() == [b.resolve(), c.resolve(), a.resolve()]
    assert gallery.findChild(object, "galleryView").isVisible()
    tip = gallery.model.data(gallery.model.index(0), Qt.ToolTipRole)
    assert "Seed 22" in tip and "step 1,500" in tip
    qtbot.waitUntil(lambda: gallery.model.thumbnails_made == 3, timeout=3000)  # made for the items shown
    d = piece(art, "d.png", 44, 4_000_000)
    gallery.refresh()
    assert gallery.paths()[0] == d.resolve() and len(gallery.paths()) == 4


def test_a_png_without_recipe_still_lists(gallery, tmp_path):
    save_png(tmp_path / "plain.png", np.zeros((8, 8, 3), np.uint8))
    gallery.set_folders([tmp_path])
    tip = gallery.model.data(gallery.model.index(0), Qt.ToolTipRole)
    assert "No recipe" in tip


def test_double_click_emits_the_path(qtbot, gallery, tmp_path):
    path = piece(tmp_path, "x.png", 5, 1_000_000)
    gallery.set_folders([tmp_path])
    view = gallery.findChild(object, "galleryView")
    rect = view.visualRect(gallery.model.index(0))
    assert rect.isValid()
    opened = []
    gallery.openRequested.connect(opened.append)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())  # a real double-click starts with a press
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert opened == [str(path.resolve())]  # once
    view.setFocus()
    view.setCurrentIndex(gallery.model.index(0))
    qtbot.keyClick(view, Qt.Key_Return)
    assert opened == [str(path.resolve())] * 2


def _plain(html: str) -> str:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


@pytest.mark.skipif(os.name != "posix", reason="file names that are not UTF-8 are a POSIX thing")
def test_a_piece_whose_name_is_not_utf8_reopens_itself(gallery, tmp_path):
    name = os.fsdecode(b"caf\xe9-piece.png")  # a Latin-1 name from an old disk
    try:
        path = piece(tmp_path, name, 9, 1_000_000)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    gallery.set_folders([tmp_path])
    opened = []
    gallery.openRequested.connect(opened.append)
    gallery.open_row(0)
    assert len(opened) == 1 and Path(opened[0]).is_file()  # this piece, not a name that does not exist
    assert Path(opened[0]).samefile(path)
    assert "caf" in _plain(gallery.model.data(gallery.model.index(0), Qt.ToolTipRole))


def test_the_tooltip_shows_names_and_recipes_as_text(gallery, tmp_path):
    path = save_png(
        tmp_path / "R&D <draft>.png", np.zeros((8, 8, 3), np.uint8),
        recipe={"app": "GAN Studio", "kind": "<img src='x'>" + "long " * 5000, "seed": 3},
    )
    gallery.set_folders([tmp_path])
    text = _plain(gallery.model.data(gallery.model.index(0), Qt.ToolTipRole))
    assert path.name in text  # not eaten as a tag
    assert "<img src='x'>" in text  # a hostile recipe is shown, never interpreted
    assert len(text) < 2000  # and cannot fill the screen
