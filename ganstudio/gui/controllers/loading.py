"""LoadingController: reads run folders and loads generators off the GUI thread.

Loads end in any order; only the newest request of each kind lands (an earlier, slower
read must not replace a later one). `forget()` drops what is in flight: a new run began,
or the window is closing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ganstudio.gui.workers.probes import GeneratorLoader, RunReader


class NewestOnly(QObject):
    """Runs workers of one kind; passes on the result of the newest one only."""

    landed = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers: list[QThread] = []
        self.newest: QThread | None = None

    def start(self, worker: QThread) -> None:
        worker.loaded.connect(self._on_loaded)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self.workers.append(worker)
        self.newest = worker
        worker.start()

    @Slot(object)
    def _on_loaded(self, result) -> None:
        if self.sender() is self.newest:
            self.newest = None
            self.landed.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.sender() is self.newest:  # a superseded read has nothing left to say
            self.newest = None
            self.failed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        worker = self.sender()
        if worker in self.workers:
            worker.wait()
            self.workers.remove(worker)
        worker.deleteLater()

    def wait(self, timeout_ms: int) -> None:
        for worker in list(self.workers):
            worker.wait(timeout_ms)


class LoadingController(QObject):
    runLoaded = Signal(object)  # runs.history.RunHistory
    runFailed = Signal(str)
    generatorLoaded = Signal(object)  # checkpoint.LoadedGenerator (with why)
    generatorFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs = NewestOnly(self)
        self.models = NewestOnly(self)
        self.runs.landed.connect(self.runLoaded)
        self.runs.failed.connect(self.runFailed)
        self.models.landed.connect(self.generatorLoaded)
        self.models.failed.connect(self.generatorFailed)
        self.closed = False

    def read_run(self, folder: str | Path) -> None:
        if not self.closed:
            self.runs.start(RunReader(folder, self))

    def load_generator(self, target: str | Path, prefer: str = "best") -> None:
        if not self.closed:
            self.models.start(GeneratorLoader(target, prefer, self))

    def load_model_of_piece(self, recipe, piece: str | Path) -> None:
        """The generator a saved piece was made with, wherever its run lives now (explore/locate.py)."""
        if not self.closed:
            self.models.start(GeneratorLoader(piece, "best", self, piece_recipe=recipe))

    def forget_run(self) -> None:
        """A run still being opened is no longer wanted."""
        self.runs.newest = None

    def idle(self) -> bool:
        return not self.runs.workers and not self.models.workers

    def loading_a_model(self) -> bool:
        return bool(self.models.workers)

    def shutdown(self, timeout_ms: int) -> None:
        self.closed = True
        self.runs.newest = self.models.newest = None
        self.runs.wait(timeout_ms)
        self.models.wait(timeout_ms)
