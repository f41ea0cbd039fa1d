"""ThreadKeeper: the worker threads a controller started and has not joined yet.

Python must hold a QThread object while its thread runs, and a thread that ended must be
joined before its object goes. Each controller that starts one worker after another (scans,
the data clinic, the copy check) keeps them here instead of repeating that bookkeeping.
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QThread, Slot


class ThreadKeeper(QObject):
    def __init__(self, parent: QObject | None = None, on_forget: Callable[[QThread], None] | None = None) -> None:
        super().__init__(parent)
        self._threads: set[QThread] = set()
        self._on_forget = on_forget  # told when a thread was joined and let go

    def __len__(self) -> int:
        return len(self._threads)

    def adopt(self, worker: QThread) -> None:
        """Keep `worker` until its thread ends (connect this before start())."""
        self._threads.add(worker)
        worker.finished.connect(self._on_finished)

    def running(self) -> bool:
        return any(w.isRunning() for w in self._threads)

    def cancel_all(self) -> None:
        for worker in self._threads:
            cancel = getattr(worker, "cancel", None)
            if cancel is not None:
                cancel()

    def join_all(self, timeout_ms: int) -> bool:
        """Wait for every thread, within `timeout_ms` in all. True if all were joined."""
        deadline = time.monotonic() + timeout_ms / 1000
        for worker in list(self._threads):
            if worker.wait(max(0, int((deadline - time.monotonic()) * 1000))):
                self._forget(worker)
        return not self._threads

    @Slot()
    def _on_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, QThread) and worker in self._threads:
            # QThread.finished is emitted from the thread just before it ends: join it.
            worker.wait()
            self._forget(worker)

    def _forget(self, worker: QThread) -> None:
        self._threads.discard(worker)
        if self._on_forget is not None:
            self._on_forget(worker)
        worker.deleteLater()
