"""Plain-language warnings when training goes wrong, read from the tick reports.

Pure logic (no Qt): the training page shows what `HealthMonitor.update` returns. Each
kind of warning is raised once and stays active until its condition clears, so the
user is told, not nagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganstudio.data.copies import COPY_WARNING
from ganstudio.training.report import EventKind, RunState


@dataclass(frozen=True)
class HealthWarning:
    kind: str  # "d_wins", "collapse", "rollback", "quality_worse", "diverged", "save_failed", "copying"
    title: str
    advice: str
    step: int
    action: str | None = None  # "revert_best": offer to go back to the best checkpoint


@dataclass
class HealthMonitor:
    d_wins_threshold: float = 0.05  # D(G(z)) below this: D spots every fake
    d_wins_steps: int = 300  # ... for this many consecutive steps
    d_wins_clear: float = 0.15
    collapse_threshold: float = 0.25  # sample spread relative to the real images'
    collapse_clear: float = 0.4
    collapse_checks: int = 2  # consecutive low readings before warning
    worse_count: int = 3  # quality readings in a row worse than the best by `worse_ratio`
    worse_ratio: float = 1.15

    active: dict[str, HealthWarning] = field(default_factory=dict)
    _d_wins_run: int = 0
    _low_diversity: int = 0
    _had_variety: bool = False  # a fresh generator draws near-identical pictures: that is not collapse
    _quality: list[tuple[int, float]] = field(default_factory=list)

    def reset(self) -> None:
        self.active.clear()
        self._d_wins_run = 0
        self._low_diversity = 0
        self._had_variety = False
        self._quality.clear()

    def update(self, report) -> list[HealthWarning]:
        """Feed one engine.TickReport; returns the warnings that became active just now."""
        new: list[HealthWarning] = []
        step = int(report.step)
        self._check_d_wins(report, step, new)
        self._check_collapse(report, step, new)
        self._check_quality(report, step, new)
        self._check_copies(report)
        for event in report.events:
            # Only a rollback recovered; a run that diverged did not (the "diverged" warning below says so).
            if event.kind is EventKind.ROLLED_BACK:
                new.append(self._raise(HealthWarning("rollback", "Training hit an invalid value and recovered", event.text, step)))
            elif event.kind is EventKind.SAVE_FAILED:
                new.append(self._raise(HealthWarning("save_failed", "A file could not be saved", event.text, step)))
            elif event.kind is EventKind.COPYING:
                new.append(self._raise(HealthWarning("copying", "The model is copying your images", event.text, step,
                                                     action="revert_best")))
        if report.state == RunState.DIVERGED:
            new.append(
                self._raise(
                    HealthWarning(
                        "diverged",
                        "Training has stopped: it kept diverging",
                        "The losses became invalid again and again. Try the Balanced preset or lower learning rates.",
                        step,
                    )
                )
            )
        return [w for w in new if w is not None]

    # Warnings about a condition that can end on its own; the others tell of an event.
    CLEARABLE = ("d_wins", "collapse", "quality_worse", "copying")

    def clear(self, kind: str) -> None:
        self.active.pop(kind, None)

    # -- individual checks ------------------------------------------------------------
    def _check_d_wins(self, report, step: int, new: list) -> None:
        d_fake = np.asarray(report.d_fake, dtype=np.float64)
        if d_fake.size == 0:
            return
        for value in d_fake:  # count the run of consecutive "D spotted everything" steps
            if value < self.d_wins_threshold:
                self._d_wins_run += 1
            elif value > self.d_wins_clear:
                self._d_wins_run = 0
        if self._d_wins_run >= self.d_wins_steps:
            new.append(
                self._raise(
                    HealthWarning(
                        "d_wins",
                        "The discriminator is winning outright",
                        f"For the last {self._d_wins_run:,} steps it has recognised nearly every generated image "
                        "(D(G(z)) near 0), so the generator gets little to learn from. More augmentation, "
                        "the Balanced preset or a lower discriminator learning rate usually help.",
                        step,
                    )
                )
            )
        elif self._d_wins_run == 0:
            self.clear("d_wins")

    def _check_collapse(self, report, step: int, new: list) -> None:
        diversity = getattr(report, "diversity", None)
        if diversity is None:
            return
        if diversity < self.collapse_threshold:
            self._low_diversity += 1
        elif diversity > self.collapse_clear:
            self._had_variety = True
            self._low_diversity = 0
            self.clear("collapse")
        if self._had_variety and self._low_diversity >= self.collapse_checks:
            new.append(
                self._raise(
                    HealthWarning(
                        "collapse",
                        "The samples are losing variety",
                        f"Different random inputs now give nearly the same picture (variety {diversity:.0%} of your "
                        "images'). This is mode collapse; going back to the best checkpoint, or the Balanced preset, "
                        "usually helps.",
                        step,
                        action="revert_best",
                    )
                )
            )

    def _check_quality(self, report, step: int, new: list) -> None:
        quality = getattr(report, "quality", None)
        if quality is None:
            return
        self._quality.append((step, float(quality.swd)))
        best_step, best = min(self._quality, key=lambda q: q[1])
        recent = self._quality[-self.worse_count :]
        worse = (
            len(self._quality) > self.worse_count
            and all(value > best * self.worse_ratio for _, value in recent)
            and all(s > best_step for s, _ in recent)
        )
        if worse:
            new.append(
                self._raise(
                    HealthWarning(
                        "quality_worse",
                        "Quality has been getting worse",
                        f"The last {self.worse_count} quality measurements are all worse than the best "
                        f"({best:.1f} at step {best_step:,}). You can go back to the best checkpoint.",
                        step,
                        action="revert_best",
                    )
                )
            )
        elif recent and recent[-1][1] <= best * self.worse_ratio:
            self.clear("quality_worse")

    def _check_copies(self, report) -> None:
        quality = getattr(report, "quality", None)
        copies = getattr(quality, "copies", None) if quality is not None else None
        if copies is not None and copies < COPY_WARNING * 0.8:
            self.clear("copying")

    def _raise(self, warning: HealthWarning) -> HealthWarning | None:
        """Record a warning; return it only if it is new (not already showing)."""
        if warning.kind in self.active and warning.kind not in ("rollback", "save_failed"):
            return None
        self.active[warning.kind] = warning
        return warning
