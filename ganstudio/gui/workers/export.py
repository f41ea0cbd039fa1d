"""Writes big exports (large PNGs, GIF and MP4 walks) off the GUI thread.

QtCore and pure modules only. The page hands over a plain function `job(progress,
cancelled) -> Path` built from pure modules (rendering frames, upscaling, encoding);
this thread runs it and reports back in one line, never a traceback.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QThread, Signal

log = logging.getLogger("ganstudio.gui.export")

Job = Callable[[Callable[[int, int], None], Callable[[], bool]], Path]


class ExportCancelled(Exception):
    """Raised by a job that saw cancelled() turn true."""


class ExportThread(QThread):
    progress = Signal(int, int)  # done, total
    done = Signal(str)  # the path written
    failed = Signal(str)  # one plain line for the user

    def __init__(self, job: Job, description: str = "export", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ExportThread")
        self._job = job
        self.description = description
        self._cancel = threading.Event()
        self.result: Path | None = None
        self.error: str | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            from ganstudio.threads import leave_the_cores_to_training

            leave_the_cores_to_training()  # an export beside training must not slow it down
            path = self._job(lambda d, t: self.progress.emit(int(d), int(t)), self._cancel.is_set)
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
            self.failed.emit(f"Could not write the {self.description}: {type(exc).__name__}: {exc}")
            return
        self.result = Path(path)
        self.done.emit(str(path))
