"""ClinicController: runs the data clinic on the Data page's images, one check at a time.

A check of images that have since been replaced (a new scan, an image left out) is dropped
when it lands; the report on show always describes the images it names.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from ganstudio.gui.controllers.threads import ThreadKeeper
from ganstudio.gui.state import ClinicState, DataState
from ganstudio.gui.workers.clinic import ClinicWorker


class ClinicController(QObject):
    def __init__(self, data: DataState, clinic: ClinicState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data, self.clinic = data, clinic
        self._worker: ClinicWorker | None = None
        self._threads = ThreadKeeper(self, on_forget=self._forget)
        self._closed = False
        self._checked_key: tuple | None = None  # what the report on show was made from
        data.imagesChanged.connect(self._on_images)

    def is_running(self) -> bool:
        return self._threads.running()

    @Slot()
    def check(self) -> None:
        """Check the images on show now (cancelling a check under way)."""
        images = self.data.images
        if self._closed or images is None:
            return
        self._retire()
        c = self.data.choice
        worker = ClinicWorker(images, resolution=c.resolution, fit=c.fit)
        worker.progress.connect(self._on_progress)
        worker.finished_ok.connect(self._on_ok)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._worker = worker
        self._threads.adopt(worker)
        self.clinic.set_running()
        worker.start()

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._closed = True
        self._retire()
        self._threads.cancel_all()
        return self._threads.join_all(timeout_ms)

    @Slot()
    def _on_images(self) -> None:
        """Other images (another folder, size or crop): the report no longer describes them. Images
        left out by the artist keep it: its cards are where they bring them back."""
        if self.clinic.report is not None and _key(self.data.choice) != self._checked_key:
            self.clinic.clear()

    def _retire(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    def _current(self) -> ClinicWorker | None:
        worker = self.sender()
        return worker if worker is self._worker else None

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self._current() is not None:
            self.clinic.set_progress(done, total)

    @Slot(object)
    def _on_ok(self, report) -> None:
        worker = self._current()
        if worker is None:
            return
        self._worker = None
        if worker.images is self.data.images:
            self._checked_key = _key(self.data.choice)
            self.clinic.set_report(report, worker.images.images)
        else:
            self.clinic.set_message("The images changed while they were checked; check them again.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._current() is not None:
            self._worker = None
            self.clinic.set_message(message)

    @Slot()
    def _on_cancelled(self) -> None:
        if self._current() is not None:
            self._worker = None
            self.clinic.set_message("The check was cancelled.")

    def _forget(self, worker) -> None:
        if worker is self._worker:
            self._worker = None


def _key(choice) -> tuple:
    """The data choice less the images left out."""
    return (choice.source, choice.resolution, choice.fit, choice.color, choice.background, choice.frame_rate)
