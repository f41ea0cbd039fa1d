"""Start the desktop app: `ganstudio` or `python -m ganstudio` with no command."""

from __future__ import annotations

import os
import sys
from typing import Sequence

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

APP_NAME = "GAN Studio"
ORGANISATION = "GAN Studio"


def _dark_palette() -> QPalette:
    """A calm dark theme: the artwork, not the chrome, should carry the colour."""
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(222, 222, 222)
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, QColor(38, 40, 43))
    p.setColor(QPalette.ToolTipBase, QColor(55, 57, 61))
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, QColor(55, 57, 61))
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor(255, 120, 120))
    p.setColor(QPalette.Highlight, QColor(64, 140, 200))
    p.setColor(QPalette.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.Link, QColor(100, 170, 230))
    p.setColor(QPalette.PlaceholderText, QColor(140, 140, 140))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(120, 120, 120))
    return p


def configure_application(app: QApplication) -> None:
    # The training thread holds the GIL between torch calls; a shorter switch interval
    # (default 5 ms) lets the GUI thread in sooner, so the window never stutters.
    sys.setswitchinterval(0.001)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setStyle("Fusion")
    app.setPalette(_dark_palette())


def create_main_window(settings: QSettings | None = None):
    """Build the main window inside an existing QApplication (tests and scripts use this)."""
    from ganstudio.gui.main_window import MainWindow

    app = QApplication.instance()
    if app is None:
        raise RuntimeError("create_main_window() needs a QApplication; use main() to run the app")
    if app.applicationName() != APP_NAME:
        configure_application(app)
    return MainWindow(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app. A run folder, a saved piece or a folder of images given after the program
    name opens as if it had been dropped onto the window."""
    args = list(argv) if argv is not None else list(sys.argv)
    app = QApplication.instance()
    if app is None:
        app = QApplication(args)
        args = app.arguments()  # what Qt's own options (-platform, -style …) leave
    configure_application(app)
    window = create_main_window()
    window.show()
    targets = [a for a in args[1:] if a and not a.startswith("-")]
    if targets:
        window.open_path(targets[0])
    if os.environ.get("GANSTUDIO_REPORT_STARTUP"):
        _report_startup(window)
    return app.exec()


def _report_startup(window) -> None:
    """For tests/bench/startup.py: say on stdout when the window takes input and when torch is up."""
    from PySide6.QtCore import QTimer

    # A zero-delay timer fires on the event loop's first turn: the window is painted and answers clicks.
    QTimer.singleShot(0, lambda: print("ganstudio-startup: window usable", flush=True))
    window.probe.found.connect(lambda *_: print("ganstudio-startup: device known", flush=True))


if __name__ == "__main__":
    sys.exit(main())
