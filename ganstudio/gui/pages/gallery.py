"""The Gallery: every saved piece, newest first; double-click one to keep editing it.

Listing a folder is cheap (names and dates); thumbnails are decoded lazily, only for
items the view paints, a few per event-loop pass (a time budget), so a folder of
hundreds of big PNGs never freezes the window. A piece's recipe (seed, step, model) is
read from its PNG header, never its pixels, for the tooltip.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedLayout, QVBoxLayout, QWidget

from ganstudio.export import load_thumbnail, read_recipe
from ganstudio.wording import display_name, piece_tooltip
from ganstudio.gui.state import GalleryState
from ganstudio.gui.widgets.images import to_qimage
from ganstudio.gui.widgets.thumbnails import ThumbnailView

CELL = 160
EMPTY_TEXT = "No saved pieces yet. Save artwork on the Explore page and it appears here."
_BUDGET_S = 0.012  # thumbnail decoding per event-loop pass
_CACHE = 400


def _square(array: np.ndarray, cell: int, ratio: float = 1.0) -> QPixmap:
    """A cell x cell pixmap (logical pixels, drawn at the screen's density) with the thumbnail
    centred on the dark ground (aspect kept; small pictures enlarged crisply)."""
    image = to_qimage(array)
    h, w = array.shape[:2]
    side = max(1, round(cell * ratio))
    scale = side / max(h, w)
    tw, th = max(1, round(w * scale)), max(1, round(h * scale))
    if (tw, th) != (w, h):
        mode = Qt.FastTransformation if scale >= 2 else Qt.SmoothTransformation
        image = image.scaled(tw, th, Qt.IgnoreAspectRatio, mode)
    canvas = QPixmap(side, side)
    canvas.fill(QColor(30, 31, 34))
    painter = QPainter(canvas)
    painter.drawImage((side - tw) // 2, (side - th) // 2, image)
    painter.end()
    canvas.setDevicePixelRatio(side / cell)
    return canvas


class GalleryModel(QAbstractListModel):
    PathRole = Qt.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._files: list[tuple[Path, float]] = []  # (path, mtime), newest first
        self._pixmaps: OrderedDict[Path, QPixmap] = OrderedDict()
        self._ratio = 1.0  # device pixels per logical pixel of the view's screen
        self._tips: dict[Path, str] = {}
        self._queue: OrderedDict[Path, None] = OrderedDict()
        self._placeholder = QPixmap(CELL, CELL)
        self._placeholder.fill(QColor(38, 40, 43))
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._work)
        self.thumbnails_made = 0

    def set_files(self, files: list[tuple[Path, float]]) -> None:
        self.beginResetModel()
        keep = {p for p, _ in files}
        self._files = files
        for p in [p for p in self._pixmaps if p not in keep]:
            del self._pixmaps[p]
        self._tips = {p: t for p, t in self._tips.items() if p in keep}
        self._queue.clear()
        self.endResetModel()

    def path(self, row: int) -> Path:
        return self._files[row][0]

    def paths(self) -> list[Path]:
        return [p for p, _ in self._files]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._files)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or index.row() >= len(self._files):
            return None
        path, mtime = self._files[index.row()]
        if role == Qt.DecorationRole:
            pm = self._pixmaps.get(path)
            if pm is not None:
                self._pixmaps.move_to_end(path)
                return pm
            self._queue[path] = None
            if not self._timer.isActive():
                self._timer.start()
            return self._placeholder
        if role == Qt.ToolTipRole:
            tip = self._tips.get(path)
            if tip is None:
                tip = self._tips[path] = piece_tooltip(path, mtime, read_recipe(path, missing_ok=True))
            return tip
        if role == Qt.AccessibleTextRole:
            return display_name(path.name)
        if role == self.PathRole:
            return str(path)
        if role == Qt.SizeHintRole:
            return QSize(CELL, CELL)
        return None

    def _work(self) -> None:
        start = time.perf_counter()
        rows = {p: i for i, (p, _) in enumerate(self._files)}
        while self._queue and time.perf_counter() - start < _BUDGET_S:
            path, _ = self._queue.popitem(last=False)
            row = rows.get(path)
            if row is None or path in self._pixmaps:
                continue
            array = load_thumbnail(path, round(CELL * self._ratio))
            pm = _square(array, CELL, self._ratio) if array is not None else self._broken()
            self._pixmaps[path] = pm
            self.thumbnails_made += 1
            if len(self._pixmaps) > _CACHE:
                self._pixmaps.popitem(last=False)
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.DecorationRole])
        if not self._queue:
            self._timer.stop()

    def _broken(self) -> QPixmap:
        pm = QPixmap(CELL, CELL)
        pm.fill(QColor(70, 40, 40))
        return pm

    def set_pixel_ratio(self, ratio: float) -> None:
        """The view moved to a screen of another density: decode the thumbnails again at it."""
        if ratio == self._ratio:
            return
        self._ratio = float(ratio)
        self._pixmaps.clear()
        if self._files:
            self.dataChanged.emit(self.index(0), self.index(len(self._files) - 1), [Qt.DecorationRole])

    def pending(self) -> int:
        return len(self._queue)


class GalleryPage(QWidget):
    # A piece was double-clicked: its path, a Python str (an `object` signal passes it through
    # untouched; a `str` one goes through Qt and loses a name's bytes that are not UTF-8).
    openRequested = Signal(object)

    def __init__(self, state: GalleryState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPage")
        self.setAccessibleName("Gallery")
        self.state = state
        state.foldersChanged.connect(self.refresh)
        state.piecesChanged.connect(self.refresh)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 10)
        header = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("gallerySummary")
        self.summary.setStyleSheet("color: #b8bac0;")
        header.addWidget(self.summary, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("galleryRefreshButton")
        self.refresh_button.setToolTip("Look for new pieces in the folders")
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.refresh_button)
        outer.addLayout(header)

        self.model = GalleryModel(self)
        self.view = ThumbnailView()
        self.view.setObjectName("galleryView")
        self.view.setAccessibleName("Saved pieces")
        self.view.setModel(self.model)
        self.view.set_cell_size(CELL)
        self.view.doubleClicked.connect(self._on_double_clicked)
        for key in (Qt.Key_Return, Qt.Key_Enter):  # the keyboard's double-click
            shortcut = QShortcut(QKeySequence(key), self.view, context=Qt.WidgetShortcut)
            shortcut.activated.connect(lambda: self._on_double_clicked(self.view.currentIndex()))
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("galleryEmptyText")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #b0b0b0; font-size: 15px;")
        self._stack_host = QWidget()
        self._stack = QStackedLayout(self._stack_host)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.view)
        outer.addWidget(self._stack_host, 1)
        self.refresh()

    def set_folders(self, folders: list[Path]) -> None:
        self.state.set_folders(folders)

    def folders(self) -> list[Path]:
        return list(self.state.folders)

    def refresh(self) -> None:
        """Rescan the folders (names and dates only; thumbnails come when shown)."""
        seen: dict[Path, float] = {}
        for folder in self.state.folders:
            try:
                entries = list(folder.iterdir()) if folder.is_dir() else []
            except OSError:
                continue
            for path in entries:
                if path.suffix.lower() != ".png" or path.name.startswith("."):
                    continue  # hidden: a temporary file being written
                try:
                    stat = path.stat()
                except OSError:
                    continue
                seen[path.resolve()] = stat.st_mtime
        files = sorted(seen.items(), key=lambda item: (-item[1], str(item[0])))
        self.model.set_files(files)
        self._stack.setCurrentIndex(1 if files else 0)
        n = len(files)
        where = ", ".join(str(f) for f in self.state.folders[:2]) + ("…" if len(self.state.folders) > 2 else "")
        self.summary.setText(f"{n:,} saved piece{'s' if n != 1 else ''}" + (f" in {where}" if where else "") if n else "")

    def paths(self) -> list[Path]:
        return self.model.paths()

    def open_row(self, row: int) -> None:
        """What a double-click on item `row` does."""
        self.openRequested.emit(str(self.model.path(row)))

    def _on_double_clicked(self, index) -> None:
        if index.isValid():
            self.open_row(index.row())
