"""Start the desktop app: `ganstudio` or `python -m ganstudio` with no command."""

from __future__ import annotations

import os
import sys
from typing import Sequence

from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ganstudio import __version__
from ganstudio.bundled import icon_path
from ganstudio.gui.crashes import close_on_signals, log_to_file, report_crashes_in
from ganstudio.gui.startup_check import why_qt_cannot_start

CANNOT_START = 3  # the CLI's code for "something this computer lacks" (cli/common.py)
from ganstudio.gui.theme import dark_palette

APP_NAME = "GAN Studio"
ORGANISATION = "GAN Studio"


def configure_application(app: QApplication) -> None:
    # The training thread holds the GIL between torch calls; a shorter switch interval
    # (default 5 ms) lets the GUI thread in sooner, so the window never stutters.
    sys.setswitchinterval(0.001)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)
    # Matches ganstudio.desktop, so Wayland docks and task bars show our icon and name.
    app.setDesktopFileName("ganstudio")
    icon = icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyle("Fusion")
    app.setPalette(dark_palette())


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
        problem = why_qt_cannot_start(args)
        if problem is not None:  # Qt would abort the process with a misleading message
            print(f"ganstudio: {problem}", file=sys.stderr)
            return CANNOT_START
        app = QApplication(args)
        args = app.arguments()  # what Qt's own options (-platform, -style …) leave
    configure_application(app)
    log_to_file()
    window = create_main_window()
    report_crashes_in(window)
    close_on_signals(app, window)
    window.show()
    targets = [a for a in args[1:] if a and not a.startswith("-")]
    if targets:
        window.open_path(targets[0])
    if os.environ.get("GANSTUDIO_REPORT_STARTUP") or os.environ.get("GANSTUDIO_SMOKE_TEST"):
        _report_startup(window)
    if os.environ.get("GANSTUDIO_SMOKE_TEST"):
        _quit_when_ready(app, window)
    return app.exec()


def _quit_when_ready(app: QApplication, window, limit_s: float = 600.0) -> None:
    """CI's check of the README's first command: the app opens, a demo set is chosen and read,
    and the bundled model is in the explorer; then it quits (exit 0), or says what was missing
    (exit 1) after `limit_s`."""
    import time

    from PySide6.QtCore import QTimer

    started = time.monotonic()
    timer = QTimer(window)

    def check() -> None:
        images = window.data_state.images
        shown = window.explore_page.current_image()
        if images is not None and shown is not None:
            timer.stop()
            print(f"ganstudio-smoke: ok: data {window.data_state.choice.source} ({images.count} images), "
                  f"explorer shows {window.explore_page.state.source.run} ({shown.shape[1]} px)", flush=True)
            window.close()
        elif time.monotonic() - started > limit_s:
            timer.stop()
            print(f"ganstudio-smoke: failed: data {'read' if images is not None else 'not read'}, "
                  f"explorer {'shows a model' if shown is not None else 'empty'}", flush=True)
            window.close()
            app.exit(1)

    timer.timeout.connect(check)
    timer.start(100)


def _report_startup(window) -> None:
    """For tests/bench/startup.py: say on stdout when the window takes input and when torch is up."""
    from PySide6.QtCore import QTimer

    # A zero-delay timer fires on the event loop's first turn: the window is painted and answers clicks.
    QTimer.singleShot(0, lambda: print("ganstudio-startup: window usable", flush=True))
    window.probe.found.connect(lambda *_: print("ganstudio-startup: device known", flush=True))
    # And what the explorer shows once it has rendered (`ganstudio PIECE.png` opens a piece there).
    explorer = window.explore_page
    watch = QTimer(window)

    def explorer_ready() -> None:
        look = explorer.current_look()
        if look is not None and explorer.is_idle() and explorer.current_image() is not None:
            watch.stop()
            print(f"ganstudio-startup: explorer shows seed {look.seed} of {explorer.state.source.run}", flush=True)

    watch.timeout.connect(explorer_ready)
    watch.start(50)


if __name__ == "__main__":
    sys.exit(main())
