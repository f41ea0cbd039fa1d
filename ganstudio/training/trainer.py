"""The Trainer: sets up one run and loops over steps, yielding a frozen report per tick.

`Trainer.step()` (step.py) is one generator update and its discriminator updates.
`Trainer.run()` loops over steps and, once per *tick* (a fraction of a second to a few
seconds), does the housekeeping (housekeeping.py): reads the statistics back from the
device once, writes `stats.jsonl`, and now and then renders the fixed-noise sample grid,
measures quality and saves checkpoints (snapshot.py). Each tick yields a `TickReport`
(report.py) that a terminal progress bar or the GUI's training thread can show without
touching the trainer.

Stop and pause requests arrive through thread-safe events and are honoured between steps.
"""


from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from ganstudio.accel.cpu_conv import RoutePlan, speed_up
from ganstudio.config import RunConfig, parse_policy
from ganstudio.data import ImageBank
from ganstudio.device import Precision, compile_unavailable_reason, pick_device, resolve_precision
from ganstudio.explore.latent import z_batch_from_seeds
from ganstudio.models import build_discriminator, build_generator
from ganstudio.plan import decide_data
from ganstudio.presets import without_color
from ganstudio.runs.folder import RunFolder, RunFolderError, foreign_files_message
from ganstudio.training.augment import AdaptiveAugment
from ganstudio.training.distributed import DistContext
from ganstudio.training.ema import make_ema_copy
from ganstudio.training.housekeeping import MAX_ROLLBACKS, Clock, HousekeepingMixin
from ganstudio.training.metrics import SlicedWasserstein
from ganstudio.training.quality import QualityTracker
from ganstudio.training.memory import SHARE_OF_FREE, available_memory, batch_that_fits, bytes_per_image, gigabytes
from ganstudio.training.report import STAT_NAMES, Event, EventKind, RunState, TickReport, TrainingError
from ganstudio.training.snapshot import SnapshotMixin
from ganstudio.training.step import StepMixin
from ganstudio.training.warm_start import StartingPoint, first_layers, load_into

# Re-exported: what users of the trainer import from here.
__all__ = ["Trainer", "TickReport", "TrainingError", "Event", "EventKind", "RunState", "STAT_NAMES", "MAX_ROLLBACKS"]

log = logging.getLogger("ganstudio.training")

NORM_SEED_OFFSET = 2**40  # G_ema's batch-norm latents: apart from every seed a user or metric picks
EMA_NORM_IMAGES = 256  # latents per re-measurement of G_ema's batch-norm statistics


