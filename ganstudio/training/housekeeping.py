"""Housekeeping once per tick, in the style of StyleGAN2-ADA: the statistics are read back from
the device once, stats.jsonl gets a line, and now and then the fixed-noise grid is rendered,
quality measured and checkpoints saved. Losses that went NaN roll the weights back.

A mixin of `Trainer` (trainer.py sets up the attributes used here).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ganstudio.data.copies import COPY_WARNING, CopyBank, copy_warning_text
from ganstudio.export import make_grid, save_png
from ganstudio.explore.latent import render, z_batch_from_seeds
from ganstudio.training.ema import recalibrate_batch_norm
from ganstudio.training.metrics import QualityFigure, SlicedWasserstein, mean_pairwise_distance
from ganstudio.training.quality import Verdict
from ganstudio.training.report import STAT_NAMES, Event, EventKind, RunState, TickReport

log = logging.getLogger("ganstudio.training")

MAX_ROLLBACKS = 8  # after this many NaN rollbacks the run is declared diverged
GOOD_STATE_SECONDS = 60.0  # refresh the in-memory rollback point at most this often
METRIC_SEED_OFFSET = 7919  # metric noise differs from the sample-grid noise but is fixed per run
NOISE_SET_OFFSET = 50_021  # the second sample set of each measurement (its noise estimate), apart from the first

@dataclass
class Clock:
    """Wall-clock bookkeeping for housekeeping intervals (host side, no device sync)."""

    last_tick: float = 0.0
    last_sample: float = -math.inf
    last_checkpoint: float = 0.0
    last_snapshot: float = 0.0
    last_good_state: float = 0.0
    started: float = 0.0
    steps_at_tick: int = 0



class HousekeepingMixin:
    """Once per tick: statistics, sample grid, quality, checkpoints, rollbacks (a Trainer mixin)."""

    def _tick(self, clock: Clock, state: RunState, *, force_sample: bool = False,
              force_checkpoint: bool = False) -> TickReport:
        """The tick's housekeeping, in order: read the statistics back (rolling back on NaN),
        draw the fixed-noise grid, measure quality when due, write the files, report."""
        now = time.perf_counter()
        events: list[Event] = list(self._pending_events)
        self._pending_events.clear()
        steps = self.step_count - clock.steps_at_tick
        seconds = max(now - clock.last_tick, 1e-9)
        first_step = self._tick_first_step

        values, rolled_back = self._read_back(clock, now, events)
        if rolled_back == "diverged":
            state = RunState.DIVERGED
        force_sample = force_sample or rolled_back is not None
        if self.adaptive is not None:
            self.adaptive.update(self.dist.sum if self.dist.enabled else None)
        grid, ema_copy, diversity = self._draw_samples(clock, now, force_sample, events)
        quality = verdict = None
        # Due by the schedule, or the run ends: its last generator is judged before it is saved.
        if self.step_count > 0 and state is not RunState.DIVERGED and self.quality.last_step != self.step_count and (
            self.quality.due(self.elapsed) or force_checkpoint
        ):
            began = time.perf_counter()
            measured = self._measure_quality()
            if measured is not None:
                quality, verdict = measured
                self.quality.measured(self.elapsed, time.perf_counter() - began)

        record = self._stats_record(steps, seconds, values, diversity)
        checkpoint = None
        if self.writes_files:
            checkpoint = self._write_files(record, quality, verdict, clock, now, force_checkpoint, steps, events)
        elif quality is not None and verdict is not None and verdict.best:
            self.best_quality = quality.swd
            self.best_reason = verdict.reason()

        clock.last_tick = time.perf_counter()
        clock.steps_at_tick = self.step_count
        self._tick_first_step = self.step_count + 1
        progress, eta = self._progress()
        return TickReport(
            step=self.step_count,
            first_step=first_step,
            images_seen=self.images_seen,
            d_loss=values[0],
            g_loss=values[1],
            d_real=values[2],
            d_fake=values[3],
            steps_per_second=steps / seconds,
            images_per_second=steps * self.batch / seconds,
            elapsed=self.elapsed,
            eta=eta,
            progress=progress,
            batch=self.batch,
            lr_scale=self.lr_scale,
            augment_probability=self._augment_probability(),
            state=state,
            quality=quality,
            best_quality=self.best_quality,
            best_reason=self.best_reason if quality is not None else None,
            sample_grid=grid,
            sample_step=self.step_count if grid is not None else None,
            ema_generator=ema_copy,
            diversity=diversity,
            checkpoint=checkpoint,
            events=tuple(events),
        )

    def _read_back(self, clock: Clock, now: float, events: list[Event]) -> tuple[np.ndarray, str | None]:
        """The one readback of the tick: every step's statistics at once, (4, steps) on the host.

        Values that are not finite roll the weights back (no values are reported then); the
        second item says so ("rolled back" or "diverged"), else None.
        """
        empty = np.zeros((len(STAT_NAMES), 0), dtype=np.float32)
        if self._stats:
            stats = torch.stack(self._stats).float()
            stats = self.dist.mean_(stats) if self.dist.enabled else stats
            values = stats.cpu().numpy().T.copy()
        else:
            values = empty
        self._stats.clear()
        if values.size and not np.isfinite(values).all():
            return empty, self._rollback(events)
        if values.size and now - clock.last_good_state >= GOOD_STATE_SECONDS:
            self._good_state = self._capture_state(include_rng=False)
            clock.last_good_state = now
        return values, None

    def _draw_samples(self, clock: Clock, now: float, force: bool, events: list[Event]):
        """The fixed-noise grid when due (rank 0): (grid, CPU copy of G_ema, diversity), or Nones."""
        if not (self.dist.is_main and (force or now - clock.last_sample >= self.config.schedule.sample_seconds)):
            return None, None, None
        samples = render(self.ema_generator(), self.fixed_z)
        grid = make_grid(samples)
        clock.last_sample = now
        if self.writes_files:
            try:
                save_png(self.folder.sample_path(self.step_count), grid)
            except OSError as exc:
                events.append(Event(EventKind.SAVE_FAILED, f"Could not save the sample grid: {exc.strerror or exc}."))
        return grid, self._ema_cpu_copy(), self._diversity(samples)

    def _stats_record(self, steps: int, seconds: float, values: np.ndarray, diversity: float | None) -> dict[str, Any]:
        """This tick's line of stats.jsonl (quality and events are added when there are any)."""
        record: dict[str, Any] = {
            "step": self.step_count,
            "images": self.images_seen,
            "time": round(self.elapsed, 3),
            "steps_per_sec": steps / seconds,
            "images_per_sec": steps * self.batch / seconds,
            "lr_scale": self.lr_scale,
            "augment_p": self._augment_probability(),
        }
        for name, row in zip(STAT_NAMES, values):
            if row.size:
                record[name] = float(row.mean())
        if diversity is not None:
            record["diversity"] = diversity
        return record

    def _write_files(self, record: dict[str, Any], quality: QualityFigure | None, verdict: Verdict | None,
                     clock: Clock, now: float, force_checkpoint: bool, steps: int, events: list[Event]) -> str | None:
        """best.pt, latest.pt and numbered snapshots when due, the stats line and the log (rank 0).
        Returns the path of latest.pt when it was written."""
        sched = self.config.schedule
        checkpoint = None
        if quality is not None and verdict is not None:
            if quality.copies is not None:
                record["copies"] = quality.copies
                self._warn_of_copies(quality.copies, events)
            record.update(swd=quality.swd, swd_levels=list(quality.per_level), swd_noise=verdict.noise,
                          swd_shapes=self._last_shapes, swd_shapes_noise=self.quality.second.noise,
                          best=verdict.best, best_reason=verdict.reason())
            self.best_reason = verdict.reason()
            if verdict.best:
                self.best_quality = quality.swd
                if self._save("best", events) and verdict.new_lowest:
                    events.append(Event(EventKind.NEW_BEST, f"New best quality (SWD {quality.swd:.2f}) saved as the 'best' checkpoint."))
        if force_checkpoint or now - clock.last_checkpoint >= sched.checkpoint_minutes * 60.0:
            if self._save("latest", events):
                checkpoint = str(self.folder.checkpoint_path("latest"))
            clock.last_checkpoint = now
            self._good_state = self._capture_state(include_rng=False)
            clock.last_good_state = now
        if sched.snapshot_minutes and now - clock.last_snapshot >= sched.snapshot_minutes * 60.0:
            self._save(f"step-{self.step_count:09d}", events)
            self._prune_snapshots()
            clock.last_snapshot = now
        if events:
            record["events"] = [event.to_json() for event in events]
        if steps or quality is not None or events:
            try:
                self.folder.append_stats(record)
            except OSError as exc:
                events.append(Event(EventKind.SAVE_FAILED, f"Could not write stats.jsonl: {exc.strerror or exc}."))
        for event in events:
            self.folder.log(event.text)
        return checkpoint

    def _warn_of_copies(self, share: float, events: list[Event]) -> None:
        """Say once (until it eases) that the samples have started to copy the training images."""
        if share >= COPY_WARNING and not self._copying:
            events.append(Event(EventKind.COPYING, copy_warning_text(share)))
        self._copying = share >= COPY_WARNING * 0.8 if self._copying else share >= COPY_WARNING

    def _augment_probability(self) -> float:
        if not self.augment_policy:
            return 0.0
        return float(self.adaptive.probability if self.adaptive else self.config.augment.probability)

    def ema_generator(self) -> nn.Module:
        """G_ema, ready to render: its batch-norm statistics measured on its own weights.

        `update_ema` averages the weights every step but can only copy the trained G's
        statistics, which do not fit the average (ema.py says why). Re-measuring takes a
        forward pass over EMA_NORM_IMAGES latents, so it happens on demand, at most once
        per step: for the sample grid, the quality figure and every checkpoint.
        """
        if self._ema_norm_step != self.step_count:
            recalibrate_batch_norm(self.G_ema, self._norm_z)
            self._ema_norm_step = self.step_count
        return self.G_ema

    def _ema_cpu_copy(self) -> nn.Module:
        clone = copy.deepcopy(self.ema_generator()).to("cpu", memory_format=torch.contiguous_format).eval()
        clone.requires_grad_(False)
        return clone

    def _diversity(self, samples: np.ndarray) -> float:
        """Mean pairwise distance of the samples over that of as many real images.

        Near 1 the generator varies as much as the data; towards 0 it draws the same
        picture for every noise vector (mode collapse). Cheap: a few dozen images.
        """
        if self._real_spread is None:
            images = self.bank.all_images()
            picker = np.random.default_rng(self.config.train.seed + 1)
            idx = picker.choice(len(images), size=min(len(images), len(samples)), replace=False)
            self._real_spread = mean_pairwise_distance(images[idx])
        if self._real_spread <= 0:
            return 1.0
        return float(mean_pairwise_distance(samples) / self._real_spread)

    def _copy_bank_now(self) -> CopyBank:
        """The training images as the copy check compares them (built at the first measurement)."""
        if self._copy_bank is None:
            self._copy_bank = CopyBank.from_images(self.bank.all_images(), seed=self.config.train.seed)
        return self._copy_bank

    def _measure_quality(self) -> tuple[QualityFigure, Verdict] | None:
        """Sliced Wasserstein distance between real images and EMA samples (rank 0 only).

        Two measurements, each of its own samples (fixed latents) against its own real images
        and projections: the figure is their mean, and their difference, which holds both
        kinds of sampling noise, tells the tracker how noisy the figure is (quality.py).
        """
        if not self.dist.is_main:
            return None
        n = min(self.config.schedule.metric_images, max(len(self.bank), 16))
        if not self._metrics:
            images = self.bank.all_images()
            for k in range(2):
                picker = np.random.default_rng(self.config.train.seed + k)  # own RNG: training's is untouched
                idx = picker.choice(len(images), size=n, replace=len(images) < n)
                # Normalised by the real set's statistics (not per set as in the paper): per-set
                # normalisation is blind to colour shifts, which an artist notices first.
                self._metrics.append(SlicedWasserstein(images[idx], seed=self.config.train.seed + k, normalize="real"))
                self._shape_metrics.append(SlicedWasserstein(images[idx], seed=self.config.train.seed + k, normalize="per_set"))
        figures, shapes, copies = [], [], []
        for k, offset in enumerate((METRIC_SEED_OFFSET, METRIC_SEED_OFFSET + NOISE_SET_OFFSET)):
            seeds = [self.config.train.seed * 100_003 + offset + i for i in range(n)]
            fakes = render(self.ema_generator(), z_batch_from_seeds(seeds, self.G.z_dim))
            figures.append(self._metrics[k](fakes))
            shapes.append(self._shape_metrics[k](fakes).swd)
            copies.append(self._copy_bank_now().copy_share(fakes))
        first, second = figures
        self._last_shapes = (shapes[0] + shapes[1]) / 2
        figure = QualityFigure(
            swd=(first.swd + second.swd) / 2,
            per_level=tuple((a + b) / 2 for a, b in zip(first.per_level, second.per_level)),
            images=first.images + second.images,
            copies=(copies[0] + copies[1]) / 2,
        )
        verdict = self.quality.judge(self.step_count, first.swd, second.swd, shapes=(shapes[0], shapes[1]))
        self.quality_history.append((self.step_count, figure.swd))
        return figure, verdict

    # ------------------------------------------------------------------ NaN rollback
    def _rollback(self, events: list[Event]) -> str:
        """Losses went NaN/inf: restore the last good weights, halve the learning rates."""
        self.rollbacks += 1
        if self.rollbacks > MAX_ROLLBACKS or self._good_state is None:
            message = (
                f"Training diverged: the losses became invalid {self.rollbacks} times even after lowering the "
                "learning rates. Try a lower learning rate or another loss."
            )
            events.append(Event(EventKind.DIVERGED, message))
            if self.folder is not None and self.writes_files:
                self.folder.log(message)
            log.error(message)
            return "diverged"
        bad_step = self.step_count
        # The good state holds the rates and the count of rollbacks from before this one:
        # keep ours, so that a second rollback halves again and the count reaches the limit;
        # best.pt, saved since, stays on disk: keep its figure too, or a worse model replaces it.
        rollbacks, lr_scale, best_quality = self.rollbacks, self.lr_scale, self.best_quality
        measured = self.quality.state_dict()
        self._load_state(self._good_state, restore_rng=False)
        self.rollbacks = rollbacks
        self.lr_scale = lr_scale * 0.5
        self.best_quality = best_quality
        self.quality.load_state_dict(measured)
        self._apply_lr_scale()
        message = (
            f"The losses became invalid (NaN) near step {bad_step}: went back to step {self.step_count} "
            f"and halved the learning rates (now x{self.lr_scale:g})."
        )
        events.append(Event(EventKind.ROLLED_BACK, message))
        log.warning(message)
        if self.writes_files:
            assert self.folder is not None
            self.folder.truncate_after(self.step_count)
        return "rolled back"

    def _apply_lr_scale(self) -> None:
        t = self.config.train
        for group in self.opt_g.param_groups:
            group["lr"] = t.lr_g * self.lr_scale
        for group in self.opt_d.param_groups:
            group["lr"] = t.lr_d * self.lr_scale
