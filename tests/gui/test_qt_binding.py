"""The Qt binding itself must not corrupt Python: PySide6 6.12.0 did (hence the pin in pyproject)."""

import sys

from PySide6.QtWidgets import QApplication


def test_process_events_keeps_none_alive(qapp):
    # PySide6 6.12.0's processEvents() released a reference to None on every call: a long
    # training session in the window (or a long test) then aborted Python outright.
    before = sys.getrefcount(None)
    for _ in range(2000):
        QApplication.processEvents()
    assert sys.getrefcount(None) >= before - 50
