"""Small pieces of the Explore page: the variations grid, keyframe chips and a collapsible
section. Widgets only; the page wires them to the explorer model."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.wording import keyframe_name
from ganstudio.gui.widgets.explore_view import BACKDROP, fit_rect
from ganstudio.gui.widgets.images import to_qimage

SELECTED = QColor(255, 190, 70)  # a warm "picked" colour, distinct from the blue highlight
HOVER = QColor(120, 160, 200)


class VariationTile(QWidget):
    """One clickable thumbnail. Click: make it current. Ctrl-click: pick it for crossbreeding."""

    clicked = Signal(int, bool)  # index, with ctrl (toggle pick)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setObjectName(f"variationTile{index}")
        self.setAccessibleName(f"Variation {index + 1}")
        self.setCursor(Qt.PointingHandCursor)
        self.setMinimumSize(56, 56)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("Click to make this the current picture · Ctrl-click to pick it for Crossbreed")
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self._picked = False
        self._hover = False
        self._smooth = False

    def sizeHint(self) -> QSize:
        return QSize(96, 96)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def set_image(self, array: np.ndarray | None) -> None:
        self._array = array
        self._image = to_qimage(array) if array is not None else None
        self.update()

    def array(self) -> np.ndarray | None:
        return self._array

    def set_picked(self, picked: bool) -> None:
        self._picked = picked
        self.update()

    def picked(self) -> bool:
        return self._picked

    def set_smooth(self, smooth: bool) -> None:
        self._smooth = smooth
        self.update()

    def enterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def leaveEvent(self, event) -> None:
        self._hover = False
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.index, bool(event.modifiers() & (Qt.ControlModifier | Qt.MetaModifier)))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKDROP)
        if self._image is not None:
            rect = fit_rect(self.width() - 6, self.height() - 6, self._image.width(), self._image.height(), snap=False)
            rect.translate(3, 3)
            p.setRenderHint(QPainter.SmoothPixmapTransform, self._smooth or rect.width() < self._image.width())
            p.drawImage(rect, self._image)
        if self._picked or self._hover:
            pen = QPen(SELECTED if self._picked else HOVER, 3 if self._picked else 2)
            p.setPen(pen)
            p.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
        if self._picked:
            p.setPen(QColor(20, 20, 20))
            p.setBrush(SELECTED)
            p.drawEllipse(QRectF(self.width() - 20, 4, 16, 16))
        p.end()


class VariationsGrid(QWidget):
    """A rows x cols grid of variation thumbnails."""

    chosen = Signal(int)  # a tile clicked: make it current
    pickedChanged = Signal(list)  # indices picked for crossbreeding (at most two, oldest dropped)

    def __init__(self, rows: int = 3, cols: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("variationsGrid")
        self.setAccessibleName("Variations")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.tiles: list[VariationTile] = []
        for i in range(rows * cols):
            tile = VariationTile(i)
            tile.clicked.connect(self._on_clicked)
            layout.addWidget(tile, i // cols, i % cols)
            self.tiles.append(tile)
        self._picked: list[int] = []

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        cols = self.layout().columnCount()
        rows = self.layout().rowCount()
        return int(width * rows / max(cols, 1))

    def count(self) -> int:
        return len(self.tiles)

    def set_images(self, images: np.ndarray | None) -> None:
        for i, tile in enumerate(self.tiles):
            tile.set_image(images[i] if images is not None and i < len(images) else None)

    def images(self) -> list[np.ndarray | None]:
        return [t.array() for t in self.tiles]

    def set_smooth(self, smooth: bool) -> None:
        for tile in self.tiles:
            tile.set_smooth(smooth)

    def picked(self) -> list[int]:
        return list(self._picked)

    def clear_picks(self) -> None:
        self._picked = []
        self._sync_picks()

    def toggle_pick(self, index: int) -> None:
        if index in self._picked:
            self._picked.remove(index)
        else:
            self._picked.append(index)
            self._picked = self._picked[-2:]
        self._sync_picks()

    def click(self, index: int, ctrl: bool = False) -> None:
        """What a user's click does (tests and keyboard use it too)."""
        self._on_clicked(index, ctrl)

    def _on_clicked(self, index: int, ctrl: bool) -> None:
        if ctrl:
            self.toggle_pick(index)
        else:
            self.chosen.emit(index)

    def _sync_picks(self) -> None:
        for i, tile in enumerate(self.tiles):
            tile.set_picked(i in self._picked)
        self.pickedChanged.emit(list(self._picked))


