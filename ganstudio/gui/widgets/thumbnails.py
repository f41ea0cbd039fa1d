"""Thumbnails of a decoded data set: a lazy list model for a QListView, and a flip preview.

A set may hold thousands of images, so pixmaps are made only when the view asks for an
item it is about to paint, and only a few hundred are kept (least recently used go).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QSizePolicy, QWidget

from ganstudio.gui.widgets.images import to_qimage

THUMB_SIZES = (64, 96, 128, 192)  # display cell sizes offered to the user, in pixels
_CACHE_LIMIT = 600  # a few screens' worth at the smallest size


def scaled_pixmap(image: np.ndarray, size: int, pixel_ratio: float = 1.0) -> QPixmap:
    """A size×size pixmap (logical pixels), drawn at the screen's own pixel density: on a 200%
    screen it holds 2·size real pixels, so it looks sharp rather than enlarged. Enlarged 2× or
    more it is scaled nearest-neighbour, so a 16 px image shows its real pixels crisply instead
    of a blur; anything else smoothly."""
    qimage = to_qimage(image)
    res = image.shape[0]
    physical = max(1, round(size * pixel_ratio))
    mode = (Qt.TransformationMode.FastTransformation if physical >= 2 * res
            else Qt.TransformationMode.SmoothTransformation)
    if physical != res:
        qimage = qimage.scaled(physical, physical, Qt.AspectRatioMode.IgnoreAspectRatio, mode)
    pixmap = QPixmap.fromImage(qimage)
    pixmap.setDevicePixelRatio(physical / size)
    return pixmap


def watch_pixel_ratio(widget: QWidget, changed) -> None:
    """Call `changed(ratio)` now and whenever `widget` moves to a screen of another density."""
    state = {"ratio": None}

    def check(*_args) -> None:
        ratio = float(widget.devicePixelRatioF())
        if ratio != state["ratio"]:
            state["ratio"] = ratio
            changed(ratio)

    check()
    widget._pixel_ratio_check = check  # the view's showEvent and screen changes call it again


class ThumbnailModel(QAbstractListModel):
    """One row per image of an (N, H, W, C) uint8 array; DecorationRole gives its pixmap."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._images: np.ndarray | None = None
        self._cell = 96
        self._ratio = 1.0  # the screen's device pixels per logical pixel
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.pixmaps_made = 0  # for tests and curiosity: proves laziness

    # -- what the page sets

    def set_images(self, images: np.ndarray | None) -> None:
        self.beginResetModel()
        self._images = images
        self._cache.clear()
        self.endResetModel()

    def set_cell_size(self, size: int) -> None:
        if size == self._cell:
            return
        self._cell = int(size)
        self._redraw()

    def set_pixel_ratio(self, ratio: float) -> None:
        """The view moved to a screen of another density (100%, 150%, 200%): draw again."""
        if ratio == self._ratio:
            return
        self._ratio = float(ratio)
        self._redraw()

    def _redraw(self) -> None:
        self._cache.clear()
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1),
                                  [Qt.ItemDataRole.DecorationRole])

    def cell_size(self) -> int:
        return self._cell

    def image_size(self) -> int:
        """Side of the images as trained (0 when empty)."""
        return 0 if self._images is None else int(self._images.shape[1])

    def image(self, row: int) -> np.ndarray:
        assert self._images is not None
        return self._images[row]

    # -- QAbstractListModel

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() or self._images is None:
            return 0
        return int(self._images.shape[0])

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._images is None:
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Image {row + 1} of {self.rowCount()}"
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self._cell, self._cell)
        return None

    def _pixmap(self, row: int) -> QPixmap:
        pm = self._cache.get(row)
        if pm is not None:
            self._cache.move_to_end(row)
            return pm
        pm = scaled_pixmap(self._images[row], self._cell, self._ratio)
        self.pixmaps_made += 1
        self._cache[row] = pm
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.popitem(last=False)
        return pm


class ThumbnailView(QListView):
    """An icon grid that spreads its columns over the full width (no ragged empty strip)."""

    MIN_GAP = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cell = 96
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)  # lay out thousands of rows without asking each one
        self.setLayoutMode(QListView.LayoutMode.Batched)  # a huge set never blocks the window
        self.setBatchSize(500)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # no width jitter
        # The grid wraps to the width (see _fit_grid), so sideways scrolling is never needed;
        # without this a one-pixel rounding overshoot shows a useless horizontal bar.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_cell_size(self, size: int) -> None:
        self._cell = int(size)
        self.setIconSize(QSize(self._cell, self._cell))
        self._fit_grid()

    def setModel(self, model) -> None:
        super().setModel(model)
        if hasattr(model, "set_pixel_ratio"):
            watch_pixel_ratio(self, model.set_pixel_ratio)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        check = getattr(self, "_pixel_ratio_check", None)
        if check is not None:
            check()
            handle = self.window().windowHandle()
            if handle is not None and not getattr(self, "_screen_watched", False):
                handle.screenChanged.connect(check)
                self._screen_watched = True

    def resizeEvent(self, event) -> None:
        self._fit_grid()
        super().resizeEvent(event)

    def _fit_grid(self) -> None:
        width = max(1, self.viewport().width() - 16)  # QListView adds a small margin to the contents
        step = self._cell + self.MIN_GAP
        columns = max(1, width // step)
        self.setGridSize(QSize(width // columns if columns > 1 else step, step))


class FlipPreview(QLabel):
    """A few images next to their mirror images, so "flip" is something one can see."""

    PAIRS = 3
    SIDE = 40
    GAP = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flipPreview")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Mirrored copies preview")
        self.setToolTip("Left: an image as it is. Right: the mirrored copy the GAN also sees.")
        self.pairs_shown = 0

    def set_images(self, images: np.ndarray | None) -> None:
        n = 0 if images is None else min(self.PAIRS, int(images.shape[0]))
        self.pairs_shown = n
        if n == 0:
            self.clear()
            return
        s, gap = self.SIDE, self.GAP
        ratio = float(self.devicePixelRatioF())
        width = n * 2 * s + (n - 1) * gap + n * 2
        canvas = QPixmap(round(width * ratio), round(s * ratio))  # device pixels: sharp at 200%
        canvas.setDevicePixelRatio(ratio)
        canvas.fill(QColor(0, 0, 0, 0))
        p = QPainter(canvas)
        x = 0
        for i in range(n):
            img = images[i]
            p.drawPixmap(x, 0, scaled_pixmap(img, s, ratio))
            # The mirror is made the same way training does it: reverse the columns.
            p.drawPixmap(x + s + 2, 0, scaled_pixmap(img[:, ::-1], s, ratio))
            x += 2 * s + 2 + gap
        p.end()
        self.setPixmap(canvas)
