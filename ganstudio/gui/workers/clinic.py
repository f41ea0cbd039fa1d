"""Running the data clinic off the GUI thread (controllers/clinic.py wires it).

QtCore and pure modules only (DESIGN.md): nothing here can touch a widget.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, QThread, Signal

from ganstudio.data import DataCancelled, DataError
from ganstudio.data.clinic import examine
from ganstudio.places import crash_note
from ganstudio.wording import one_line

log = logging.getLogger(__name__)


class ClinicWorker(QThread):
    """examine() once for a loaded set. Exactly one of finished_ok / failed / cancelled, then finished."""

    progress = Signal(int, int)
    finished_ok = Signal(object)  # ClinicReport
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, images, *, resolution: int, fit: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.images = images  # ganstudio.data.ImageSet
        self.resolution, self.fit = resolution, fit
        self._cancel = threading.Event()
        self._last = 0.0
        self.setObjectName("ganstudio-clinic")

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        s = self.images
        try:
            report = examine(s.images, s.names, resolution=self.resolution, fit=self.fit, source=s.source,
                             progress=self._on_progress, cancel=self._cancel.is_set)
        except DataCancelled:
            self.cancelled.emit()
        except DataError as exc:
            self.failed.emit(one_line(exc))
        except MemoryError:
            self.failed.emit("Not enough memory to check this many images.")
        except Exception as exc:  # a bug: say so plainly, never crash the app
            log.exception("Unexpected error while checking %s", s.source)
            self.failed.emit(f"The check stopped: {one_line(exc)}." + crash_note("clinic"))
        else:
            if self._cancel.is_set():
                self.cancelled.emit()  # cancelled after the last poll: honour it anyway
            else:
                self.finished_ok.emit(report)

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= 0.05:
            self._last = now
            self.progress.emit(done, total)
