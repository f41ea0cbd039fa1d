"""The training engine: one step at a time, a frozen report per tick.

`Trainer.step()` is one generator update (and its discriminator updates). `Trainer.run()`
loops over steps and, once per *tick* (a fraction of a second to a few seconds), does the
housekeeping in the style of StyleGAN2-ADA: reads the statistics back from the device
once, writes `stats.jsonl`, and now and then renders the fixed-noise sample grid, measures
the quality figure and saves checkpoints. Each tick yields a `TickReport` that a terminal
progress bar or the GUI's training thread can show without touching the trainer.

Stop and pause requests arrive through thread-safe events and are honoured between steps.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from ganstudio import __version__
from ganstudio.training.augment import AdaptiveAugment, diff_augment
from ganstudio.checkpoint import CheckpointError, DamagedCheckpointError, load_checkpoint, save_checkpoint
from ganstudio.config import RunConfig, parse_policy
from ganstudio.data import ImageBank
from ganstudio.device import Precision, compile_unavailable_reason, pick_device, resolve_precision
from ganstudio.training.distributed import DistContext
from ganstudio.training.ema import ema_beta, make_ema_copy, recalibrate_batch_norm, update_ema
from ganstudio.export import make_grid, save_png
from ganstudio.explore.latent import render, z_batch_from_seeds
from ganstudio.training.losses import d_accuracy_stats, d_loss, g_loss, gradient_penalty, r1_penalty
from ganstudio.training.metrics import QualityFigure, SlicedWasserstein, mean_pairwise_distance
from ganstudio.models import build_discriminator, build_generator
from ganstudio.plan import decide_data
from ganstudio.presets import without_color
from ganstudio.training.quality import QualityTracker, Verdict
from ganstudio.runs.folder import RunFolder
from ganstudio.training.warm_start import StartingPoint, first_layers, load_into

log = logging.getLogger("ganstudio.training.trainer")

# Rows of the per-step statistics buffer, in this order.
STAT_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")
MAX_ROLLBACKS = 8  # after this many NaN rollbacks the run is declared diverged
GOOD_STATE_SECONDS = 60.0  # refresh the in-memory rollback point at most this often
METRIC_SEED_OFFSET = 7919  # metric noise differs from the sample-grid noise but is fixed per run
NOISE_SET_OFFSET = 50_021  # the second sample set of each measurement (its noise estimate), apart from the first
NORM_SEED_OFFSET = 2**40  # G_ema's batch-norm latents: apart from every seed a user or metric picks
EMA_NORM_IMAGES = 256  # latents per re-measurement of G_ema's batch-norm statistics


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. out of memory at the smallest batch); one plain line."""


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
    state: str  # "running", "paused", "finished", "stopped", "diverged"
    quality: QualityFigure | None = None
    best_quality: float | None = None  # the figure of the generator in the 'best' checkpoint
    best_reason: str | None = None  # why 'best' is the generator it is, after this tick's measurement
    sample_grid: np.ndarray | None = None  # uint8 (H, W, C) from the fixed noise
    sample_step: int | None = None
    ema_generator: nn.Module | None = None  # a CPU copy of the EMA generator, in eval mode
    diversity: float | None = None  # spread of the fixed-noise samples relative to the real images' (~1 healthy, ->0 collapse)
    checkpoint: str | None = None  # path of a checkpoint written this tick
    events: tuple[str, ...] = ()  # plain-language happenings (rollbacks, saves that failed, ...)

    @property
    def last(self) -> dict[str, float]:
        """Latest value of each statistic (NaN when this tick had no steps)."""
        out = {}
        for name in STAT_NAMES:
            values = getattr(self, name)
            out[name] = float(values[-1]) if len(values) else math.nan
        return out


@dataclass
class _Clock:
    """Wall-clock bookkeeping for housekeeping intervals (host side, no device sync)."""

    last_tick: float = 0.0
    last_sample: float = -math.inf
    last_checkpoint: float = 0.0
    last_snapshot: float = 0.0
    last_good_state: float = 0.0
    started: float = 0.0
    steps_at_tick: int = 0


