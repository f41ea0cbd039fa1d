"""Opening the desktop app from the command line: the one place the terminal reaches the GUI."""

from __future__ import annotations

import sys


def open_app(argv: list[str] | None = None) -> int:
    from ganstudio.gui.app import main as run_app

    return run_app(argv if argv is not None else sys.argv[:1])
