"""State objects the widgets observe and write (napari-style): no widget talks to another.

Each is a QObject holding plain data from the pure layer plus change signals. Pages read
them and call their setters; only the main window connects them to threads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ganstudio.config import DataConfig, RunConfig
from ganstudio.plan import decide_data
from ganstudio.explore.source import ModelSource


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
        self.images_key: tuple | None = None  # the choice's scan_key the images were read for (None: unknown)
        self.error: str | None = None
        self.status = ScanStatus.WAITING

    @property
    def scanning(self) -> bool:
        return self.status is ScanStatus.SCANNING

    @property
    def ready(self) -> bool:
        """Images are here and were read for the choice on show (not the one before a change
        whose scan has yet to start)."""
        return (self.images is not None and not self.scanning
                and (self.images_key is None or self.images_key == self.choice.scan_key()))

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

    def set_images(self, images, key: tuple | None = None) -> None:
        self.status = ScanStatus.READY
        self.images = images
        self.images_key = key
        self.error = None
        self.imagesChanged.emit()

    def set_error(self, message: str, status: ScanStatus = ScanStatus.FAILED) -> None:
        self.status = status
        self.images = None
        self.error = message
        self.imagesChanged.emit()

    def set_cancelled(self) -> None:
        self.set_error(CANCELLED_MESSAGE, ScanStatus.CANCELLED)


class ClinicState(QObject):
    """The data clinic's last check of the Data page's images (data/clinic.py)."""

    started = Signal()
    progress = Signal(int, int)  # files looked at, of
    changed = Signal()  # a report arrived, or the check failed, was cancelled or went stale

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report = None  # ganstudio.data.clinic.ClinicReport
        self.images = None  # the uint8 images the report's indices point into (as checked)
        self.running = False
        self.message = ""  # why there is no report (failed, cancelled), in words

    def set_running(self) -> None:
        self.running, self.message = True, ""
        self.started.emit()

    def set_progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)

    def set_report(self, report, images) -> None:
        self.running, self.report, self.images, self.message = False, report, images, ""
        self.changed.emit()

    def set_message(self, message: str) -> None:
        self.running, self.message = False, message
        self.changed.emit()

    def clear(self) -> None:
        self.running, self.report, self.images, self.message = False, None, None, ""
        self.changed.emit()


class Phase(str, enum.Enum):
    """Where the window's training stands (a str: it reads and compares as its value)."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    VIEWING = "viewing"  # an opened run, not training

    def __str__(self) -> str:
        return self.value


BUSY = (Phase.STARTING, Phase.RUNNING, Phase.PAUSED, Phase.STOPPING)


class TrainingState(QObject):
    """The run being trained or viewed: its phase, settings, history and live reports."""

    stateChanged = Signal(str)
    reportAdded = Signal(object)  # engine.TickReport
    runOpened = Signal(object)  # RunHistory of an existing run folder (or None when cleared)
    messagePosted = Signal(str, str)  # level ("info", "warning", "error"), text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = Phase.IDLE
        self.run_dir: Path | None = None
        self.config: RunConfig | None = None
        self.last_report = None
        self.device_name = ""

    @property
    def busy(self) -> bool:
        return self.state in BUSY

    def set_state(self, state: Phase | str) -> None:
        state = Phase(state)  # a report's RunState or a word: an unknown one raises ValueError
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


@dataclass(frozen=True)
class ExportRequest:
    """A job for the export worker: job(progress, cancelled) -> result (a Path, or pixels)."""

    job: Callable
    description: str  # "picture", "GIF animation", ...: said in messages
    number: int = 0  # told apart in exportDone / exportFailed


class ExploreState(QObject):
    """What the explorer shows and the work it asks for.

    The page asks for pixels and files here and never sees a thread: the explore controller
    (controllers/explore.py) renders in the render worker and writes files in export workers,
    and answers through the signals below. `source` says which generator is on show; it
    changes only with the generator, so the label never names one model beside another's
    picture. `live_run` is the run being trained, whose copies arrive while it trains.
    """

    generatorChanged = Signal(object)  # the render copy (a detached CPU eval module) to draw with
    renderRequested = Signal(int, object, str)  # request id, latents (N, z_dim), lane
    rendered = Signal(int, object)  # request id, uint8 (N, H, W, C)
    renderFailed = Signal(int, str)  # request id, one plain line
    exportRequested = Signal(object)  # ExportRequest
    exportProgress = Signal(int, int, int)  # request number, done, total
    exportDone = Signal(int, object)  # request number, the job's result
    exportFailed = Signal(int, str)  # request number, one plain line
    liveOffered = Signal(object, int)  # a CPU copy of the EMA generator of the run training now, its step

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = ModelSource()
        self.live_run: str | None = None
        self._waiting: dict[str, int] = {}  # lane -> newest request id not yet answered
        self._exports = 0
        self._running_exports: set[int] = set()

    # -- which model
    def set_source(self, source: ModelSource) -> None:
        self.source = source

    def set_live_run(self, run: str | None) -> None:
        self.live_run = run

    def offer_live(self, generator, step: int) -> None:
        """A newer copy from training: the page shows it while it follows training."""
        self.liveOffered.emit(generator, int(step))

    # -- rendering (the newest request per lane wins; see workers/render.py)
    def set_render_generator(self, generator) -> None:
        self._waiting.clear()  # answers for the previous generator are stale; the page drops them
        self.generatorChanged.emit(generator)

    def request_render(self, request_id: int, latents, lane: str = "view") -> None:
        self._waiting[lane] = request_id
        self.renderRequested.emit(request_id, latents, lane)

    def pending_renders(self) -> int:
        return len(self._waiting)

    def answer_render(self, request_id: int, images=None, error: str | None = None) -> None:
        """The controller's reply to a render request (from the GUI thread)."""
        for lane in [lane for lane, wanted in self._waiting.items() if wanted == request_id]:
            del self._waiting[lane]
        if error is None:
            self.rendered.emit(request_id, images)
        else:
            self.renderFailed.emit(request_id, error)

    # -- exporting
    def export(self, job: Callable, description: str) -> int:
        self._exports += 1
        self._running_exports.add(self._exports)
        self.exportRequested.emit(ExportRequest(job, description, self._exports))
        return self._exports

    def exports_running(self) -> int:
        return len(self._running_exports)

    def answer_export(self, number: int, result=None, error: str | None = None) -> None:
        self._running_exports.discard(number)
        if error is None:
            self.exportDone.emit(number, result)
        else:
            self.exportFailed.emit(number, error)


class GalleryState(QObject):
    """Where the gallery looks for saved pieces; the explorer's saves tell it to look again."""

    foldersChanged = Signal()
    piecesChanged = Signal()  # a piece was written into one of the folders

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folders: list[Path] = []

    def set_folders(self, folders: list[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.foldersChanged.emit()

    def piece_saved(self, _path: str = "") -> None:
        self.piecesChanged.emit()
