"""The QThread that drives `engine.Trainer` for the app.

It imports QtCore and pure modules only, so it cannot touch a widget. The trainer is
built inside the thread (model construction and torch start-up never block the window),
and every tick's frozen report crosses to the GUI thread through one queued signal.
Pause, resume and stop go in through the trainer's thread-safe flags.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal

from ganstudio.places import crash_note
from ganstudio.config import RunConfig

log = logging.getLogger("ganstudio.gui.training")


class TrainingThread(QThread):
    started_training = Signal(str, object, object)  # device description, device.Precision, the Trainer's final RunConfig
    report = Signal(object)  # engine.TickReport, once per tick
    failed = Signal(str)  # one plain line

    def __init__(
        self,
        config: RunConfig,
        images: np.ndarray,
        run_dir: str | Path,
        *,
        resume: bool = False,
        threads: int | None = None,
        parent=None,
        start_from: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TrainingThread")
        self._config = config
        self._images = images
        self._run_dir = Path(run_dir)
        self._resume = resume
        self._threads = threads
        self._start_from = start_from  # a run folder or checkpoint the new run starts from (warm_start.py)
        self._trainer = None
        self._lock = threading.Lock()  # guards _trainer and the pending requests below
        self._stop_requested = False
        self._pause_requested = False
        self.native_id: int | None = None  # the OS thread id, once running (tests)
        self.niceness: int | None = None  # its nice value where one was set (Linux)

    # -- requests from the GUI thread (thread-safe) ---------------------------------------
    def request_stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            if self._trainer is not None:
                self._trainer.request_stop()

    def request_pause(self) -> None:
        with self._lock:
            self._pause_requested = True
            if self._trainer is not None:
                self._trainer.request_pause()

    def request_resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            if self._trainer is not None:
                self._trainer.request_resume()

    # -- the thread -------------------------------------------------------------------------
    def run(self) -> None:  # noqa: D401 - QThread entry point
        folder_lock = None
        try:
            from ganstudio.threads import let_the_window_go_first

            self.native_id = threading.get_native_id()
            self.niceness = let_the_window_go_first()  # before torch starts this thread's helpers
            import torch

            from ganstudio.checkpoint import CheckpointError
            from ganstudio.config import ConfigError
            from ganstudio.device import DeviceError, describe_device
            from ganstudio.training.trainer import Trainer, TrainingError
            from ganstudio.runs.folder import RunFolder, RunFolderError
            from ganstudio.threads import remember_torch_default, training_threads_beside_window

            # None: leave torch alone; 0: automatic (all cores but one where there are 4 or more).
            default = remember_torch_default(torch.get_num_threads())
            if self._threads == 0:
                torch.set_num_threads(training_threads_beside_window(default))
            elif self._threads is not None and self._threads > 0:
                torch.set_num_threads(self._threads)
            expected = (ConfigError, CheckpointError, DeviceError, RunFolderError, ValueError, OSError)
            try:
                # One trainer per run folder, the same lock `ganstudio train` takes: a run
                # training in a terminal must not have its checkpoints overwritten from here.
                folder_lock = RunFolder(self._run_dir).lock()
                config, images, start = self._config, self._images, None
                if self._start_from:
                    from ganstudio.plan import convert_channels
                    from ganstudio.training.warm_start import adopt, load_starting_point

                    start = load_starting_point(self._start_from)
                    # The size is the Data page's (its images are decoded at it); a colour left on
                    # automatic follows the model, one the artist picked must match it.
                    config = adopt(config, start, resolution_chosen=True, color_chosen=not config.data.color_why)
                    images = convert_channels(images, config.data.color)
                trainer = Trainer(config, images, self._run_dir, resume=self._resume, start=start)
            except expected as exc:
                self.failed.emit(str(exc) or type(exc).__name__)
                return
            with self._lock:
                self._trainer = trainer
                if self._stop_requested:
                    trainer.request_stop()
                if self._pause_requested:
                    trainer.request_pause()
            self._images = None  # the trainer holds its own copy (on the device)
            self.started_training.emit(describe_device(trainer.device), trainer.precision, trainer.config)
            try:
                for report in trainer.run():
                    self.report.emit(report)
            except TrainingError as exc:
                self.failed.emit(str(exc))
        except Exception as exc:  # a bug of ours: tell the user in one line, keep the details in the log
            log.error("training thread failed:\n%s", traceback.format_exc())
            self.failed.emit(f"Training stopped because of an unexpected error: {type(exc).__name__}: {exc}."
                             + crash_note("training"))
        finally:
            with self._lock:
                self._trainer = None
            if folder_lock is not None:  # after the last checkpoint: the folder is free again
                folder_lock.release()
