"""State objects the widgets observe and write (napari-style): no widget talks to another.

Each is a QObject holding plain data from the pure layer plus change signals. Pages read
them and call their setters; only the main window connects them to threads.
"""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ganstudio.config import DataConfig, RunConfig
from ganstudio.plan import decide_data


class ScanStatus(enum.Enum):
    """Where reading the chosen data set stands."""

    WAITING = "waiting"  # nothing read yet
    SCANNING = "scanning"
    READY = "ready"  # images set
    FAILED = "failed"  # error set
    CANCELLED = "cancelled"  # the user's Cancel; error holds the words to show


CANCELLED_MESSAGE = "Reading the images was cancelled. Choose a data set, or press Scan again."


class DataState(QObject):
    """What the user chose to train on, and what scanning it gave."""

    choiceChanged = Signal()  # source or decode options edited: a new scan is due
    scanStarted = Signal()
    scanProgress = Signal(int, int)  # done, total
    imagesChanged = Signal()  # a scan finished (images set) or failed (error set)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choice = DataConfig()
        self.images = None  # ganstudio.data.ImageSet once scanned
        self.error: str | None = None
        self.status = ScanStatus.WAITING

    @property
    def scanning(self) -> bool:
        return self.status is ScanStatus.SCANNING

    def decided_choice(self) -> DataConfig:
        """The choice with colour and mirroring settled by the scanned images (plan.decide_data);
        the choice as it is while no images are ready."""
        if self.images is None or self.choice.decided:
            return self.choice
        decided, _ = decide_data(self.choice, self.images.images, traits=self.images.traits)
        return decided

    def set_choice(self, choice: DataConfig) -> None:
        if choice == self.choice:
            return
        self.choice = choice
        self.choiceChanged.emit()

    def set_scanning(self) -> None:
        self.status = ScanStatus.SCANNING
        self.scanStarted.emit()

    def set_progress(self, done: int, total: int) -> None:
        self.scanProgress.emit(done, total)

    def set_images(self, images) -> None:
        self.status = ScanStatus.READY
        self.images = images
        self.error = None
        self.imagesChanged.emit()

    def set_error(self, message: str, status: ScanStatus = ScanStatus.FAILED) -> None:
        self.status = status
        self.images = None
        self.error = message
        self.imagesChanged.emit()

    def set_cancelled(self) -> None:
        self.set_error(CANCELLED_MESSAGE, ScanStatus.CANCELLED)


class TrainingState(QObject):
    """The run being trained or viewed: its state, settings, history and live reports."""

    STATES = ("idle", "starting", "running", "paused", "stopping", "finished", "stopped", "failed", "viewing")

    stateChanged = Signal(str)
    reportAdded = Signal(object)  # engine.TickReport
    runOpened = Signal(object)  # RunHistory of an existing run folder (or None when cleared)
    messagePosted = Signal(str, str)  # level ("info", "warning", "error"), text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "idle"
        self.run_dir: Path | None = None
        self.config: RunConfig | None = None
        self.last_report = None
        self.device_name = ""

    @property
    def busy(self) -> bool:
        return self.state in ("starting", "running", "paused", "stopping")

    def set_state(self, state: str) -> None:
        if state not in self.STATES:
            raise ValueError(f"unknown training state {state!r}")
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def add_report(self, report) -> None:
        self.last_report = report
        self.reportAdded.emit(report)

    def open_run(self, history) -> None:
        self.run_dir = history.root if history is not None else None
        self.config = history.config if history is not None else None
        self.runOpened.emit(history)

    def post(self, level: str, text: str) -> None:
        self.messagePosted.emit(level, text)
