"""A run folder read back for display: curves, sample grids and checkpoints as they were.

The app opens runs it trained itself and runs trained by `ganstudio train` on another
machine the same way: everything comes from the files, nothing from memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ganstudio.config import RunConfig
from ganstudio.runs.folder import latest_value, RunFolder, RunFolderError

SERIES = ("d_loss", "g_loss", "d_real", "d_fake")


@dataclass
class RunHistory:
    root: Path
    config: RunConfig
    steps: np.ndarray  # int64, one entry per tick that trained
    series: dict[str, np.ndarray]  # SERIES name -> float64 values aligned with `steps` (NaN where missing)
    quality_steps: np.ndarray
    quality: np.ndarray  # SWD at quality_steps
    diversity_steps: np.ndarray
    diversity: np.ndarray
    samples: list[tuple[int, Path]]  # (step, png path), oldest first
    # Share of samples nearly the same as a training image at quality_steps (NaN: not measured).
    copies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    checkpoints: list[str] = field(default_factory=list)  # file names in checkpoints/
    events: list[tuple[int, str]] = field(default_factory=list)  # (step, message)
    last_step: int = 0
    elapsed: float = 0.0  # training seconds so far

    @property
    def can_resume(self) -> bool:
        return "latest.pt" in self.checkpoints


def read_run(root: str | Path) -> RunHistory:
    """Read a run folder; raises RunFolderError with a plain message if it is not one."""
    folder = RunFolder(Path(root))
    if not folder.root.is_dir():
        raise RunFolderError(f"'{folder.root}' is not a folder.")
    if not folder.exists():
        raise RunFolderError(f"'{folder.root}' is not a GAN Studio run (it has no config.json).")
    config = folder.read_config()
    records = folder.read_stats()

    trained = [r for r in records if "d_loss" in r or "g_loss" in r]
    steps = np.array([int(r.get("step", 0)) for r in trained], dtype=np.int64)
    series = {name: np.array([_num(r.get(name)) for r in trained], dtype=np.float64) for name in SERIES}
    measured = [r for r in records if r.get("swd") is not None]
    varied = [r for r in records if r.get("diversity") is not None]
    events = [(int(r.get("step", 0)), _event_text(e)) for r in records for e in r.get("events", []) or []]
    last = records[-1] if records else {}
    checkpoints = folder.checkpoint_names()
    return RunHistory(
        root=folder.root,
        config=config,
        steps=steps,
        series=series,
        quality_steps=np.array([int(r["step"]) for r in measured], dtype=np.int64),
        quality=np.array([_num(r["swd"]) for r in measured], dtype=np.float64),
        copies=np.array([_num(r.get("copies")) for r in measured], dtype=np.float64),
        diversity_steps=np.array([int(r["step"]) for r in varied], dtype=np.int64),
        diversity=np.array([_num(r["diversity"]) for r in varied], dtype=np.float64),
        samples=[(step, folder.sample_path(step)) for step in folder.sample_steps()],
        checkpoints=checkpoints,
        events=events,
        last_step=int(last.get("step", 0)),
        elapsed=float(latest_value(records, "time") or 0.0),
    )


def _num(value) -> float:
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _event_text(event) -> str:
    """An event as stats.jsonl holds it: {"kind", "text"} (plain text in runs from before kinds)."""
    return str(event.get("text", "")) if isinstance(event, dict) else str(event)
