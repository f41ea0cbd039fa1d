"""The explorer's big picture: one uint8 image, enlarged crisply (or smoothly), aspect kept,
on a dark neutral backdrop; a friendly line of text when there is nothing to show."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.gui.widgets.images import to_qimage

BACKDROP = QColor(24, 25, 27)
TEXT = QColor(170, 172, 178)


def fit_rect(width: int, height: int, image_w: int, image_h: int, *, snap: bool) -> QRectF:
    """The largest centred rectangle of the image's aspect inside width x height. With `snap`,
    a whole-number zoom is used when it loses little, so every source pixel becomes the same
    number of screen pixels (crisp mode)."""
    fit = max(min(width / image_w, height / image_h), 1e-3)
    scale = fit
    if snap and fit >= 1 and math.floor(fit) / fit >= 0.8:
        scale = math.floor(fit)
    tw, th = image_w * scale, image_h * scale
    return QRectF(round((width - tw) / 2), round((height - th) / 2), tw, th)


class ExploreCanvas(QWidget):
    """Paints the explorer image. `set_image` takes uint8 (H, W, C); `imageSet` tells when
    new pixels reached the view (benches time slider -> pixels with it)."""

    imageSet = Signal()
    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explorerImage")
        self.setAccessibleName("Explorer image")
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self._smooth = False
        self._message = ""
        self._dim = False  # a faint veil while a newer picture is being made (slow models)

    def sizeHint(self) -> QSize:
        return QSize(640, 640)

    def set_image(self, array: np.ndarray | None) -> None:
        self._array = array
        self._image = to_qimage(array) if array is not None else None
        self._dim = False
        self.update()
        self.imageSet.emit()

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    def set_smooth(self, smooth: bool) -> None:
        self._smooth = bool(smooth)
        self.update()

    def smooth(self) -> bool:
        return self._smooth

    def array(self) -> np.ndarray | None:
        return self._array

    def image_rect(self) -> QRectF | None:
        if self._image is None:
            return None
        return fit_rect(self.width(), self.height(), self._image.width(), self._image.height(), snap=not self._smooth)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        if self._image is None:
            if self._message:
                painter.setPen(TEXT)
                painter.drawText(self.rect().adjusted(24, 24, -24, -24), Qt.AlignCenter | Qt.TextWordWrap, self._message)
            return
        rect = self.image_rect()
        shrinking = rect.width() < self._image.width()
        # Crisp: nearest neighbour, every generated pixel a clean block. Smooth: bilinear.
        painter.setRenderHint(QPainter.SmoothPixmapTransform, self._smooth or shrinking)
        painter.drawImage(rect, self._image)
        painter.end()
        self.painted.emit()
