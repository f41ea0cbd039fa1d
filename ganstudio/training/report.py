"""What the trainer tells its users: a frozen report per tick, and typed events.

A `TickReport` crosses threads (the GUI's training thread hands it to the window), so it is
immutable and owns its arrays. Events carry a kind, so that nobody recognises a rollback or a
failed save by its wording; the text is for people.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the window reads reports (health.py) before torch has loaded
    from torch import nn

    from ganstudio.training.metrics import QualityFigure

# Rows of the per-step statistics buffer, in this order.
STAT_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. out of memory at the smallest batch); one plain line."""


class RunState(str, enum.Enum):
    """Where a run stands at a tick (a str, so it reads and compares as its value)."""

    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # the step or time limit was reached
    STOPPED = "stopped"  # a stop request (or Ctrl+C, or closing the window)
    DIVERGED = "diverged"  # the losses kept going NaN: the run ended

    def __str__(self) -> str:
        return self.value


class EventKind(enum.Enum):
    """What happened, for code to act on; `Event.text` says it for people."""

    ROLLED_BACK = "rolled_back"  # losses went NaN: the weights went back and the rates were halved
    DIVERGED = "diverged"  # too many rollbacks: the run ends
    SAVE_FAILED = "save_failed"  # a checkpoint, grid or stats line could not be written
    NEW_BEST = "new_best"  # the 'best' checkpoint holds a newer, better generator
    BATCH_HALVED = "batch_halved"  # out of memory: fewer images per step from now on
    COMPILE_OFF = "compile_off"  # torch.compile unavailable or failed: plain networks
    OLDER_CHECKPOINT = "older_checkpoint"  # latest.pt was unreadable: resumed from an older one
    COPYING = "copying"  # many samples are nearly the same as training images (data/copies.py)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    text: str

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "text": self.text}


@dataclass(frozen=True)
class TickReport:
    """What happened since the previous tick. Immutable: safe to hand to another thread."""

    step: int  # steps done so far (the run's total, across resumes)
    first_step: int  # step number of d_loss[0] (steps are counted from 1)
    images_seen: int
    d_loss: np.ndarray  # one value per step of this tick (fresh arrays, owned by the report)
    g_loss: np.ndarray
    d_real: np.ndarray  # D(x): the discriminator's mean probability that real images are real
    d_fake: np.ndarray  # D(G(z)): the same for generated images
    steps_per_second: float
    images_per_second: float
    elapsed: float  # training seconds (across resumes, pauses excluded)
    eta: float | None  # seconds left, when a step or time limit is set
    progress: float | None  # 0..1 of the step or time limit
    batch: int
    lr_scale: float  # 1.0 unless NaN rollbacks lowered the learning rates
    augment_probability: float
    state: RunState
    quality: QualityFigure | None = None
    best_quality: float | None = None  # the figure of the generator in the 'best' checkpoint
    best_reason: str | None = None  # why 'best' is the generator it is, after this tick's measurement
    sample_grid: np.ndarray | None = None  # uint8 (H, W, C) from the fixed noise
    sample_step: int | None = None
    ema_generator: nn.Module | None = None  # a CPU copy of the EMA generator, in eval mode
    diversity: float | None = None  # spread of the fixed-noise samples relative to the real images' (~1 healthy, ->0 collapse)
    checkpoint: str | None = None  # path of a checkpoint written this tick
    events: tuple[Event, ...] = ()  # happenings (rollbacks, saves that failed, ...), each with a kind

    @property
    def last(self) -> dict[str, float]:
        """Latest value of each statistic (NaN when this tick had no steps)."""
        out = {}
        for name in STAT_NAMES:
            values = getattr(self, name)
            out[name] = float(values[-1]) if len(values) else math.nan
        return out


