"""CopyCheckController: 'nearest training images' for the explorer's picture or a sample grid.

One request at a time, the newest wins; the training images, once read, are kept for the
next request about the same run's data.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.config import DataConfig
from ganstudio.gui.controllers.threads import ThreadKeeper
from ganstudio.gui.workers.copies import NearestWorker, TrainingSet


class CopyCheckController(QObject):
    found = Signal(object)  # workers.copies.Nearest
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: NearestWorker | None = None
        self._threads = ThreadKeeper(self)
        self._training: TrainingSet | None = None

    def training_set(self) -> TrainingSet | None:
        """The training images read last (any thread may read this reference)."""
        return self._training

    def busy(self) -> bool:
        return self._worker is not None

    def find(self, data: DataConfig, pictures: np.ndarray, *, title: str, k: int = 4) -> None:
        worker = NearestWorker(data, pictures, title, k, self._training)
        worker.found.connect(self._on_found)
        worker.failed.connect(self._on_failed)
        self._worker = worker
        self._threads.adopt(worker)
        self.busyChanged.emit(True)
        worker.start()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        self._worker = None
        return self._threads.join_all(timeout_ms)

    @Slot(object)
    def _on_found(self, nearest) -> None:
        self._training = nearest.training
        if self.sender() is self._worker:
            self._worker = None
            self.busyChanged.emit(False)
            self.found.emit(nearest)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.sender() is self._worker:
            self._worker = None
            self.busyChanged.emit(False)
            self.failed.emit(message)
