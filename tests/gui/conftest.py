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
