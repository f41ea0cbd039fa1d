"""Errors and problem records shared by the data package.

Everything the user may see here is one plain-English line: the GUI shows the
message in a dialog and the CLI prints it, neither shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class DataError(ValueError):
    """A data set cannot be used; the message is one line meant for the user."""


class FileUnavailable(DataError):
    """One file could not be read just now (gone, locked, the disk dropped out).

    A fact about the moment, not about the file's pixels: a set with such a skip
    is never cached, so "Scan again" reads the file once it is back.
    """


class DataCancelled(Exception):
    """The caller's cancel() callback asked us to stop loading."""


@dataclass(frozen=True)
class SkippedFile:
    """One file that was left out of a data set, and why, in plain words."""

    path: str  # as the user knows it; for a zip member "archive.zip/inner/name.png"
    reason: str  # e.g. "file is empty", "not an image"

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
