"""Where GAN Studio keeps its own files on this platform (caches, logs, crash reports).

platformdirs knows each system's convention: ~/.cache and ~/.local/state on Linux (honouring the
XDG variables), ~/Library/Caches and ~/Library/Logs on macOS, %LOCALAPPDATA% on Windows.
The artist's runs are not here: they are work, and live where the artist can see them."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import platformdirs

APP_DIR_NAME = "ganstudio"


def cache_dir() -> Path:
    """Things that can be made again (decoded data sets, assets unpacked from an archive)."""
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


def log_dir() -> Path:
    """Crash reports and the app's log. $GANSTUDIO_LOG_DIR moves it (tests, shared machines)."""
    override = os.environ.get("GANSTUDIO_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def write_crash_report(text: str, what: str) -> Path | None:
    """Keep a traceback where the user can find it and send it to us; the path, or None where
    neither the log folder nor the temporary folder could take it (a full or read-only disk)."""
    name = f"{what}-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8", errors="replace")
            return path
        except OSError:
            continue
    return None


def crash_note(what: str) -> str:
    """Call inside an `except` block: keep the traceback in a crash report and return the
    sentence that tells the user where it is ("" when no folder could take it). A window
    started from an icon has no terminal, so a traceback on stderr would be lost."""
    import traceback

    path = write_crash_report(traceback.format_exc(), what)
    return f" Details are in {path}." if path is not None else ""
