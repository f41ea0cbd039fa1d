"""The live sample grid from fixed noise, with a timeline to scrub back through the run.

Every grid the run has shown stays on the timeline, but few stay in memory:

* A grid with a file (samples/step-NNNNNNNNN.png of the run folder) is remembered by
  its path; its pixels sit in an LRU of MEMORY_GRIDS decoded grids and are read again
  from disk when the user scrubs back to it.
* A live grid with no file (training without a run folder) is its only copy, so it is
  kept in memory, but only the newest LIVE_GRIDS of them (and at most LIVE_BYTES): older
  ones leave the timeline. That bounds memory over a run of any length.

The preview paints with nearest-neighbour scaling when it enlarges: the tiles are tiny
(16-128 px) and smooth scaling would blur exactly the detail an artist is judging.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget

from ganstudio.export import as_grid, read_grid
from ganstudio.gui.widgets.images import to_qimage

MEMORY_GRIDS = 64  # decoded grids that have a file on disk (an LRU)
LIVE_GRIDS = 200  # grids whose only copy is in memory: the newest this many ...
LIVE_BYTES = 128 * 1024 * 1024  # ... and no more than this many bytes of them
PLACEHOLDER = "Samples appear here a few seconds after training starts"
UNREADABLE = "This sample could not be read (the file is missing or damaged)"


class _GridCanvas(QWidget):
    """Paints one grid centred on a dark neutral ground, its caption just under it, or a
    line of text when there is no grid."""

    BACKGROUND = QColor(30, 31, 34)  # the plots' background: one calm surface
    TEXT = QColor(170, 172, 178)
    GAP = 6  # pixels between the grid and its caption

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("samplePreview")
        self.setAccessibleName("Sample preview")
        self.setMinimumSize(96, 96)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self._message = PLACEHOLDER
        # A real label (found by automation and screen readers), kept under the image.
        self.caption = QLabel(self)
        self.caption.setObjectName("sampleCaption")
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setAccessibleName("Step of the sample shown")
        self.caption.setStyleSheet(f"color: {self.TEXT.name()}; background: transparent;")

    def set_image(self, array: np.ndarray | None, message: str = PLACEHOLDER) -> None:
        self._array = array
        self._image = to_qimage(array) if array is not None else None
        self._message = message
        self._place_caption()
        self.update()

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self._place_caption()

    def array(self) -> np.ndarray | None:
        return self._array

    def message(self) -> str | None:
        return None if self._image is not None else self._message

    def sizeHint(self) -> QSize:
        return QSize(360, 380)

    def _caption_height(self) -> int:
        return self.caption.sizeHint().height() + self.GAP if self.caption.text() else 0

    def target_rect(self) -> QRectF:
        """Where the image lands: the largest fit above the caption, snapped to a whole-number
        zoom when that loses little, so every source pixel becomes the same number of screen
        pixels; image and caption are centred together."""
        assert self._image is not None
        w, h = self._image.width(), self._image.height()
        below = self._caption_height()
        fit = max(min(self.width() / w, (self.height() - below) / h), 1e-3)
        scale = fit
        if fit >= 1 and math.floor(fit) / fit >= 0.8:
            scale = math.floor(fit)
        tw, th = w * scale, h * scale
        return QRectF(round((self.width() - tw) / 2), round((self.height() - th - below) / 2), tw, th)

    def _place_caption(self) -> None:
        height = self.caption.sizeHint().height()
        if self._image is None:
            top = self.height() - height - self.GAP
        else:
            top = int(self.target_rect().bottom()) + self.GAP
        self.caption.setGeometry(0, top, self.width(), height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_caption()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.BACKGROUND)
        if self._image is None:
            painter.setPen(self.TEXT)
            painter.drawText(self.rect().adjusted(16, 16, -16, -16), Qt.AlignCenter | Qt.TextWordWrap, self._message)
            return
        rect = self.target_rect()
        # Enlarging: nearest neighbour (crisp pixels). Shrinking: smooth, or detail aliases away.
        painter.setRenderHint(QPainter.SmoothPixmapTransform, rect.width() < self._image.width())
        painter.drawImage(rect, self._image)


class SampleTimeline(QWidget):
    """Sample grids over the run: follows the newest live, or pins an older one."""

    currentStepChanged = Signal(object)  # the step shown (int), or None when empty
    nearestRequested = Signal()  # "which training images are these samples closest to?"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleTimeline")
        self._steps: list[int] = []  # sorted; the timeline
        self._paths: dict[int, Path] = {}  # step -> file on disk
        self._live: OrderedDict[int, np.ndarray] = OrderedDict()  # only copies, oldest first
        self._live_bytes = 0
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()  # decoded from files, LRU
        self._samples_dir: Path | None = None
        self._current: int | None = None
        self._following = True

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._canvas = _GridCanvas()
        layout.addWidget(self._canvas, 1)

        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 2)
        self._slider = QSlider(Qt.Horizontal)
        self._slider.setObjectName("sampleTimelineSlider")
        self._slider.setAccessibleName("Sample timeline")
        self._slider.setToolTip("Drag to look back at earlier samples of this run")
        self._slider.valueChanged.connect(self._on_slider)
        row.addWidget(self._slider, 1)
        self._live_button = QPushButton("Live")
        self._live_button.setObjectName("sampleLiveButton")
        self._live_button.setAccessibleName("Follow the newest sample")
        self._live_button.setToolTip("Follow the newest sample as training goes on")
        self._live_button.setCheckable(True)
        self._live_button.setChecked(True)
        self._live_button.toggled.connect(self._on_live_toggled)
        # Checked and unchecked look alike in many styles: the text says which it is.
        self._live_button.setMinimumWidth(self._live_button.fontMetrics().horizontalAdvance("Back to live") + 24)
        row.addWidget(self._live_button)
        self.nearest_button = QPushButton("Nearest training images…")
        self.nearest_button.setObjectName("sampleNearestButton")
        self.nearest_button.setToolTip("Put each sample of this grid beside the training image most like it: "
                                       "is the model making new pictures, or copying yours?")
        self.nearest_button.clicked.connect(self.nearestRequested)
        row.addWidget(self.nearest_button)
        layout.addLayout(row)
        self._refresh()

    # -- data in ---------------------------------------------------------------------------
    def add_grid(self, step: int, grid: np.ndarray, path: Path | None = None) -> None:
        """A live grid from a tick report. `path` (or the samples folder, when set) tells
        where the run saved it, so it can leave memory and still be scrubbed back to."""
        step = int(step)
        array = as_grid(grid)
        if path is None and self._samples_dir is not None:
            candidate = self._samples_dir / f"step-{step:09d}.png"
            path = candidate if candidate.is_file() else None
        self._forget(step)  # the same step again (after a rollback): the new grid wins
        bisect.insort(self._steps, step)
        if path is not None:
            self._paths[step] = Path(path)
            self._remember(step, array)
        else:
            self._live[step] = array
            self._live_bytes += array.nbytes
            self._trim_live()
        if self._following or self._current is None:
            self._show(self._steps[-1])
        elif step == self._current:
            self._show(step)  # the pinned grid itself was replaced
        self._refresh()

    def load_run_samples(self, items: list[tuple[int, Path]]) -> None:
        """The grids on disk of an opened run (replaces everything); decoded only when shown."""
        self.clear()
        for step, path in items:
            self._paths[int(step)] = Path(path)
        self._steps = sorted(self._paths)
        parents = {p.parent for p in self._paths.values()}
        # New live grids of a resumed run land in the same folder: find them there later.
        self._samples_dir = parents.pop() if len(parents) == 1 else None
        if self._steps:
            self._show(self._steps[-1])
        self._refresh()

    def set_samples_folder(self, folder: Path | None) -> None:
        """Where the running training saves its grids (RUN/samples), or None."""
        self._samples_dir = Path(folder) if folder is not None else None

    def truncate_after(self, step: int) -> None:
        """Forget the grids after `step` (a rollback, or a resumed run training those steps again)."""
        later = self._steps[bisect.bisect_right(self._steps, int(step)) :]
        if not later:
            return  # nothing to drop: leave the view (and a pinned grid) as it is
        for s in later:
            self._forget(s)
        if self._current is not None and self._current > step:
            self._current = None
        if self._current is None or self._following:
            self._show(self._steps[-1] if self._steps else None)
        self._refresh()

    def clear(self) -> None:
        self._steps.clear()
        self._paths.clear()
        self._live.clear()
        self._live_bytes = 0
        self._cache.clear()
        self._samples_dir = None
        self._following = True
        self._show(None)
        self._refresh()

    # -- what is shown ---------------------------------------------------------------------
    def current_step(self) -> int | None:
        return self._current

    def current_image(self) -> np.ndarray | None:
        return self._canvas.array()

    def grid_count(self) -> int:
        return len(self._steps)

    def grids_in_memory(self) -> int:
        """Decoded grids held (live-only ones plus the LRU of file-backed ones)."""
        return len(self._live) + len(self._cache)

    def is_live(self) -> bool:
        return self._following

    def caption(self) -> str:
        return self._canvas.caption.text()

    def preview(self) -> _GridCanvas:
        return self._canvas

    def show_step(self, step: int) -> None:
        """Pin the grid of `step` (the nearest one on the timeline), as a user's scrub would."""
        if not self._steps:
            return
        i = min(bisect.bisect_left(self._steps, int(step)), len(self._steps) - 1)
        self._slider.setValue(i)

    def set_live(self, live: bool) -> None:
        self._live_button.setChecked(live)

    # -- internals ----------------------------------------------------------------------------
    def _remember(self, step: int, array: np.ndarray) -> None:
        self._cache[step] = array
        self._cache.move_to_end(step)
        while len(self._cache) > MEMORY_GRIDS:
            self._cache.popitem(last=False)  # it has a file: it can come back from disk

    def _trim_live(self) -> None:
        while len(self._live) > LIVE_GRIDS or (self._live_bytes > LIVE_BYTES and len(self._live) > 1):
            oldest = next((s for s in self._live if s != self._current), None)
            if oldest is None:
                break
            array = self._live.pop(oldest)
            self._live_bytes -= array.nbytes
            saved = self._samples_dir / f"step-{oldest:09d}.png" if self._samples_dir is not None else None
            if saved is not None and saved.is_file():
                self._paths[oldest] = saved  # saved after all: keep it on the timeline, on disk
            else:
                self._steps.remove(oldest)

    def _forget(self, step: int) -> None:
        i = bisect.bisect_left(self._steps, step)
        if i < len(self._steps) and self._steps[i] == step:
            del self._steps[i]
        self._paths.pop(step, None)
        self._cache.pop(step, None)
        array = self._live.pop(step, None)
        if array is not None:
            self._live_bytes -= array.nbytes

    def _grid(self, step: int) -> np.ndarray | None:
        if step in self._live:
            return self._live[step]
        if step in self._cache:
            self._cache.move_to_end(step)
            return self._cache[step]
        path = self._paths.get(step)
        if path is None:
            return None
        try:
            array = read_grid(path)
        except (OSError, ValueError, Image.DecompressionBombError):
            return None  # shown as a message; the timeline stays usable
        self._remember(step, array)
        return array

    def _show(self, step: int | None) -> None:
        if step is None:
            self._canvas.set_caption("")
            self._canvas.set_image(None, PLACEHOLDER)
        else:
            array = self._grid(step)
            self._canvas.set_caption(f"Step {step:,}")
            self._canvas.set_image(array, UNREADABLE)
            self._canvas.setAccessibleDescription(f"Sample grid at step {step:,}")
        if step != self._current:
            self._current = step
            self.currentStepChanged.emit(step)

    def _refresh(self) -> None:
        """Put slider and Live button in line with the timeline, without re-entering."""
        count = len(self._steps)
        self._slider.blockSignals(True)
        self._slider.setRange(0, max(0, count - 1))
        if self._current is not None and count:
            self._slider.setValue(bisect.bisect_left(self._steps, self._current))
        self._slider.blockSignals(False)
        self._slider.setEnabled(count > 1)
        self.nearest_button.setEnabled(count > 0)
        self._live_button.blockSignals(True)
        self._live_button.setChecked(self._following)
        self._live_button.blockSignals(False)
        self._live_button.setText("\u25cf Live" if self._following else "Back to live")
        if count:
            first, last = self._steps[0], self._steps[-1]
            self._slider.setToolTip(f"{count:,} samples from step {first:,} to {last:,}: drag to look back")

    def _on_slider(self, index: int) -> None:
        # Only a user moves the slider (programmatic moves block its signals).
        if not self._steps:
            return
        index = max(0, min(index, len(self._steps) - 1))
        # Dragging to the newest end follows live again, as in a video player.
        self._following = index == len(self._steps) - 1
        self._show(self._steps[index])
        self._refresh()

    def _on_live_toggled(self, live: bool) -> None:
        self._following = live
        if live and self._steps:
            self._show(self._steps[-1])
        self._refresh()
