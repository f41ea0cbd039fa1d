"""The Data page's "As the discriminator sees them" tab: the augmentation a run will use, shown.

With little data, the discriminator sees every image changed a little (shifted, recoloured,
part cut out; training/augment.py) so that it cannot memorise the set. An artist should see
what that looks like on their own images: the same images, original above and augmented
below, with the run's augmentation at its current strength (full strength before a run;
an adaptive run starts gentle and strengthens only when the discriminator starts to
memorise). The main window says what the run will use (`set_augmentation`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.gui.state import DataState
from ganstudio.gui.widgets.images import to_qimage

COLUMNS = 6
SIDE = 96
NAMES = {"color": "colour", "translation": "shifting", "cutout": "cut-outs"}


class AugmentPreview(QWidget):
    def __init__(self, data: DataState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.setObjectName("augmentPreview")
        self.policy: tuple[str, ...] = ()
        self.probability = 1.0
        self.color_strength = 1.0
        self.adaptive = False
        self.live = False  # the probability is a running run's current one
        self._shuffle = 0
        self.shown: np.ndarray | None = None  # the augmented images on screen (tests, screenshots)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        top = QHBoxLayout()
        self.caption = QLabel()
        self.caption.setObjectName("augmentCaption")
        self.caption.setWordWrap(True)
        top.addWidget(self.caption, 1)
        self.shuffle_button = QPushButton("Another draw")
        self.shuffle_button.setObjectName("augmentShuffleButton")
        self.shuffle_button.setToolTip("The same images with other random changes.")
        self.shuffle_button.clicked.connect(self._another)
        top.addWidget(self.shuffle_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        self.cells: list[QLabel] = []
        for row in range(2):
            for col in range(COLUMNS):
                cell = QLabel()
                cell.setFixedSize(SIDE, SIDE)
                cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.grid.addWidget(cell, row * 2 + 1, col)
                self.cells.append(cell)
        self.grid.addWidget(QLabel("Your images"), 0, 0, 1, COLUMNS)
        self.grid.addWidget(QLabel("As the discriminator sees them"), 2, 0, 1, COLUMNS)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        data.imagesChanged.connect(self.refresh)

    def set_augmentation(self, policy: tuple[str, ...], probability: float, *, adaptive: bool,
                         color_strength: float = 1.0, live: bool = False) -> None:
        changed = (tuple(policy), float(probability), adaptive, float(color_strength), live) != (
            self.policy, self.probability, self.adaptive, self.color_strength, self.live)
        self.policy, self.probability, self.adaptive = tuple(policy), float(probability), adaptive
        self.color_strength, self.live = float(color_strength), live
        if changed:
            self.refresh()

    @Slot()
    def _another(self) -> None:
        self._shuffle += 1
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self.caption.setText(self._words())
        images = self.data.images.images if self.data.images is not None else None
        if images is None or not len(images) or not self.isVisible():
            self._dirty = True
            return
        self._dirty = False
        picks = np.linspace(0, len(images) - 1, min(COLUMNS, len(images))).round().astype(int)
        originals = images[picks]
        from ganstudio.training.augment import augment_preview  # torch: loaded by now, not at startup

        changed = augment_preview(originals, self.policy, self.probability if self.policy else 0.0,
                                  self.color_strength, seed=self._shuffle)
        self.shown = changed
        for k, cell in enumerate(self.cells):
            row, col = divmod(k, COLUMNS)
            if col >= len(picks):
                cell.clear()
                continue
            image = (originals if row == 0 else changed)[col]
            cell.setPixmap(QPixmap.fromImage(to_qimage(image)).scaled(
                SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if getattr(self, "_dirty", True):
            self.refresh()

    def _words(self) -> str:
        if not self.policy:
            return ("This run shows the discriminator your images unchanged: with this many images it "
                    "has enough to learn from without augmentation.")
        ops = ", ".join(NAMES.get(op, op) for op in self.policy)
        strength = f"{self.probability:.0%} of the time"
        if self.live:
            when = f"Now, in the running run: {ops}, each applied {strength} (it adapts as the run goes)."
        elif self.adaptive:
            them = "them" if len(self.policy) > 1 else "it"
            when = (f"This run will use {ops}. It starts gentle and applies {them} more often only when the "
                    "discriminator starts to memorise your images; shown here at full strength.")
        else:
            when = f"This run will use {ops}, each applied {strength}."
        return when + " The generator never learns these changes: its pictures come out plain."