class Trainer:
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
        self._pending_events: list[str] = []  # happenings between ticks, reported at the next one
        self._tick_first_step = 1
        self._good_state: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._metrics: list[SlicedWasserstein] = []  # two, each against its own real images
        self._shape_metrics: list[SlicedWasserstein] = []  # the same, each set normalised by itself (quality.py)
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

    # ------------------------------------------------------------------ one step
    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = self.precision.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if not self.augment_policy:
            return x
        p = self.adaptive.probability if self.adaptive else self.config.augment.probability
        if p <= 0:
            return x
        return diff_augment(x, self.augment_policy, self.aug_gen, p, self.config.augment.color_strength)

    def _noise(self) -> torch.Tensor:
        return torch.randn(self.local_batch, self.G.z_dim, device=self.device, generator=self.noise_gen)

    def step(self) -> None:
        """One training iteration: `d_steps` discriminator updates, then one generator update.

        Nothing here reads a value back to the host, so on a GPU the CPU runs ahead freely.
        """
        cfg = self.config
        kind = cfg.loss.kind
        self.G_train.train()
        self.D_train.train()

        # -- discriminator ---------------------------------------------------------
        self.D.requires_grad_(True)
        for d_step in range(cfg.loss.d_steps):
            real = self.bank.sample(self.local_batch, self.data_gen)
            if d_step == cfg.loss.d_steps - 1:
                # The last batch of fakes keeps its graph and is reused for the generator
                # update, as in the classic DCGAN loop: one G forward per step, not two.
                with self._autocast():
                    fake_for_g = self.G_train(self._noise())
                fake = fake_for_g.detach()
            else:
                with torch.no_grad(), self._autocast():
                    fake = self.G(self._noise())
            # Once per step that is due, on its first discriminator update: with d_steps > 1,
            # applying it on every update would make it d_steps times stronger than set.
            apply_r1 = cfg.loss.r1_gamma > 0 and self.step_count % cfg.loss.r1_every == 0 and d_step == 0
            apply_r2 = apply_r1 and kind == "rpgan"  # R3GAN: the same zero-centred penalty on fakes
            with self._autocast():
                real_in = self._augment(real)
                fake_in = self._augment(fake)
                if apply_r1:
                    real_in = real_in.detach().requires_grad_(True)
                if apply_r2:
                    fake_in = fake_in.detach().requires_grad_(True)
                if cfg.loss.joint_batch:
                    # One batch: a batch-norm D then normalises reals and fakes on the same
                    # statistics, so a shift common to all fakes (paper a few grey levels too
                    # light, a tint) stays visible to it instead of being normalised away.
                    logits = self.D_train(torch.cat([real_in, fake_in]))
                    real_logits, fake_logits = logits[: len(real_in)], logits[len(real_in) :]
                else:
                    real_logits = self.D_train(real_in)
                    fake_logits = self.D_train(fake_in)
                loss_d = d_loss(kind, real_logits.float(), fake_logits.float())
            if kind == "wgan-gp":
                loss_d = loss_d + cfg.loss.gp_weight * gradient_penalty(
                    self.D_train, real_in.detach(), fake_in.detach(), self.aug_gen
                )
            if apply_r1:
                # Lazy regularisation: every r1_every steps, weighted by r1_every (StyleGAN2).
                loss_d = loss_d + (cfg.loss.r1_gamma / 2) * cfg.loss.r1_every * r1_penalty(real_logits, real_in)
            if apply_r2:
                loss_d = loss_d + (cfg.loss.r1_gamma / 2) * cfg.loss.r1_every * r1_penalty(fake_logits, fake_in)
            if self.adaptive is not None:
                self.adaptive.accumulate(real_logits.detach())
            self.opt_d.zero_grad(set_to_none=True)
            self.scaler_d.scale(loss_d).backward()
            for frozen in self._frozen_d:
                frozen.grad = None  # Adam leaves a parameter without a gradient as it is
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()

        # -- generator -------------------------------------------------------------
        # D's weights need no gradients here: freezing them skips their weight-gradient
        # kernels in the backward pass (only the input gradient is needed).
        self.D.requires_grad_(False)
        with self._autocast():
            fake_in_g = self._augment(fake_for_g)
            if cfg.loss.joint_batch and cfg.loss.joint_g_step == "running":
                # D's running statistics come from its joint batches, so the fakes are
                # normalised as D was trained to see them, without running D over reals again.
                self.D_for_g.eval()
                fake_logits_g = self.D_for_g(fake_in_g)
                self.D_for_g.train()
            elif cfg.loss.joint_batch:
                # The same real batch beside the fakes, so D judges them as it was trained to.
                fake_logits_g = self.D_for_g(torch.cat([real_in.detach(), fake_in_g]))[len(real_in) :]
            else:
                fake_logits_g = self.D_for_g(fake_in_g)
            real_logits_g = None
            if kind == "rpgan":
                # Each fake is judged against a real image by the D of now (no gradient needed).
                with torch.no_grad():
                    real_logits_g = self.D_for_g(real_in.detach())
            loss_g = g_loss(kind, fake_logits_g.float(), real_logits_g)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(loss_g).backward()
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        self.D.requires_grad_(True)

        # -- bookkeeping (all on the device) ------------------------------------------
        self.step_count += 1
        self.images_seen += self.batch
        beta = ema_beta(self.batch, self.images_seen, cfg.train.ema_half_life_images, cfg.train.ema_rampup)
        update_ema(self.G_ema, self.G, beta)
        d_real, d_fake = d_accuracy_stats(real_logits.detach().float(), fake_logits.detach().float())
        self._stats.append(torch.stack([loss_d.detach().float(), loss_g.detach().float(), d_real, d_fake]))

    # ------------------------------------------------------------------ the loop
    def run(self) -> Iterator[TickReport]:
        """Train until the step or time limit, or a stop request; yield a report per tick."""
        cfg = self.config
        sched = cfg.schedule
        tick_steps = sched.tick_steps or (10 if self.dist.enabled else 0)  # ranks must agree on tick steps
        now = time.perf_counter()
        clock = _Clock(
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
                yield self._tick(clock, "paused")
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
                report = self._tick(clock, "running")
                yield report
                if report.state == "diverged":
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
            return "finished"
        return "stopped" if stopping else None

    @property
    def batch(self) -> int:
        """Images per step over all processes (less than configured after running out of memory)."""
        return self.local_batch * self.dist.world_size

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
        self._pending_events.append(message)
        log.warning(message)
        return True

    def _compile_networks(self) -> None:
        """Wrap the trained networks in torch.compile, or say in plain words why not."""
        reason = compile_unavailable_reason(self.device)
        if reason is not None:
            message = f"Compiling the networks is not possible here ({reason}); training without it."
            self._pending_events.append(message)
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
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        message = f"Compiling the networks failed ({type(exc).__name__}: {first_line}); carried on without it."
        self._pending_events.append(message)
        log.warning(message)

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

    # ------------------------------------------------------------------ housekeeping
    def _tick(self, clock: _Clock, state: str, *, force_sample: bool = False, force_checkpoint: bool = False) -> TickReport:
        now = time.perf_counter()
        events: list[str] = list(self._pending_events)
        self._pending_events.clear()
        sched = self.config.schedule
        steps = self.step_count - clock.steps_at_tick
        seconds = max(now - clock.last_tick, 1e-9)

        # The one readback of the tick: all per-step statistics at once.
        if self._stats:
            stats = torch.stack(self._stats).float()
            stats = self.dist.mean_(stats) if self.dist.enabled else stats
            values = stats.cpu().numpy().T.copy()
        else:
            values = np.zeros((len(STAT_NAMES), 0), dtype=np.float32)
        self._stats.clear()
        first_step = self._tick_first_step

        if values.size and not np.isfinite(values).all():
            rollback = self._rollback(events)
            if rollback == "diverged":
                state = "diverged"
            values = np.zeros((len(STAT_NAMES), 0), dtype=np.float32)
            force_sample = True
        elif values.size and now - clock.last_good_state >= GOOD_STATE_SECONDS:
            self._good_state = self._capture_state(include_rng=False)
            clock.last_good_state = now

        if self.adaptive is not None:
            self.adaptive.update(self.dist.sum if self.dist.enabled else None)

        grid = None
        ema_copy = None
        diversity = None
        if self.dist.is_main and (force_sample or now - clock.last_sample >= sched.sample_seconds):
            samples = render(self.ema_generator(), self.fixed_z)
            grid = make_grid(samples)
            diversity = self._diversity(samples)
            ema_copy = self._ema_cpu_copy()
            clock.last_sample = now
            if self.writes_files:
                assert self.folder is not None
                try:
                    save_png(self.folder.sample_path(self.step_count), grid)
                except OSError as exc:
                    events.append(f"Could not save the sample grid: {exc.strerror or exc}.")

        quality = verdict = None
        # Due by the schedule, or the run ends: its last generator is judged before it is saved.
        if self.step_count > 0 and state != "diverged" and self.quality.last_step != self.step_count and (
            self.quality.due(self.elapsed) or force_checkpoint
        ):
            began = time.perf_counter()
            measured = self._measure_quality()
            if measured is not None:
                quality, verdict = measured
                self.quality.measured(self.elapsed, time.perf_counter() - began)

        progress, eta = self._progress()
        report_images = steps * self.batch
        record: dict[str, Any] = {
            "step": self.step_count,
            "images": self.images_seen,
            "time": round(self.elapsed, 3),
            "steps_per_sec": steps / seconds,
            "images_per_sec": report_images / seconds,
            "lr_scale": self.lr_scale,
            "augment_p": self._augment_probability(),
        }
        for name, row in zip(STAT_NAMES, values):
            if row.size:
                record[name] = float(row.mean())
        if diversity is not None:
            record["diversity"] = diversity

        checkpoint = None
        if self.writes_files:
            assert self.folder is not None
            if quality is not None and verdict is not None:
                record["swd"] = quality.swd
                record["swd_levels"] = list(quality.per_level)
                record["swd_noise"] = verdict.noise
                record["swd_shapes"] = self._last_shapes
                record["swd_shapes_noise"] = self.quality.second.noise
                record["best"] = verdict.best
                record["best_reason"] = verdict.reason()
                self.best_reason = verdict.reason()
                if verdict.best:
                    self.best_quality = quality.swd
                    if self._save("best", events) and verdict.new_lowest:
                        events.append(f"New best quality (SWD {quality.swd:.2f}) saved as the 'best' checkpoint.")
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
                record["events"] = list(events)
            if steps or quality is not None or events:
                try:
                    self.folder.append_stats(record)
                except OSError as exc:
                    events.append(f"Could not write stats.jsonl: {exc.strerror or exc}.")
            for event in events:
                self.folder.log(event)
        elif quality is not None and verdict is not None and verdict.best:
            self.best_quality = quality.swd
            self.best_reason = verdict.reason()

        clock.last_tick = time.perf_counter()
        clock.steps_at_tick = self.step_count
        self._tick_first_step = self.step_count + 1
        return TickReport(
            step=self.step_count,
            first_step=first_step,
            images_seen=self.images_seen,
            d_loss=values[0],
            g_loss=values[1],
            d_real=values[2],
            d_fake=values[3],
            steps_per_second=steps / seconds,
            images_per_second=report_images / seconds,
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
        figures, shapes = [], []
        for k, offset in enumerate((METRIC_SEED_OFFSET, METRIC_SEED_OFFSET + NOISE_SET_OFFSET)):
            seeds = [self.config.train.seed * 100_003 + offset + i for i in range(n)]
            fakes = render(self.ema_generator(), z_batch_from_seeds(seeds, self.G.z_dim))
            figures.append(self._metrics[k](fakes))
            shapes.append(self._shape_metrics[k](fakes).swd)
        first, second = figures
        self._last_shapes = (shapes[0] + shapes[1]) / 2
        figure = QualityFigure(
            swd=(first.swd + second.swd) / 2,
            per_level=tuple((a + b) / 2 for a, b in zip(first.per_level, second.per_level)),
            images=first.images + second.images,
        )
        verdict = self.quality.judge(self.step_count, first.swd, second.swd, shapes=(shapes[0], shapes[1]))
        self.quality_history.append((self.step_count, figure.swd))
        return figure, verdict

    # ------------------------------------------------------------------ NaN rollback
    def _rollback(self, events: list[str]) -> str:
        """Losses went NaN/inf: restore the last good weights, halve the learning rates."""
        self.rollbacks += 1
        if self.rollbacks > MAX_ROLLBACKS or self._good_state is None:
            message = (
                f"Training diverged: the losses became invalid {self.rollbacks} times even after lowering the "
                "learning rates. Try a lower learning rate or another loss."
            )
            events.append(message)
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
        events.append(message)
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

    # ------------------------------------------------------------------ state
    def _seed_generators(self, seed: int, rank: int, step: int) -> None:
        base = (seed * 1_000_003 + rank * 7_919 + step) % (2**63)
        self.data_gen.manual_seed(base + 1)
        self.noise_gen.manual_seed(base + 2)
        self.aug_gen.manual_seed(base + 3)

    def _capture_state(self, include_rng: bool = True) -> dict[str, Any]:
        """Everything needed to continue exactly: a plain dict of tensors and primitives."""

        def cpu(sd: dict) -> dict:
            return {k: v.detach().to("cpu", copy=True) if torch.is_tensor(v) else copy.deepcopy(v) for k, v in sd.items()}

        state: dict[str, Any] = {
            "app_version": __version__,
            "config": self.config.to_dict(),
            "step": self.step_count,
            "images_seen": self.images_seen,
            "elapsed": float(self.elapsed),
            "lr_scale": self.lr_scale,
            "rollbacks": self.rollbacks,
            "best_quality": self.best_quality,
            "quality": self.quality.state_dict(),
            "G": cpu(self.G.state_dict()),
            "D": cpu(self.D.state_dict()),
            "G_ema": cpu(self.ema_generator().state_dict()),
            "opt_G": _optimizer_state_cpu(self.opt_g),
            "opt_D": _optimizer_state_cpu(self.opt_d),
            "scaler_G": self.scaler_g.state_dict(),
            "scaler_D": self.scaler_d.state_dict(),
            "augment": self.adaptive.state_dict() if self.adaptive else {},
            "batch": self.batch,  # may be below the configured batch after running out of memory
            "resolution": self.config.data.resolution,
            "channels": self.config.channels,
            "z_dim": self.G.z_dim,
        }
        if include_rng:
            state["rng"] = {
                "data": self.data_gen.get_state(),
                "noise": self.noise_gen.get_state(),
                "augment": self.aug_gen.get_state(),
                "torch": torch.get_rng_state(),
            }
        return state

    def _load_state(self, state: dict[str, Any], restore_rng: bool = True) -> None:
        try:
            self.G.load_state_dict(state["G"])
            self.D.load_state_dict(state["D"])
            self.G_ema.load_state_dict(state["G_ema"])
            self._ema_norm_step = None  # loaded statistics: measure again before the next use
            self.opt_g.load_state_dict(_adam_state_for(state["opt_G"], self.fused_adam))
            self.opt_d.load_state_dict(_adam_state_for(state["opt_D"], self.fused_adam))
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(
                f"The checkpoint does not fit this model (different architecture, size or resolution): {str(exc).splitlines()[0][:160]}"
            ) from None
        if state.get("scaler_G"):
            self.scaler_g.load_state_dict(state["scaler_G"])
        if state.get("scaler_D"):
            self.scaler_d.load_state_dict(state["scaler_D"])
        if self.adaptive is not None and state.get("augment"):
            self.adaptive.load_state_dict(state["augment"])
        saved_batch = state.get("batch")
        if isinstance(saved_batch, int) and 0 < saved_batch < self.batch and not self.dist.enabled:
            self.local_batch = saved_batch  # carry on with the batch that fitted in memory
        self.step_count = int(state["step"])
        self.images_seen = int(state.get("images_seen", self.step_count * self.config.train.batch))
        self.elapsed = float(state.get("elapsed", 0.0))
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.rollbacks = int(state.get("rollbacks", 0))
        self.best_quality = state.get("best_quality")
        if isinstance(state.get("quality"), dict):
            self.quality.load_state_dict(state["quality"])
        self._apply_lr_scale()
        if restore_rng:
            rng = state.get("rng") or {}
            if self.dist.is_main and rng:
                self.data_gen.set_state(rng["data"])
                self.noise_gen.set_state(rng["noise"])
                self.aug_gen.set_state(rng["augment"])
                torch.set_rng_state(rng["torch"])
            else:
                # Other ranks' streams were not saved: derive fresh, distinct ones from the step.
                self._seed_generators(self.config.train.seed, self.dist.rank, self.step_count)

    def state_dict(self) -> dict[str, Any]:
        return self._capture_state(include_rng=True)

    def _save(self, name: str, events: list[str]) -> bool:
        """Write a checkpoint; a full disk or read-only folder is reported, never fatal."""
        assert self.folder is not None
        try:
            save_checkpoint(self.folder.checkpoint_path(name), self.state_dict())
            return True
        except OSError as exc:
            events.append(
                f"Could not save the '{name}' checkpoint ({exc.strerror or exc}); training continues and the previous checkpoint is untouched."
            )
            return False

    def save(self, name: str = "latest") -> Path | None:
        """Save a checkpoint now (rank 0 only); returns its path, or None when nothing was written."""
        if not self.writes_files:
            return None
        assert self.folder is not None
        events: list[str] = []
        if self._save(name, events):
            return self.folder.checkpoint_path(name)
        for event in events:
            log.warning(event)
        return None

    def _prune_snapshots(self) -> None:
        assert self.folder is not None
        keep = self.config.schedule.keep_snapshots
        snapshots = sorted(self.folder.checkpoints_dir.glob("step-*.pt"))
        for old in snapshots[: max(0, len(snapshots) - keep)]:
            try:
                old.unlink()
            except OSError:
                pass

    def _resume(self) -> None:
        assert self.folder is not None
        path = self.folder.checkpoint_path("latest")
        if not path.exists():
            raise CheckpointError(f"Nothing to resume: '{self.folder.root}' has no latest checkpoint.")
        fallback_note = None
        try:
            state = load_checkpoint(path)
        except DamagedCheckpointError as damage:
            state, fallback_note = self._older_checkpoint_instead(path, damage)
        saved = RunConfig.from_dict(state["config"])
        if (saved.model, saved.data.resolution, saved.channels) != (
            self.config.model,
            self.config.data.resolution,
            self.config.channels,
        ):
            raise CheckpointError(
                "The checkpoint's model or resolution differs from these settings; resume with the run's own config.json."
            )
        self._load_state(state, restore_rng=True)
        self._remember_a_newer_best()
        if fallback_note is not None:
            self._pending_events.append(fallback_note)
        if self.writes_files:
            self.folder.truncate_after(self.step_count)
            self.folder.write_config(self.config)
            if fallback_note is not None:
                self.folder.log(fallback_note)
            self.folder.log(f"Resumed at step {self.step_count}.")
        self._good_state = self._capture_state(include_rng=False)

    def _remember_a_newer_best(self) -> None:
        """best.pt can be newer than latest.pt (a stop between the two saves): its figure is the
        one to beat, or a worse model would replace it after the resume."""
        assert self.folder is not None
        try:
            best = load_checkpoint(self.folder.checkpoint_path("best"))
        except CheckpointError:  # none yet, or unreadable: latest's own figure stands
            return
        figure = best.get("best_quality")
        if isinstance(figure, (int, float)) and math.isfinite(figure):
            if self.best_quality is None or figure < self.best_quality:
                self.best_quality = float(figure)
            self.quality.remember_lowest(float(figure), int(best["step"]), best.get("quality"))

    def _older_checkpoint_instead(self, latest: Path, damage: CheckpointError) -> tuple[dict[str, Any], str]:
        """The newest readable checkpoint of this run, for a latest.pt that cannot be read.

        latest.pt is only ever replaced whole, so a damaged one comes from outside (a disk
        error, a copy cut short): the newest numbered snapshot or best.pt carries on from a
        little earlier instead of the run being lost. The damaged file is kept beside it
        (copied, never deleted), so nothing that might still be rescued is overwritten.
        """
        assert self.folder is not None
        found: list[tuple[dict[str, Any], Path]] = []
        for snapshot in sorted(self.folder.checkpoints_dir.glob("step-*.pt"), reverse=True):  # newest first
            try:
                found.append((load_checkpoint(snapshot), snapshot))
                break
            except CheckpointError:
                continue
        try:
            found.append((load_checkpoint(self.folder.checkpoint_path("best")), self.folder.checkpoint_path("best")))
        except CheckpointError:
            pass
        if not found:
            raise damage
        state, used = max(found, key=lambda item: int(item[0]["step"]))
        kept = self.folder.checkpoint_path("latest-unreadable")
        if self.writes_files:
            try:
                shutil.copyfile(latest, kept)
            except OSError:
                kept = latest
        note = (
            f"The latest checkpoint could not be read ({damage}); carried on from '{used.name}' "
            f"(step {int(state['step'])}) instead. The unreadable file is kept as {kept.name}."
        )
        return state, note

    def _describe(self) -> str:
        c = self.config
        return (
            f"{c.model.arch} at {c.data.resolution}px, width {c.model.width}, loss {c.loss.kind}, batch {c.train.batch}, "
            f"{self.precision.describe()} on {self.device.type}, {len(self.bank)} images"
            + (f", {self.dist.world_size} processes" if self.dist.enabled else "")
            + (f", starting from {c.train.init_from}" if c.train.init_from else "")
        )


def _adam_state_for(saved: dict[str, Any], fused: bool) -> dict[str, Any]:
    """A saved Adam state with this trainer's choice of fused kernel.

    `load_state_dict` takes such settings from the saved groups, so a checkpoint from
    another device or an older version would otherwise switch the fused kernel off (or on
    where it is missing), and place the step counters for the other kernel.
    """
    groups = [dict(group, fused=fused or None, foreach=None if fused else group.get("foreach")) for group in saved["param_groups"]]
    return {"state": saved["state"], "param_groups": groups}


def _optimizer_state_cpu(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    sd = optimizer.state_dict()
    state = {
        k: {n: (v.detach().to("cpu", copy=True) if torch.is_tensor(v) else v) for n, v in s.items()}
        for k, s in sd["state"].items()
    }
    return {"state": state, "param_groups": copy.deepcopy(sd["param_groups"])}
