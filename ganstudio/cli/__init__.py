"""The `ganstudio` command: one module per command, `main` dispatches."""

from ganstudio.cli.main import main

__all__ = ["main"]
