"""A run's state as a plain dict of tensors and primitives: captured, saved, loaded and resumed.

Everything that makes a resumed run continue exactly as if it had never stopped lives in
the checkpoint: weights, optimisers, EMA, augmentation strength, quality history and every
generator of randomness. A mixin of `Trainer` (trainer.py sets up the attributes used here).
"""

from __future__ import annotations

import copy
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import torch

from ganstudio import __version__
from ganstudio.checkpoint import CheckpointError, DamagedCheckpointError, load_checkpoint, save_checkpoint
from ganstudio.config import RunConfig
from ganstudio.training.report import Event, EventKind

log = logging.getLogger("ganstudio.training")

class SnapshotMixin:
    """Saving, resuming and the randomness that makes a resume exact (a Trainer mixin)."""

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
            "cpu_routes": self.routes.state_dict(),  # the same routes after a resume: the same numbers
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
        if isinstance(state.get("cpu_routes"), dict):
            self.routes.load_state_dict(state["cpu_routes"])
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

    def _save(self, name: str, events: list[Event]) -> bool:
        """Write a checkpoint; a full disk or read-only folder is reported, never fatal."""
        assert self.folder is not None
        try:
            save_checkpoint(self.folder.checkpoint_path(name), self.state_dict())
            return True
        except OSError as exc:
            events.append(Event(
                EventKind.SAVE_FAILED,
                f"Could not save the '{name}' checkpoint ({exc.strerror or exc}); training continues and the previous checkpoint is untouched.",
            ))
            return False

    def save(self, name: str = "latest") -> Path | None:
        """Save a checkpoint now (rank 0 only); returns its path, or None when nothing was written."""
        if not self.writes_files:
            return None
        assert self.folder is not None
        events: list[Event] = []
        if self._save(name, events):
            return self.folder.checkpoint_path(name)
        for event in events:
            log.warning(event)
        return None

    def _prune_snapshots(self) -> None:
        assert self.folder is not None
        keep = self.config.schedule.keep_snapshots
        snapshots = self.folder.snapshot_paths()
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
            self._pending_events.append(Event(EventKind.OLDER_CHECKPOINT, fallback_note))
        if self.writes_files:
            try:
                self.folder.mark()  # a run from before the mark: it is one of ours (it holds our checkpoint)
            except OSError:
                pass
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
        for snapshot in reversed(self.folder.snapshot_paths()):  # newest first
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
