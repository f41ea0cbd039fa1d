"""When something goes wrong inside the app: a plain message, a report file, and no lost work.

- An exception that escapes a slot (GUI thread) or a thread's run() reaches sys.excepthook:
  the traceback goes to a crash report in the platform's log folder and the user sees one
  sentence naming that file. The app keeps running; training in its thread is not touched.
- Warnings and errors logged by the app's modules go to ganstudio.log in the same folder, so a
  window started from an icon (no terminal) still leaves a trace.
- Ctrl+C in the terminal closes the app like File → Quit (which asks first while training);
  SIGTERM (logout, `kill`) stops training with a checkpoint and closes without asking.
"""

from __future__ import annotations

import logging
import logging.handlers
import signal
import socket
import sys
import threading
import traceback

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from ganstudio.places import log_dir, write_crash_report

LOG_NAME = "ganstudio.log"


def log_to_file() -> None:
    """The app's warnings and errors also go to ganstudio.log (1 MB, three old ones kept)."""
    root = logging.getLogger("ganstudio")
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=1 << 20, backupCount=3,
                                                       encoding="utf-8", delay=True)
    except OSError:
        return  # a read-only home: the messages still reach the window and stderr
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.addHandler(logging.StreamHandler())  # and stderr, as before, for a terminal


class CrashNotice(QObject):
    """Carries a crash from any thread to a message box on the GUI thread (a queued signal)."""

    crashed = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.showing = False
        self.crashed.connect(self._show)

    def hook(self, kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        where = threading.current_thread().name
        logging.getLogger("ganstudio").error("unexpected error in %s:\n%s", where, text)
        report = write_crash_report(f"thread: {where}\n\n{text}", "app")
        message = f"GAN Studio hit an unexpected error: {kind.__name__}: {value}."
        if report is not None:
            message += f" The details are in {report}; please send that file with a bug report."
        message += " Your runs and saved pieces are safe."
        self.crashed.emit(message)  # queued when raised outside the GUI thread

    @Slot(str)
    def _show(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 30_000)
        if self.showing:  # one box at a time: a crash in a loop must not bury the window in boxes
            return
        self.showing = True
        try:
            QMessageBox.critical(self.window, "Something went wrong", message)
        finally:
            self.showing = False


def report_crashes_in(window) -> CrashNotice:
    notice = CrashNotice(window)
    sys.excepthook = notice.hook
    threading.excepthook = lambda args: notice.hook(args.exc_type, args.exc_value, args.exc_traceback)
    window.crash_notice = notice
    return notice


def close_on_signals(app: QApplication, window) -> None:
    """Python handles a signal only when it runs Python code; Qt's event loop is C++. The C
    handler writes a byte to a socket that Qt watches, which wakes the loop, and the Python
    handler then runs (no polling timer)."""
    try:
        receive, send = socket.socketpair()
        receive.setblocking(False)
        send.setblocking(False)
        signal.set_wakeup_fd(send.fileno())
    except (OSError, ValueError):  # not the main thread, or no sockets: Ctrl+C then waits for the next event
        return
    notifier = QSocketNotifier(receive.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        try:
            receive.recv(64)
        except OSError:
            pass

    notifier.activated.connect(drain)
    signal.signal(signal.SIGINT, lambda *_: window.close())  # like File → Quit
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: window.quit_without_asking())
    app._ganstudio_signal_sockets = (receive, send, notifier)  # keep them alive with the app
