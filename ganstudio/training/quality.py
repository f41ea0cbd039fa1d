"""When to measure a run's quality, and which measured generator to hand the artist.

Two rules, both from what an artist sees:

* **Measure densely early, sparsely later, and at the end.** The first minutes are when
  an artist watches most and the generator changes fastest, so the first figure comes
  after `first_seconds`, then the spacing grows with the run (`growth` times the training
  time so far), never so short that measuring costs more than `budget` of the training
  time, and never longer than `max_spacing`. The trainer also measures once more when
  the run finishes or is stopped, before its last checkpoint, so the end is never unjudged.

* **'Best' means better beyond the figure's own noise.** Each measurement scores two
  independent sets of samples of the same generator; their disagreement is the figure's
  noise, pooled over the run. A newer generator becomes 'best' unless an older one
  measured lower by more than twice that noise (the difference of two figures). A run
  that keeps improving hands back its newest generator, not a lucky early one; a run
  that collapsed hands back the good one from before.

* **Two views must agree before an older generator wins.** The figure normalises every
  patch by the real images' statistics, so that a colour cast counts; that also makes it
  count a slightly thinner or bolder stroke on a white page heavily. On letters from real
  fonts, it called a later generator worse than an earlier one while a classifier trained
  on held-out letters found the later one clearly better (tests/bench/real_quality.py).
  So each measurement also takes the paper's own view (each set normalised by its own
  statistics: shapes and textures, not overall tone), with its own noise, and an older
  generator stays 'best' only when it is better beyond the noise in both views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NOISE_SIGMAS = 2.0  # how many noise standard deviations an older figure must win by


@dataclass(frozen=True)
class Verdict:
    """One measurement judged against the run so far."""

    step: int
    figure: float  # the mean of the two sample sets' figures
    noise: float  # standard deviation of a difference of two figures, pooled over the run
    best: bool  # this generator becomes the 'best' checkpoint
    second_view_keeps: bool  # the shapes-only view saw no clear loss (so an older lower figure did not win)
    new_lowest: bool  # lower than every figure before it
    lowest: float  # the lowest figure of the run, this one included
    lowest_step: int

    def reason(self) -> str:
        """Why the 'best' checkpoint is (or is not) this one, in words."""
        if self.best and self.new_lowest:
            return f"the lowest figure so far ({self.figure:.2f})"
        if self.best and self.second_view_keeps and self.figure > self.lowest + NOISE_SIGMAS * self.noise:
            return (f"the newest measurement ({self.figure:.2f}): the lowest, {self.lowest:.2f} at step "
                    f"{self.lowest_step:,}, wins only on overall tone; on shapes and textures this one is as good")
        if self.best:
            return (f"the newest measurement ({self.figure:.2f}); the lowest, {self.lowest:.2f} at step "
                    f"{self.lowest_step:,}, is within the measurement's noise (±{self.noise:.2f})")
        return (f"step {self.lowest_step:,} measured {self.lowest:.2f}, better than this {self.figure:.2f} "
                f"by more than the measurement's noise (±{self.noise:.2f})")


class QualityTracker:
    """Plans measurements over training time and judges each one. Plain data; saved in checkpoints."""

    def __init__(self, *, first_seconds: float = 15.0, growth: float = 0.25, budget: float = 0.05,
                 max_spacing: float = 600.0) -> None:
        self.first_seconds = first_seconds
        self.growth = growth
        self.budget = budget
        self.max_spacing = max_spacing
        self.next_due = first_seconds  # training seconds
        self.lowest: float | None = None
        self.lowest_step = 0
        self._noise_sq_sum = 0.0  # sum over measurements of (a - b)^2 / 2: a single set's variance
        self._noise_count = 0
        self.last_step: int | None = None  # the step measured last (to skip a second figure of one step)
        self.second = _View()  # the shapes-only figure (each set normalised by itself)

    # ------------------------------------------------------------------ when
    def due(self, training_seconds: float) -> bool:
        return self.max_spacing <= 0 or training_seconds >= self.next_due

    def measured(self, training_seconds: float, cost_seconds: float) -> None:
        """A measurement ended at `training_seconds` and took `cost_seconds`: plan the next."""
        if self.max_spacing <= 0:
            self.next_due = training_seconds  # every tick (tests, or an artist who asks)
            return
        spacing = max(self.growth * training_seconds, cost_seconds / self.budget if self.budget > 0 else 0.0)
        self.next_due = training_seconds + min(max(spacing, 1e-3), self.max_spacing)

    # ------------------------------------------------------------------ which
    @property
    def noise(self) -> float:
        """Standard deviation of the difference of two figures (each a mean of two sets)."""
        if not self._noise_count:
            return 0.0
        # One set's variance s2; a figure averages two sets (s2 / 2); a difference of two
        # figures has twice that: s2. So the difference's deviation is sqrt(s2).
        return math.sqrt(self._noise_sq_sum / self._noise_count)

    def judge(self, step: int, first: float, second: float, shapes: tuple[float, float] | None = None) -> Verdict:
        """Record a measurement (two sets' figures) of the generator at `step` and judge it.

        `shapes`: the same two sets' figures in the shapes-only view, when measured.
        """
        figure = (first + second) / 2.0
        if math.isfinite(first) and math.isfinite(second):
            self._noise_sq_sum += (first - second) ** 2 / 2.0
            self._noise_count += 1
        noise = self.noise
        new_lowest = self.lowest is None or figure < self.lowest
        within = self.lowest is None or figure <= self.lowest + NOISE_SIGMAS * noise
        keeps = shapes is not None and self.second.within(*shapes)
        best = math.isfinite(figure) and (within or keeps)
        if new_lowest and math.isfinite(figure):
            self.lowest, self.lowest_step = figure, step
        self.last_step = step
        return Verdict(step=step, figure=figure, noise=noise, best=best, second_view_keeps=keeps,
                       new_lowest=new_lowest and best,
                       lowest=self.lowest if self.lowest is not None else figure, lowest_step=self.lowest_step)

    def remember_lowest(self, figure: float, step: int, saved: dict[str, Any] | None = None) -> None:
        """A figure measured elsewhere (best.pt saved after the checkpoint resumed from), with
        that checkpoint's tracker state `saved` for its shapes-only view."""
        if math.isfinite(figure) and (self.lowest is None or figure < self.lowest):
            self.lowest, self.lowest_step = figure, step
        other = _View()
        if isinstance(saved, dict) and isinstance(saved.get("second"), dict):
            other.load_state_dict(saved["second"])
        if other.lowest is not None and (self.second.lowest is None or other.lowest < self.second.lowest):
            self.second.lowest = other.lowest

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, Any]:
        return {"next_due": self.next_due, "lowest": self.lowest, "lowest_step": self.lowest_step,
                "noise_sq_sum": self._noise_sq_sum, "noise_count": self._noise_count, "last_step": self.last_step,
                "second": self.second.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        def number(key: str, default: float) -> float:
            value = state.get(key)
            return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default

        self.next_due = number("next_due", self.first_seconds)
        lowest = state.get("lowest")
        self.lowest = float(lowest) if isinstance(lowest, (int, float)) and math.isfinite(lowest) else None
        self.lowest_step = int(number("lowest_step", 0))
        self._noise_sq_sum = max(0.0, number("noise_sq_sum", 0.0))
        self._noise_count = max(0, int(number("noise_count", 0)))
        last = state.get("last_step")
        self.last_step = int(last) if isinstance(last, int) else None
        self.second = _View()
        if isinstance(state.get("second"), dict):
            self.second.load_state_dict(state["second"])


class _View:
    """The lowest figure and pooled noise of one way of measuring (the shapes-only view)."""

    def __init__(self) -> None:
        self.lowest: float | None = None
        self.noise_sq_sum = 0.0
        self.noise_count = 0

    @property
    def noise(self) -> float:
        return math.sqrt(self.noise_sq_sum / self.noise_count) if self.noise_count else 0.0

    def within(self, first: float, second: float) -> bool:
        """Record a measurement; True when no earlier one is lower beyond the noise."""
        if not (math.isfinite(first) and math.isfinite(second)):
            return False
        self.noise_sq_sum += (first - second) ** 2 / 2.0
        self.noise_count += 1
        figure = (first + second) / 2.0
        keeps = self.lowest is None or figure <= self.lowest + NOISE_SIGMAS * self.noise
        self.lowest = figure if self.lowest is None else min(self.lowest, figure)
        return keeps

    def state_dict(self) -> dict[str, Any]:
        return {"lowest": self.lowest, "noise_sq_sum": self.noise_sq_sum, "noise_count": self.noise_count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        lowest, total, count = state.get("lowest"), state.get("noise_sq_sum"), state.get("noise_count")
        self.lowest = float(lowest) if isinstance(lowest, (int, float)) and math.isfinite(lowest) else None
        self.noise_sq_sum = float(total) if isinstance(total, (int, float)) and math.isfinite(total) and total >= 0 else 0.0
        self.noise_count = int(count) if isinstance(count, int) and count >= 0 else 0
