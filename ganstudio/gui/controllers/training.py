"""TrainingController: starts, pauses, resumes and stops the training thread, and keeps
TrainingState in step with what it reports.

What happens once the thread has ended (nothing, go back to the best checkpoint, close the
window) is one value, `after_stop`, not a set of flags.
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.config import RunConfig
from ganstudio.gui.state import Phase, TrainingState
from ganstudio.training.report import RunState
from ganstudio.gui.workers.training import TrainingThread

log = logging.getLogger(__name__)


class AfterStop(enum.Enum):
    NOTHING = "nothing"
    REVERT = "revert"  # go back to the best checkpoint, then open the run again
    CLOSE = "close"  # the window is closing: close it once the checkpoint is saved


class TrainingController(QObject):
    started = Signal()  # the trainer is set up and training (its device is known)
    liveGenerator = Signal(object, int)  # a CPU copy of the EMA generator, its step
    ended = Signal(object)  # the thread ended; what to do now (AfterStop)

    def __init__(self, state: TrainingState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.thread: TrainingThread | None = None
        self.after_stop = AfterStop.NOTHING
        self.device_text = ""
        self.precision = None

    @property
    def ending(self) -> bool:
        """A stopped run's thread is still ending with something left to do after it."""
        return self.thread is not None and self.after_stop is not AfterStop.NOTHING

    def start(self, config: RunConfig, images, run_dir: Path, *, resume: bool, threads: int,
              start_from: str | None) -> None:
        self.state.run_dir = run_dir
        self.state.config = config
        self.state.set_state(Phase.STARTING)
        thread = TrainingThread(config, images, run_dir, resume=resume, threads=threads, parent=self,
                                start_from=None if resume else start_from)
        thread.started_training.connect(self._on_started)
        thread.report.connect(self._on_report)
        thread.failed.connect(self._on_failed)
        # Bound to this thread (by the sender): the previous run's `finished` can still be queued
        # when a quick Stop-then-Start has already made a new thread, and must not take that one away.
        thread.finished.connect(self._on_finished_signal)
        self.thread = thread
        thread.start()

    def pause(self) -> None:
        if self.thread is not None and self.state.state == Phase.RUNNING:
            self.thread.request_pause()

    def resume(self) -> None:
        if self.thread is not None and self.state.state == Phase.PAUSED:
            self.thread.request_resume()
            self.state.set_state(Phase.RUNNING)

    def stop(self, then: AfterStop | None = None) -> None:
        if then is not None:
            self.after_stop = then
        if self.thread is not None and self.state.busy:
            self.thread.request_stop()
            self.state.set_state(Phase.STOPPING)

    def wait(self, timeout_ms: int) -> None:
        """Stop and wait for the thread (app exit): the trainer saves a checkpoint first."""
        if self.thread is not None:
            self.thread.request_stop()
            self.thread.wait(timeout_ms)

    @Slot(str, object, object)
    def _on_started(self, device: str, precision, config) -> None:
        self.state.config = config
        self.device_text, self.precision = device, precision
        if self.state.state == Phase.STARTING:
            self.state.set_state(Phase.RUNNING)
        self.started.emit()

    @Slot(object)
    def _on_report(self, report) -> None:
        self.state.add_report(report)
        if report.ema_generator is not None:
            # A fresh CPU copy per sample tick: the explorer never sees the weights being trained.
            self.liveGenerator.emit(report.ema_generator, report.step)
        state = Phase.FAILED if report.state is RunState.DIVERGED else Phase(report.state)
        if self.state.state == Phase.STOPPING and state in (Phase.RUNNING, Phase.PAUSED):
            return  # a tick that was already on its way
        self.state.set_state(state)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.state.post("error", message)
        self.state.set_state(Phase.FAILED)

    @Slot()
    def _on_finished_signal(self) -> None:
        self._on_thread_finished(self.sender())

    def _on_thread_finished(self, thread: TrainingThread) -> None:
        thread.wait()
        thread.deleteLater()
        if thread is not self.thread:
            return  # an earlier run's thread, ending after the next run started: that run carries on
        self.thread = None
        if self.state.busy:  # ended without a final report (e.g. failed to start)
            self.state.set_state(Phase.FAILED if self.state.state == Phase.STARTING else Phase.STOPPED)
        then, self.after_stop = self.after_stop, AfterStop.NOTHING
        self.ended.emit(then)
