"""GUI tests: fail any test that leaves a QThread running (Python's thread list can't see them)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication


@pytest.fixture(autouse=True)
def _no_qthread_left_running(qapp):
    yield
    running = []
    for widget in QApplication.topLevelWidgets():
        for thread in widget.findChildren(QThread):
            if thread.isRunning() and not thread.wait(5000):
                running.append(f"{type(thread).__name__} under {widget.objectName() or type(widget).__name__}")
    assert running == [], f"test left Qt threads running: {running}"


@pytest.fixture
def fresh_window(qtbot, tmp_path, monkeypatch):
    """The real main window with its own settings, runs folder and data cache."""
    from PySide6.QtCore import QSettings

    from ganstudio.gui.app import create_main_window

    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    win = create_main_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(1360, 860)
    win.show()
    yield win
    win.shutdown()
