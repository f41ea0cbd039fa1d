"""'Nearest training images': a picture beside the training images most like it, with distances.

Plain data in (pictures, names, distances, words): the window fills it from the copy check
(data/copies.py) and shows it as a non-modal window, so the explorer stays usable beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget,
)

from ganstudio.gui.widgets.images import captioned_picture

SIDE = 96


@dataclass(frozen=True)
class NearestRow:
    picture: np.ndarray  # the picture asked about
    matches: list[tuple[np.ndarray, str, float]]  # training image, its name, RMS distance; nearest first
    verdict: str  # the nearest distance in words


def _picture(image: np.ndarray, caption: str, tip: str = "") -> QWidget:
    return captioned_picture(image, caption.split("\n"), side=SIDE, tip=tip)


class NearestDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nearestDialog")
        self.setWindowTitle("Nearest training images")
        self.setModal(False)
        self.resize(820, 560)  # three sample pairs to a line fit without scrolling sideways
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

    def show_rows(self, heading: str, rows: list[NearestRow], *, near_line: float | None = None) -> None:
        """One row per picture; pictures with one match each (a sample grid) go three pairs
        to a line, each pair's distance marked when it is under `near_line` (a near copy)."""
        self.heading.setText(heading)
        self.rows = rows
        if rows and all(len(row.matches) == 1 for row in rows):
            self.scroll.setWidget(self._pairs(rows, near_line))
            return
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

    @staticmethod
    def _pairs(rows: list[NearestRow], near_line: float | None) -> QWidget:
        body = QWidget()
        grid = QGridLayout(body)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(10)
        per_line = 3
        for n, row in enumerate(rows):
            image, name, distance = row.matches[0]
            line, slot = divmod(n, per_line)
            near = near_line is not None and distance < near_line
            grid.addWidget(_picture(row.picture, "sample\n" + ("near copy" if near else "new")), line, slot * 3)
            grid.addWidget(_picture(image, f"distance {distance:.3f}\n{name}", f"{name}: distance {distance:.3f}"),
                           line, slot * 3 + 1)
            grid.setColumnMinimumWidth(slot * 3 + 2, 18)
        grid.setColumnStretch(per_line * 3, 1)
        grid.setRowStretch((len(rows) + per_line - 1) // per_line, 1)
        return body
