"""'Nearest training images': a picture beside the training images most like it, with distances.

Plain data in (pictures, names, distances, words): the window fills it from the copy check
(data/copies.py) and shows it as a non-modal window, so the explorer stays usable beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget,
)

from ganstudio.gui.widgets.images import to_qimage

SIDE = 96


@dataclass(frozen=True)
class NearestRow:
    picture: np.ndarray  # the picture asked about
    matches: list[tuple[np.ndarray, str, float]]  # training image, its name, RMS distance; nearest first
    verdict: str  # the nearest distance in words


def _picture(image: np.ndarray, caption: str, tip: str = "") -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    label = QLabel()
    label.setFixedSize(SIDE, SIDE)
    label.setPixmap(QPixmap.fromImage(to_qimage(image)).scaled(
        SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
    label.setToolTip(tip or caption)
    column.addWidget(label)
    for line in caption.split("\n"):  # each line elided on its own: a long name keeps its end
        text = QLabel()
        text.setFixedWidth(SIDE + 8)
        text.setText(text.fontMetrics().elidedText(line, Qt.TextElideMode.ElideMiddle, SIDE + 8))
        text.setToolTip(tip or caption)
        column.addWidget(text)
    return box


class NearestDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nearestDialog")
        self.setWindowTitle("Nearest training images")
        self.setModal(False)
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("nearestHeading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.rows: list[NearestRow] = []

    def show_rows(self, heading: str, rows: list[NearestRow]) -> None:
        self.heading.setText(heading)
        self.rows = rows
        body = QWidget()
        grid = QGridLayout(body)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        for r, row in enumerate(rows):
            grid.addWidget(_picture(row.picture, "this picture"), 2 * r, 0)
            arrow = QLabel("→")
            arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(arrow, 2 * r, 1)
            for k, (image, name, distance) in enumerate(row.matches):
                grid.addWidget(_picture(image, f"distance {distance:.3f}\n{name}", f"{name}: distance {distance:.3f}"), 2 * r, 2 + k)
            verdict = QLabel(row.verdict)
            verdict.setObjectName("nearestVerdict")
            verdict.setWordWrap(True)
            grid.addWidget(verdict, 2 * r + 1, 0, 1, 2 + max(1, len(row.matches)))
        grid.setColumnStretch(2 + max((len(r.matches) for r in rows), default=1), 1)
        grid.setRowStretch(2 * len(rows), 1)
        self.scroll.setWidget(body)
