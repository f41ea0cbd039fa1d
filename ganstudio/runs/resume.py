"""Whether Start continues the opened run or begins a new one, decided without a window.

The app calls `plan_start` when the artist presses Start: with a run opened (and stopped,
finished or failed to start), Start continues it for the minutes asked for, if the images
on the Data page fit it; otherwise Start begins a new run in a new folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganstudio.config import RunConfig
from ganstudio.runs.folder import new_run_dir

# The states of the window's training after which Start may continue the opened run. "failed"
# too: a resume that could not start (its folder busy with a terminal's run, say) is tried
# again, rather than leaving the opened run for a new one.
RESUMABLE_AFTER = ("viewing", "stopped", "finished", "failed")


@dataclass(frozen=True)
class StartPlan:
    config: RunConfig
    run_dir: Path
    resume: bool


class CannotStart(ValueError):
    """Start cannot go ahead; the message says why in plain words."""


def plan_start(new_config: RunConfig, *, history, images_shape: tuple[int, ...] | None, state: str,
               more_minutes: float, runs_dir: Path | None = None) -> StartPlan:
    """What Start does. `history` is the opened run (runs.history.RunHistory) or None;
    `images_shape` the Data page's images (N, H, W, C); `more_minutes` 0 means until stopped."""
    if images_shape is None:
        raise CannotStart("Choose a data set first: its images are not ready yet.")
    if history is not None and history.can_resume and state in RESUMABLE_AFTER:
        saved = history.config.copy()
        colour = "gray" if images_shape[3] == 1 else "rgb"
        if (saved.data.resolution, saved.data.color) != (images_shape[1], colour):
            raise CannotStart("The images on the Data page don't match this run's size or colour; choose the run's data set.")
        # "Train for N more minutes": the limit counts the run's whole training time.
        saved.train.minutes = more_minutes + history.elapsed / 60.0 if more_minutes else 0.0
        saved.train.steps = 0
        return StartPlan(saved, Path(history.root), resume=True)
    return StartPlan(new_config, new_run_dir(new_config.data.source, runs_dir), resume=False)
