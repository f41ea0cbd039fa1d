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
