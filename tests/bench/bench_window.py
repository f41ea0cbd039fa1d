"""The real main window, ready to train, for benchmarks that measure the app as a user runs it."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QSettings

from ganstudio.config import DataConfig


def open_window_ready_to_train(app, choice: DataConfig, runs_dir: str):
    """A main window whose runs and settings live in `runs_dir`, with `choice` scanned and
    the device known; training set to run until stopped. Returns (window, RunConfig)."""
    from ganstudio.gui.app import create_main_window

    os.environ["GANSTUDIO_RUNS_DIR"] = runs_dir
    win = create_main_window(QSettings(os.path.join(runs_dir, "settings.ini"), QSettings.IniFormat))
    win.show()
    win.data_state.set_choice(choice)
    deadline = time.time() + 120
    while (win.data_state.images is None or win.probe.isRunning()) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    win.train_page.minutes_spin.setValue(0)
    return win, win.train_page.build_config()


def stop_and_close(app, win) -> None:
    """Stop training (a checkpoint is saved), wait for the thread, shut every thread down."""
    win.stop_training()
    while win.training_controller.thread is not None:
        app.processEvents()
        time.sleep(0.01)
    win.shutdown()
