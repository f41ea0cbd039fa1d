"""Reading a data set off the GUI thread: ScanWorker (one scan) and ScanController (the wiring).

QtCore and pure modules only (DESIGN.md): nothing here can touch a widget. The controller
turns DataState.choiceChanged into scans and scan results into DataState setters, so the
main window only has to create one and connect a page's cancelRequested to cancel().
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ganstudio.config import ConfigError, DataConfig, parse_color
from ganstudio.data import DataCancelled, DataError, load_images
from ganstudio.gui.state import DataState

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "Reading the images was cancelled. Choose a data set, or press Scan again."
DEBOUNCE_MS = 250
# Progress arrives from load_images every ~50 ms (and from demo sets every 32 images);
# a bar needs no more than this, and fewer queued signals keep the GUI thread idle.
_PROGRESS_INTERVAL_S = 0.05


def scan_key(choice: DataConfig) -> tuple:
    """The settings that change the decoded pixels; flip is applied while training."""
    return (choice.source, choice.resolution, choice.fit, choice.color, choice.background)


def printable(text: str) -> str:
    """A file name as Qt can show it: a byte that is not UTF-8 (an old zip, a USB stick)
    becomes U+FFFD, as file managers show it. Qt would drop it, naming another file."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _one_line(exc: BaseException) -> str:
    text = printable(str(exc)).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


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
        self.key = scan_key(choice)
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
                                 progress=self._on_progress, cancel=self._cancel.is_set)
        except DataCancelled:
            self.cancelled.emit()
        except (DataError, ConfigError) as exc:  # already one line meant for the user
            self.failed.emit(_one_line(exc))
        except MemoryError:
            self.failed.emit(f"Not enough memory to hold these images at {c.resolution}×{c.resolution}; "
                             "try a smaller size.")
        except Exception as exc:  # a bug or an OS surprise: say so plainly, never crash the app
            log.exception("Unexpected error while reading %s", c.source)
            self.failed.emit(f"Could not read {c.source}: {_one_line(exc)}")
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


class ScanController(QObject):
    """Keeps DataState.images in step with DataState.choice.

    A choice change cancels the running scan at once and starts a new one after a short
    pause (so dragging through options does not start a scan per step). Results of a
    superseded scan are dropped. Call shutdown() before the app exits.

    With scan_initial (the default) the state's current choice is scanned once the event
    loop runs, unless a choice change comes first: set_choice() with a choice equal to the
    default emits nothing, yet the app still needs its first-launch demo set read.
    """

    def __init__(self, state: DataState, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS,
                 scan_initial: bool = True) -> None:
        super().__init__(parent)
        self.state = state
        self._worker: ScanWorker | None = None  # the one whose result will land
        self._workers: set[ScanWorker] = set()  # every thread not yet joined (Python keeps them alive)
        self._landed_key: tuple | None = None  # what state.images / state.error describe
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._start_current)
        state.choiceChanged.connect(self._on_choice_changed)
        if scan_initial and state.images is None and state.error is None and not state.scanning:
            self._timer.start()

    # ------------------------------------------------------------------ public

    def is_running(self) -> bool:
        """True while any scan thread (current or being cancelled) has not been joined."""
        return any(w.isRunning() for w in self._workers)

    def is_pending(self) -> bool:
        """True while a scan waits for the debounce pause or runs."""
        return self._timer.isActive() or self._worker is not None

    @Slot()
    def rescan(self) -> None:
        """Scan state.choice now, even if it was scanned before (files may have changed)."""
        if self._closed:
            return
        self._timer.stop()
        self._retire_current()
        self._start_current()

    @Slot()
    def cancel(self) -> None:
        """The user's Cancel: stop the current scan; state gets CANCELLED_MESSAGE."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.cancel()  # its cancelled() (or a result that beat it) lands
            self._landed_key = None
        elif self.state.scanning:
            self._landed_key = None
            self.state.set_error(CANCELLED_MESSAGE)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and join the threads (for app exit). True if all were joined."""
        self._closed = True
        self._timer.stop()
        self._worker = None
        for w in self._workers:
            w.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        for w in list(self._workers):
            left_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if w.wait(left_ms):
                self._forget(w)
        if self._workers:
            log.warning("%d data scan thread(s) did not stop in %d ms", len(self._workers), timeout_ms)
        return not self._workers

    # ------------------------------------------------------------------ internals

    @Slot()
    def _on_choice_changed(self) -> None:
        if self._closed:
            return
        key = scan_key(self.state.choice)
        current = self._worker.key if self._worker is not None else self._landed_key
        if key == current:
            # e.g. only flip changed, or an option went back before the pause ended: the
            # pixels on show (or the scan under way) are still right.
            self._timer.stop()
            return
        self._retire_current()
        self._timer.start()  # restarts the pause if one is already counting

    def _retire_current(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None  # its late signals no longer land (see _is_current)

    @Slot()
    def _start_current(self) -> None:
        if self._closed:
            return
        worker = ScanWorker(self.state.choice)
        worker.progress.connect(self._on_progress)
        worker.finished_ok.connect(self._on_ok)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(self._on_thread_finished)
        self._worker = worker
        self._workers.add(worker)
        self._landed_key = None
        self.state.set_scanning()
        worker.start()

    def _is_current(self) -> bool:
        # sender() is valid here: these slots run queued, in this object's (the GUI) thread.
        return self._worker is not None and self.sender() is self._worker

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self._is_current():
            self.state.set_progress(done, total)

    @Slot(object)
    def _on_ok(self, images) -> None:
        if self._is_current():
            self._landed_key, self._worker = self._worker.key, None
            self.state.set_images(images)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._is_current():
            self._landed_key, self._worker = self._worker.key, None
            self.state.set_error(message)

    @Slot()
    def _on_cancelled(self) -> None:
        if self._is_current():
            self._worker = None
            self.state.set_error(CANCELLED_MESSAGE)

    @Slot()
    def _on_thread_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, ScanWorker) and worker in self._workers:
            # QThread.finished is emitted from the thread just before it ends: join it.
            worker.wait()
            self._forget(worker)

    def _forget(self, worker: ScanWorker) -> None:
        self._workers.discard(worker)
        if worker is self._worker:
            self._worker = None
        worker.deleteLater()