class Trainer(StepMixin, HousekeepingMixin, SnapshotMixin):
    """Owns the models, optimisers and data for one run and advances them step by step."""

    def __init__(
        self,
        config: RunConfig,
        images: np.ndarray,
        run_dir: str | Path | None = None,
        *,
        device: torch.device | str | None = None,
        dist: DistContext | None = None,
        resume: bool = False,
        skipped: list | None = None,
        start: StartingPoint | None = None,
    ) -> None:
        self.config = config.copy().validate()
        if not self.config.data.decided:
            # Colour or mirroring left on "auto": the images decide, as in the app and the CLI.
            was_auto_color = self.config.data.color == "auto"
            self.config.data, images = decide_data(self.config.data, images)
            if was_auto_color and self.config.data.color == "gray":
                self.config.augment.policy = without_color(self.config.augment.policy)
        self.dist = dist or DistContext()
        self.device = torch.device(device) if device is not None else pick_device(config.train.device)
        self.precision: Precision = resolve_precision(config.train.precision, self.device)
        self.folder = RunFolder(Path(run_dir)) if run_dir is not None else None
        self.writes_files = self.folder is not None and self.dist.is_main

        cfg = self.config
        if cfg.train.threads > 0 and self.device.type == "cpu":
            torch.set_num_threads(cfg.train.threads)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels

        if cfg.train.batch < self.dist.world_size:
            raise ValueError(
                f"The batch size ({cfg.train.batch}) must be at least the number of processes ({self.dist.world_size})."
            )
        self.local_batch = cfg.train.batch // self.dist.world_size
        self.channels_last = cfg.train.channels_last and self.device.type != "mps"
        self.bank = ImageBank(images, self.device, flip=cfg.data.flip, channels_last=self.channels_last)
        if self.bank.resolution != cfg.data.resolution or self.bank.channels != cfg.channels:
            raise ValueError("The images don't match the run's resolution or colour setting.")

        # Models: G is trained, G_ema is what everyone looks at, D judges.
        torch.manual_seed(cfg.train.seed)  # weight init is reproducible from the seed
        m = cfg.model
        self.G = build_generator(m.arch, resolution=cfg.data.resolution, channels=cfg.channels, z_dim=m.z_dim, width=m.width)
        self.D = build_discriminator(
            m.arch, resolution=cfg.data.resolution, channels=cfg.channels, width=m.width, batch_norm=m.d_batch_norm
        )
        self.G.to(self.device)
        self.D.to(self.device)
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        # Faster CPU routes for training, chosen once per layer shape and kept in checkpoints.
        self.routes = RoutePlan()
        if cfg.train.cpu_routes and self.device.type == "cpu":
            speed_up(self.G, self.routes)
            speed_up(self.D, self.routes)
        self.G_ema = make_ema_copy(self.G)
        if start is not None and not resume:
            load_into(start, self.G, self.G_ema, self.D)  # a new run that starts from a model
        # FreezeD: these keep their weights (their gradients are dropped before each D update).
        self._frozen_d = first_layers(self.D, cfg.train.freeze_d_layers)
        t = cfg.train
        # Fused Adam: one pass over each weight instead of about six element-wise passes per
        # tensor; 5% of a Quick sketch step at 32 px on a 2-core CPU. MPS keeps the default.
        self.fused_adam = self.device.type in ("cpu", "cuda")
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2), fused=self.fused_adam or None)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2), fused=self.fused_adam or None)
        needs_scaler = self.precision.needs_grad_scaler
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=needs_scaler)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=needs_scaler)

        # Under torchrun the trained networks are wrapped in DDP; G_ema stays a plain copy.
        self.G_train: nn.Module = self.G
        self.D_train: nn.Module = self.D
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.G_train = DDP(self.G, device_ids=ids)
            self.D_train = DDP(self.D, device_ids=ids)
        # The generator update runs D outside DDP: only G's gradients are needed there.
        self.D_for_g: nn.Module = self.D
        self.compiled = False

        # Randomness lives in our own generators so the run can be saved and resumed exactly.
        self.data_gen = torch.Generator(device=self.device)
        self.noise_gen = torch.Generator(device=self.device)
        self.aug_gen = torch.Generator(device=self.device)
        self._seed_generators(cfg.train.seed, self.dist.rank, 0)
        self.augment_policy = parse_policy(cfg.augment.policy)
        self.adaptive = (
            AdaptiveAugment(target=cfg.augment.target, speed_images=cfg.augment.adaptive_speed_images)
            if cfg.augment.adaptive and self.augment_policy
            else None
        )

        self.step_count = 0
        self.images_seen = 0
        self.elapsed = 0.0  # training seconds before this session (restored on resume)
        self.lr_scale = 1.0
        self.rollbacks = 0
        self.best_quality: float | None = None
        self.quality_history: list[tuple[int, float]] = []
        self.best_reason: str | None = None
        sched = cfg.schedule
        self.quality = QualityTracker(first_seconds=sched.metric_first_seconds, growth=sched.metric_growth,
                                      budget=sched.metric_budget, max_spacing=sched.metric_seconds)
        self._stats: list[torch.Tensor] = []  # one (4,) device tensor per step, read back per tick
        self._pending_events: list[Event] = []  # happenings between ticks, reported at the next one
        if self.device.type == "cpu" and not self.dist.enabled:
            self._fit_batch_to_memory()
        self._tick_first_step = 1
        self._good_state: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._metrics: list[SlicedWasserstein] = []  # two, each against its own real images
        self._shape_metrics: list[SlicedWasserstein] = []  # the same, each set normalised by itself (quality.py)
        self._copy_bank = None  # the training images for the copy check (data/copies.py), built when first needed
        self._copying = False  # the copy warning was given and has not eased since
        self._last_shapes = math.nan  # the shapes-only figure of the last measurement
        self._real_spread: float | None = None
        self.skipped = list(skipped or [])
        if cfg.train.compile:
            self._compile_networks()

        grid_seeds = [cfg.train.seed * 100_003 + i for i in range(cfg.schedule.grid_images)]
        self.fixed_z = z_batch_from_seeds(grid_seeds, m.z_dim).to(self.device)
        # Latents on which G_ema's batch-norm statistics are measured (see ema.py); fixed,
        # so the same weights always get the same statistics, on every process.
        norm_seeds = [NORM_SEED_OFFSET + i for i in range(EMA_NORM_IMAGES)]
        self._norm_z = z_batch_from_seeds(norm_seeds, m.z_dim).to(self.device)
        self._ema_norm_step: int | None = None  # the step G_ema's statistics were measured at

        if self.writes_files and self.folder.root.is_dir():
            self.folder.remove_stale_temp_files()  # left by a kill mid-save: never read, only in the way
        if resume:
            self._resume()
        elif self.writes_files:
            assert self.folder is not None
            foreign = self.folder.foreign_entries()
            if foreign:
                raise RunFolderError(foreign_files_message(self.folder.root, foreign))
            self.folder.create()
            self.folder.truncate_after(0)  # a start that was killed before its first checkpoint left these
            self.folder.write_config(self.config)
            self.folder.log(f"New run: {self._describe()}")

    # ------------------------------------------------------------------ control
    def request_stop(self) -> None:
        """Finish the current step, save a checkpoint and end `run()`. Thread-safe."""
        self._stop.set()
        self._pause.clear()

    def request_pause(self) -> None:
        self._pause.set()

    def request_resume(self) -> None:
        self._pause.clear()

    @property
    def pause_requested(self) -> bool:
        return self._pause.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()


    # ------------------------------------------------------------------ the loop
    def run(self) -> Iterator[TickReport]:
        """Train until the step or time limit, or a stop request; yield a report per tick."""
        cfg = self.config
        sched = cfg.schedule
        tick_steps = sched.tick_steps or (10 if self.dist.enabled else 0)  # ranks must agree on tick steps
        now = time.perf_counter()
        clock = Clock(
            last_tick=now, last_checkpoint=now, last_snapshot=now, started=now, last_good_state=now
        )
        session_elapsed_base = self.elapsed
        paused_total = 0.0
        clock.steps_at_tick = self.step_count
        self._tick_first_step = self.step_count + 1
        if self._good_state is None:
            self._good_state = self._capture_state(include_rng=False)
        def training_time() -> float:
            return session_elapsed_base + (time.perf_counter() - clock.started - paused_total)

        end = self._end_state(training_time(), at_boundary=True)
        while end is None:
            if self._pause.is_set():
                self.elapsed = training_time()
                yield self._tick(clock, RunState.PAUSED)
                pause_began = time.perf_counter()
                while self._pause.is_set() and not self._stop.is_set():
                    time.sleep(0.05)
                paused_total += time.perf_counter() - pause_began
                clock.last_tick = time.perf_counter()
                end = self._end_state(training_time(), at_boundary=True)
                continue

            try:
                self.step()
            except torch.OutOfMemoryError:
                if not self._halve_batch_after_oom():
                    raise TrainingError(
                        f"The {self.device.type.upper()} ran out of memory even at {self.batch} images per step; "
                        "try a smaller resolution, a narrower network or a smaller --batch."
                    ) from None
                continue
            except Exception as exc:
                if not self.compiled:
                    raise
                self._stop_compiling(exc)  # a compiler failure is no reason to stop training
                continue
            if tick_steps:
                due = self.step_count - clock.steps_at_tick >= tick_steps
            else:
                due = time.perf_counter() - clock.last_tick >= sched.tick_seconds
            self.elapsed = training_time()
            # Under torchrun the ranks decide together, so only at tick boundaries.
            end = self._end_state(self.elapsed, at_boundary=due or not self.dist.enabled)
            if end is None and due:
                report = self._tick(clock, RunState.RUNNING)
                yield report
                if report.state is RunState.DIVERGED:
                    return
        self.elapsed = training_time()
        yield self._tick(clock, end, force_sample=True, force_checkpoint=True)

    def _end_state(self, training_time: float, *, at_boundary: bool) -> str | None:
        """'finished' at the step or time limit, 'stopped' on request, else None."""
        if not at_boundary:
            return None
        finished = self._limit_reached(training_time)
        stopping = self._stop.is_set()
        if self.dist.enabled:
            finished = self.dist.any(finished, self.device)
            stopping = not finished and self.dist.any(stopping, self.device)
        if finished:
            return RunState.FINISHED
        return RunState.STOPPED if stopping else None

    @property
    def batch(self) -> int:
        """Images per step over all processes (less than configured after running out of memory)."""
        return self.local_batch * self.dist.world_size

    def _fit_batch_to_memory(self, free: int | None = None) -> None:
        """On the CPU, size the batch to the memory there is, before the first step (memory.py):
        a smaller batch with a plain message, or a plain refusal where even the smallest won't fit."""
        c = self.config
        per_image = bytes_per_image(self.G, self.D, z_dim=c.model.z_dim, resolution=c.data.resolution,
                                    channels=c.channels, element_bytes=4 if self.precision.autocast_dtype is None else 2)
        free = available_memory() if free is None else free
        fitting = batch_that_fits(self.local_batch, per_image, free)
        if free is not None and fitting * per_image > free * SHARE_OF_FREE:
            raise TrainingError(
                f"Training at {c.data.resolution} px with this network needs about {gigabytes(fitting * per_image)} "
                f"of memory even at {fitting} images per step, and this computer has {gigabytes(free)} free. "
                "Choose a smaller image size or a narrower network, or close other programs."
            )
        if fitting < self.local_batch:
            message = (
                f"{self.local_batch} images per step at {c.data.resolution} px would need about "
                f"{gigabytes(self.local_batch * per_image)} of memory, and this computer has {gigabytes(free)} free: "
                f"training with {fitting} images per step instead."
            )
            self.local_batch = fitting
            self._pending_events.append(Event(EventKind.BATCH_HALVED, message))
            log.warning(message)

    def _halve_batch_after_oom(self) -> bool:
        """The device ran out of memory mid-step: free what the step held, halve the batch.

        Returns False when there is nothing left to halve (or under torchrun, where the other
        processes could not follow): the caller then lets the error end the run.
        """
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if self.local_batch <= 1 or self.dist.enabled:
            return False
        before = self.batch
        self.local_batch = max(1, self.local_batch // 2)
        message = (
            f"The {self.device.type.upper()} ran out of memory with {before} images per step: "
            f"halved the batch to {self.batch} and carried on."
        )
        self._pending_events.append(Event(EventKind.BATCH_HALVED, message))
        log.warning(message)
        return True

    def _compile_networks(self) -> None:
        """Wrap the trained networks in torch.compile, or say in plain words why not."""
        reason = compile_unavailable_reason(self.device)
        if reason is not None:
            message = f"Compiling the networks is not possible here ({reason}); training without it."
            self._pending_events.append(Event(EventKind.COMPILE_OFF, message))
            log.warning(message)
            return
        self.G_train = torch.compile(self.G_train)
        self.D_train = torch.compile(self.D_train)
        self.D_for_g = torch.compile(self.D)
        self.compiled = True

    def _stop_compiling(self, exc: BaseException) -> None:
        """Go back to the plain networks after torch.compile failed; the weights are shared."""
        self.G_train = self.G_train._orig_mod
        self.D_train = self.D_train._orig_mod
        self.D_for_g = self.D
        self.compiled = False
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        self.D.requires_grad_(True)
        # torch wraps the compiler's error: "backend='inductor' raised:" on the first line, the
        # reason on the next ones. Say the reason; keep the whole text in the log.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        reason = lines[0] if not lines[0].endswith(":") or len(lines) == 1 else f"{lines[0]} {lines[1]}"
        message = f"Compiling the networks failed ({type(exc).__name__}: {reason[:300]}); carried on without it."
        self._pending_events.append(Event(EventKind.COMPILE_OFF, message))
        log.warning("%s\n%s", message, str(exc)[:4000])

    def _limit_reached(self, elapsed: float) -> bool:
        t = self.config.train
        if t.steps and self.step_count >= t.steps:
            return True
        if t.minutes and elapsed >= t.minutes * 60.0:
            return True
        return False

    def _progress(self) -> tuple[float | None, float | None]:
        """(progress 0..1, eta seconds) from the step or time limit; (None, None) without a limit."""
        t = self.config.train
        if t.steps:
            progress = min(1.0, self.step_count / t.steps)
        elif t.minutes:
            progress = min(1.0, self.elapsed / (t.minutes * 60.0))
        else:
            return None, None
        if progress <= 0:
            return progress, None
        return progress, self.elapsed * (1 - progress) / progress


    def _describe(self) -> str:
        c = self.config
        return (
            f"{c.model.arch} at {c.data.resolution}px, width {c.model.width}, loss {c.loss.kind}, batch {c.train.batch}, "
            f"{self.precision.describe()} on {self.device.type}, {len(self.bank)} images"
            + (f", {self.dist.world_size} processes" if self.dist.enabled else "")
            + (f", starting from {c.train.init_from}" if c.train.init_from else "")
        )

