"""Which generator the explorer shows, or which made a piece (no torch: the window reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganstudio.runs.folder import run_name_of


@dataclass(frozen=True)
class ModelSource:
    """Which generator the explorer shows, or which made a piece: what its recipe records."""

    fingerprint: str | None = None
    run: str | None = None  # the run's folder name, "bundled", or None for an unsaved model
    checkpoint: str | None = None
    step: int = 0
    live: bool = False  # a copy from the training under way
    why: str = ""  # which of the run's generators this is, and why (quality.py)

    @classmethod
    def of_checkpoint(cls, path: Path, *, fingerprint: str, step: int, why: str = "", run: str | None = None) -> ModelSource:
        """The source of a generator loaded from `path` (a run's checkpoint or a lone file)."""
        return cls(fingerprint=fingerprint, run=run or run_name_of(path), checkpoint=str(Path(path).resolve()),
                   step=int(step), why=why)
