"""ScanController: keeps DataState's images in step with its choice, one ScanWorker at a time.

It turns DataState.choiceChanged into scans and scan results into DataState setters, so the
main window only has to create one and connect a page's cancelRequested to cancel().
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Slot

from ganstudio.gui.controllers.threads import ThreadKeeper
from ganstudio.gui.state import DataState
from ganstudio.gui.workers.scan import ScanWorker

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250


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
        self._threads = ThreadKeeper(self, on_forget=self._forget)  # every thread not yet joined
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
        return self._threads.running()

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
        """The user's Cancel: stop the current scan; state says it was cancelled."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.cancel()  # its cancelled() (or a result that beat it) lands
            self._landed_key = None
        elif self.state.scanning:
            self._landed_key = None
            self.state.set_cancelled()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and join the threads (for app exit). True if all were joined."""
        self._closed = True
        self._timer.stop()
        self._worker = None
        self._threads.cancel_all()
        if not self._threads.join_all(timeout_ms):
            log.warning("%d data scan thread(s) did not stop in %d ms", len(self._threads), timeout_ms)
            return False
        return True

    # ------------------------------------------------------------------ internals

    @Slot()
    def _on_choice_changed(self) -> None:
        if self._closed:
            return
        key = self.state.choice.scan_key()
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
        self._worker = worker
        self._threads.adopt(worker)
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
            self.state.set_images(images, self._landed_key)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._is_current():
            self._landed_key, self._worker = self._worker.key, None
            self.state.set_error(message)

    @Slot()
    def _on_cancelled(self) -> None:
        if self._is_current():
            self._worker = None
            self.state.set_cancelled()

    def _forget(self, worker) -> None:
        if worker is self._worker:
            self._worker = None