class KeyframeChips(QWidget):
    """A, B, C … buttons; click one to jump to that keyframe; right-click removes it."""

    jump = Signal(int)
    removeRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyframeChips")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        self.buttons: list[QToolButton] = []

    def set_count(self, count: int) -> None:
        while len(self.buttons) > count:
            self.buttons.pop().deleteLater()
        while len(self.buttons) < count:
            i = len(self.buttons)
            b = QToolButton()
            b.setText(keyframe_name(i))
            b.setObjectName(f"keyframeChip{i}")
            b.setAccessibleName(f"Keyframe {keyframe_name(i)}")
            b.setToolTip(f"Jump to keyframe {keyframe_name(i)} · right-click to remove it")
            b.setMinimumWidth(30)
            b.setStyleSheet(
                "QToolButton { border-radius: 11px; padding: 2px 8px; background: #3a4a5c; color: #e8e8e8; font-weight: bold; }"
                "QToolButton:hover { background: #4a6480; }"
            )
            b.clicked.connect(lambda _=False, index=i: self.jump.emit(index))
            b.setContextMenuPolicy(Qt.CustomContextMenu)
            b.customContextMenuRequested.connect(lambda _pos, index=i: self.removeRequested.emit(index))
            self._layout.insertWidget(i, b)
            self.buttons.append(b)


class Section(QWidget):
    """A titled block of controls; collapsible when asked (a ▸/▾ header)."""

    expandedChanged = Signal(bool)  # a collapsible section was unfolded (True) or folded

    def __init__(self, title: str, *, collapsible: bool = False, expanded: bool = True, name: str = "", parent=None) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 6)
        outer.setSpacing(6)
        self.header = QToolButton()
        self.header.setText(title)
        self.header.setObjectName(f"{name}Header" if name else "")
        self.header.setStyleSheet(
            "QToolButton { border: none; color: #9fb4c8; font-weight: bold; letter-spacing: 1px; padding: 0; }"
        )
        self.header.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        outer.addWidget(self.header)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(6)
        outer.addWidget(self.body)
        line = QFrame()
        line.setFrameShape(QFrame.HLine)
        line.setStyleSheet("color: #3a3c40;")
        outer.addWidget(line)
        self._collapsible = collapsible
        self._expanded = True
        if collapsible:
            self.header.setCheckable(True)
            self.header.setChecked(expanded)
            self.header.toggled.connect(self.set_expanded)
            self.set_expanded(expanded)
        else:
            self.header.setEnabled(True)
            self.header.setFocusPolicy(Qt.NoFocus)

    def set_expanded(self, expanded: bool) -> None:
        if not self._collapsible:
            return
        expanded = bool(expanded)
        self.header.setArrowType(Qt.DownArrow if expanded else Qt.RightArrow)
        self.body.setVisible(expanded)
        if self.header.isChecked() != expanded:
            self.header.setChecked(expanded)
        if expanded != self._expanded:
            self._expanded = expanded
            self.expandedChanged.emit(expanded)

    def is_expanded(self) -> bool:
        """Unfolded (whether or not the page is on screen right now: a hidden tab's
        unfolded section still counts, so its controls are kept up to date)."""
        return self._expanded if self._collapsible else True

    def add(self, widget_or_layout) -> None:
        if isinstance(widget_or_layout, QWidget):
            self.body_layout.addWidget(widget_or_layout)
        else:
            self.body_layout.addLayout(widget_or_layout)
