"""Reading a data set off the GUI thread: ScanWorker runs one scan (controllers/scan.py wires it).

QtCore and pure modules only (DESIGN.md): nothing here can touch a widget.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, QThread, Signal

from ganstudio.config import ConfigError, DataConfig, parse_color
from ganstudio.data import DataCancelled, DataError, load_images
from ganstudio.places import crash_note
from ganstudio.wording import one_line

log = logging.getLogger(__name__)

# Progress arrives from load_images every ~50 ms (and from demo sets every 32 images);
# a bar needs no more than this, and fewer queued signals keep the GUI thread idle.
_PROGRESS_INTERVAL_S = 0.05


class ScanWorker(QThread):
    """Runs load_images() once for a DataConfig in its own thread.

    Exactly one of finished_ok / failed / cancelled is emitted, then QThread.finished.
    """

    progress = Signal(int, int)  # done, total
    finished_ok = Signal(object)  # ganstudio.data.ImageSet
    failed = Signal(str)  # one plain line for the user
    cancelled = Signal()

    def __init__(self, choice: DataConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choice = choice
        self.key = choice.scan_key()
        # A plain Event, not a Qt property: load_images polls it from this thread while
        # the GUI thread sets it, and it needs no event loop in either.
        self._cancel = threading.Event()
        self._last_progress = 0.0
        self.setObjectName("ganstudio-scan")

    def cancel(self) -> None:
        """Thread-safe; load_images notices within about 50 ms (between files)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:  # runs in the new thread
        c = self.choice
        try:
            images = load_images(c.source, resolution=c.resolution, fit=c.fit, color=c.color,
                                 background=parse_color(c.background),
                                 progress=self._on_progress, cancel=self._cancel.is_set,
                                 exclude=c.exclude, frame_rate=c.frame_rate)
        except DataCancelled:
            self.cancelled.emit()
        except (DataError, ConfigError) as exc:  # already one line meant for the user
            self.failed.emit(one_line(exc))
        except MemoryError:
            self.failed.emit(f"Not enough memory to hold these images at {c.resolution}×{c.resolution}; "
                             "try a smaller size.")
        except Exception as exc:  # a bug or an OS surprise: say so plainly, never crash the app
            log.exception("Unexpected error while reading %s", c.source)
            self.failed.emit(f"Could not read {c.source}: {one_line(exc)}." + crash_note("scan"))
        else:
            if self._cancel.is_set():
                self.cancelled.emit()  # cancelled after the last poll: honour it anyway
            else:
                self.finished_ok.emit(images)

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= _PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.progress.emit(done, total)
