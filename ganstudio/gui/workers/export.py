"""Renders and writes what the explorer saves (pieces, grids, GIF and MP4 walks) off the GUI thread.

QtCore and pure modules only. The explore controller hands over a plain function
`job(progress, cancelled) -> result` built from pure modules (explore/pieces.py: render,
upscale, encode); this thread runs it and reports back in one line, never a traceback.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QThread, Signal

log = logging.getLogger("ganstudio.gui.export")

from ganstudio.places import crash_note
from ganstudio.export import Cancelled as ExportCancelled  # raised by a job that saw cancelled() turn true

Job = Callable[[Callable[[int, int], None], Callable[[], bool]], object]


class ExportThread(QThread):
    progress = Signal(int, int)  # done, total
    done = Signal(object)  # the job's result: the path written, or pixels (a copy to the clipboard)
    failed = Signal(str)  # one plain line for the user

    def __init__(self, job: Job, description: str = "export", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ExportThread")
        self._job = job
        self.description = description
        self._cancel = threading.Event()
        self.result: object = None
        self.error: str | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            from ganstudio.threads import leave_the_cores_to_training

            leave_the_cores_to_training()  # an export beside training must not slow it down
            result = self._job(lambda d, t: self.progress.emit(int(d), int(t)), self._cancel.is_set)
        except ExportCancelled:
            self.error = "cancelled"
            self.failed.emit(f"The {self.description} was cancelled.")
            return
        except (ValueError, OSError) as exc:  # bad sizes, a full disk, a missing optional package
            self.error = str(exc)
            self.failed.emit(f"Could not write the {self.description}: {exc}")
            return
        except Exception as exc:  # a bug of ours: one line for the user, details in the log
            log.error("export failed:\n%s", traceback.format_exc())
            self.error = str(exc)
            self.failed.emit(f"Could not write the {self.description}: {type(exc).__name__}: {exc}." + crash_note("export"))
            return
        self.result = result
        self.done.emit(result)
