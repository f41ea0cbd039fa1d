"""numpy images to Qt images, done one way everywhere."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(array: np.ndarray) -> QImage:
    """uint8 (H, W, 1|3|4) -> a QImage that owns its pixels (copied out of the numpy buffer,
    which may then go)."""
    h, w, c = array.shape
    fmt = {1: QImage.Format_Grayscale8, 3: QImage.Format_RGB888, 4: QImage.Format_RGBA8888}[c]
    array = np.ascontiguousarray(array)
    # bytesPerLine is given explicitly: rows of w*c bytes are not 4-byte aligned in general.
    return QImage(array.data, w, h, array.strides[0], fmt).copy()


def captioned_picture(image: np.ndarray, lines: list[str], *, side: int, tip: str = "", framed: bool = False):
    """A uint8 picture shown `side` pixels square in pixel blocks (as the GAN sees it, not
    smoothed), with caption lines under it, each elided in the middle so a name keeps its end."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    picture = QLabel()
    picture.setFixedSize(side, side)
    picture.setPixmap(QPixmap.fromImage(to_qimage(image)).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
    picture.setToolTip(tip or " ".join(lines))
    picture.setAccessibleName(tip or " ".join(lines))
    if framed:
        picture.setStyleSheet("border: 2px solid palette(highlight);")
    column.addWidget(picture)
    for line in lines:
        text = QLabel()
        text.setFixedWidth(side + 12)
        text.setText(text.fontMetrics().elidedText(line, Qt.TextElideMode.ElideMiddle, side + 12))
        text.setToolTip(tip or line)
        column.addWidget(text)
    return box
