"""Thumbnails on a 200% screen: drawn with the screen's real pixels, not enlarged and soft."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def test_a_thumbnail_holds_two_device_pixels_per_logical_pixel_at_200_percent(qapp):
    from ganstudio.gui.widgets.thumbnails import scaled_pixmap

    photo = (np.random.default_rng(0).random((96, 96, 3)) * 255).astype(np.uint8)
    sharp = scaled_pixmap(photo, 64, pixel_ratio=2.0)
    assert (sharp.width(), sharp.height()) == (128, 128) and sharp.devicePixelRatio() == 2.0
    assert sharp.deviceIndependentSize().width() == 64  # the same room in the layout
    assert scaled_pixmap(photo, 64).width() == 64  # at 100%: as before


# The real window's pages on a screen that Qt is told is 200% (QT_SCALE_FACTOR), in its own process.
CHECK = r"""
import json
import numpy as np
from PySide6.QtCore import Qt, QSettings
from PySide6.QtWidgets import QApplication
app = QApplication(["ganstudio"])
from ganstudio.gui.app import create_main_window
from ganstudio.export import save_png
import sys, pathlib
folder = pathlib.Path(sys.argv[1])
window = create_main_window(QSettings(str(folder / "s.ini"), QSettings.IniFormat))
window.show()
images = (np.random.default_rng(1).random((4, 32, 32, 3)) * 255).astype(np.uint8)
page = window.data_page
page.model.set_images(images)
app.processEvents()
icon = page.model.data(page.model.index(0), Qt.DecorationRole)
# The gallery: one saved piece, its thumbnail decoded in the page's idle time.
art = folder / "artwork"
art.mkdir()
save_png(art / "piece.png", (np.random.default_rng(2).random((64, 64, 3)) * 255).astype(np.uint8))
gallery = window.gallery_page
gallery.set_folders([art])
gallery.refresh()
window.tabs.setCurrentWidget(gallery)
import time
deadline = time.monotonic() + 60
while (gallery.model.rowCount() == 0 or gallery.model.pending() or
       gallery.model.thumbnails_made == 0) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
thumb = gallery.model.data(gallery.model.index(0), Qt.DecorationRole)
print(json.dumps({"ratio": window.devicePixelRatioF(), "data": [icon.width(), icon.devicePixelRatio()],
                  "gallery": [thumb.width(), thumb.devicePixelRatio()]}))
window.close()
"""


def test_the_data_and_gallery_pages_draw_thumbnails_at_the_screens_density(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2", "PYTHONPATH": str(REPO),
           "GANSTUDIO_RUNS_DIR": str(tmp_path / "runs"), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["ratio"] == 2.0
    cell = seen["data"][0] / seen["data"][1]
    assert seen["data"][1] == 2.0 and seen["data"][0] == 2 * cell
    assert seen["gallery"][1] == 2.0
