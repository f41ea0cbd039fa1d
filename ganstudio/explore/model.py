"""The explorer's state: where in latent space the artist is, with undo/redo.

Plain Python, no Qt: the GUI observes changes through `on_change` callbacks and
renders `look.latent(...)` in its own thread.  Every random choice takes an explicit
seed (a numpy Generator), so the same actions give the same pictures, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from ganstudio.explore.directions import Directions
from ganstudio.explore.latent import lerp, slerp, truncate, z_from_seed

__all__ = ["Look", "ExplorerModel", "MAX_TRUNCATION", "MAX_UNDO"]

MAX_TRUNCATION = 2.0
# Looks are a few hundred floats at most; 500 steps of history is well under 1 MB.
MAX_UNDO = 500
_MAX_SEED = 2**63 - 1  # what fits a QSpinBox-friendly int64 and z_from_seed accepts


@dataclass(frozen=True)
class Look:
    """Everything that decides the pixels (given a generator and its directions)."""

    seed: int = 0
    truncation: float = 1.0
    offsets: tuple[float, ...] = ()
    base: tuple[float, ...] | None = None

    def pre_truncation(self, directions: Directions | None, z_dim: int) -> torch.Tensor:
        """(z_dim,) base + sum(offset_i * v_i), before the truncation trick."""
        if self.base is not None:
            if len(self.base) != z_dim:
                raise ValueError(f"this look's latent has {len(self.base)} numbers, the model needs {z_dim}")
            z = torch.tensor(self.base, dtype=torch.float32)
        else:
            z = z_from_seed(self.seed, z_dim)
        if directions is not None:
            if directions.z_dim != z_dim:
                raise ValueError(f"directions are for z_dim {directions.z_dim}, the model needs {z_dim}")
            # A fixed order of float32 additions, and zero offsets skipped rather than
            # added as 0 * v: the same Look gives the same bits, and an untouched slider
            # leaves the seed's own latent exactly as it is.
            for i, offset in enumerate(self.offsets[: len(directions)]):
                if offset != 0.0:
                    z = z + torch.from_numpy(directions.vectors[i]) * torch.tensor(offset, dtype=torch.float32)
        return z

    def latent(self, directions: Directions | None, z_dim: int) -> torch.Tensor:
        """(z_dim,) float32: truncate(base + sum(offset_i * v_i), psi)."""
        return truncate(self.pre_truncation(directions, z_dim), self.truncation)


def _as_base(z: torch.Tensor) -> tuple[float, ...]:
    # Python floats hold float32 values exactly, so tuple -> tensor gives the same bits.
    return tuple(float(v) for v in z.to(torch.float32).tolist())


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


class ExplorerModel:
    """Current look, history, keyframes, and the ways to make new looks."""

    def __init__(self, z_dim: int, directions: Directions | None):
        if isinstance(z_dim, bool) or int(z_dim) < 1:
            raise ValueError(f"z_dim must be a positive int, got {z_dim!r}")
        self.z_dim = int(z_dim)
        self.directions: Directions | None = None
        self.direction_names: list[str] = []
        self.look = Look()
        self.keyframes: list[Look] = []
        self.on_change: list[Callable[[Look], None]] = []
        self._undo: list[Look] = []
        self._redo: list[Look] = []
        self._drag_start: Look | None = None  # the look before an uncommitted drag
        self.set_directions(directions)

    # ------------------------------------------------------------------ directions
    def set_directions(self, directions: Directions | None) -> None:
        """New directions (e.g. a newer generator from training).  Not an undo step.

        Offsets are resized to the new count; history is kept (a Look with more or
        fewer offsets than there are directions still renders: extras are ignored).
        """
        if directions is not None and directions.z_dim != self.z_dim:
            raise ValueError(f"directions are for z_dim {directions.z_dim}, the explorer has {self.z_dim}")
        self.directions = directions
        names = list(directions.names) if directions is not None else []
        # Keep the artist's renames for directions that still exist.
        self.direction_names = self.direction_names[: len(names)] + names[len(self.direction_names) :]
        self.look = replace(self.look, offsets=self._fit_offsets(self.look.offsets))
        self._notify()

    @property
    def n_directions(self) -> int:
        return len(self.directions) if self.directions is not None else 0

    def _fit_offsets(self, offsets) -> tuple[float, ...]:
        n = self.n_directions
        offsets = tuple(float(v) for v in offsets)[:n]
        return offsets + (0.0,) * (n - len(offsets))

    def current_latent(self) -> torch.Tensor:
        return self.look.latent(self.directions, self.z_dim)

    # ------------------------------------------------------------------ history
    def set_look(self, look: Look, *, record: bool = True) -> None:
        """Make `look` current.  record=False while a slider is dragged; commit() then
        turns the whole drag into one undo step (back to where the drag started)."""
        if not isinstance(look, Look):
            raise TypeError("set_look needs a Look")
        changed = look != self.look
        if record:
            before = self._drag_start if self._drag_start is not None else self.look
            self._drag_start = None
            if look != before:
                self._push_undo(before)
                changed = True  # at least the undo button's state changed
        elif self._drag_start is None:
            self._drag_start = self.look
        self.look = look
        if changed:
            self._notify()

    def commit(self) -> None:
        """End a drag: it becomes one undo step (none if it ended where it began)."""
        start, self._drag_start = self._drag_start, None
        if start is not None and start != self.look:
            self._push_undo(start)
            self._notify()  # can_undo changed: let the GUI refresh its buttons

    def _push_undo(self, look: Look) -> None:
        self._undo.append(look)
        del self._undo[:-MAX_UNDO]
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) or (self._drag_start is not None and self._drag_start != self.look)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        self.commit()  # an unfinished drag counts as done before it is undone
        if not self._undo:
            return False
        self._redo.append(self.look)
        self.look = self._undo.pop()
        self._notify()
        return True

    def redo(self) -> bool:
        self.commit()
        if not self._redo:
            return False
        self._undo.append(self.look)
        self.look = self._redo.pop()
        self._notify()
        return True

    def _notify(self) -> None:
        for callback in list(self.on_change):
            callback(self.look)

    # ------------------------------------------------------------------ edits
    def set_seed(self, seed: int, *, record: bool = True) -> None:
        """A new seed keeps psi and the slider offsets (browse seeds with one edit)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= _MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {_MAX_SEED}, got {seed!r}")
        self.set_look(replace(self.look, seed=int(seed), base=None), record=record)

    def random_seed(self, rng_seed: int | None = None) -> int:
        """Jump to a random seed (drawn from `rng_seed`, or fresh entropy); returns it."""
        seed = int(np.random.default_rng(rng_seed).integers(0, 2**31 - 1))
        self.set_seed(seed)
        return seed

    def set_truncation(self, psi: float, *, record: bool = True) -> None:
        psi = min(max(_finite("truncation", psi), 0.0), MAX_TRUNCATION)
        self.set_look(replace(self.look, truncation=psi), record=record)

    def set_offset(self, index: int, value: float, *, record: bool = True) -> None:
        if not 0 <= int(index) < self.n_directions:
            raise IndexError(f"no direction {index}; there are {self.n_directions}")
        offsets = list(self._fit_offsets(self.look.offsets))
        offsets[int(index)] = _finite("offset", value)
        self.set_look(replace(self.look, offsets=tuple(offsets)), record=record)

    def set_raw(self, dim: int, value: float, *, record: bool = True) -> None:
        """Set one number of the base latent (before offsets and truncation)."""
        if not 0 <= int(dim) < self.z_dim:
            raise IndexError(f"no latent dimension {dim}; there are {self.z_dim}")
        base = list(self.look.base if self.look.base is not None else _as_base(z_from_seed(self.look.seed, self.z_dim)))
        base[int(dim)] = _finite("value", value)
        self.set_look(replace(self.look, base=tuple(base)), record=record)

    def reset(self) -> None:
        """Back to the seed's own latent, psi 1, all sliders 0 (an undo step)."""
        self.set_look(Look(seed=self.look.seed, truncation=1.0, offsets=(0.0,) * self.n_directions))

    # ------------------------------------------------------------------ keyframes
    def add_keyframe(self) -> int:
        self.keyframes.append(self.look)
        return len(self.keyframes) - 1

    def clear_keyframes(self) -> None:
        self.keyframes.clear()

    def interpolate(self, t: float, *, spherical: bool = True) -> Look:
        """The look at t in [0, 1] along A -> B -> C ...; t=0 is A, t=1 the last, exactly."""
        if len(self.keyframes) < 2:
            raise ValueError("add at least two keyframes first")
        return self._along(self.keyframes, t, spherical)

    def walk(self, frames: int, *, spherical: bool = True, loop: bool = False) -> list[Look]:
        """`frames` looks for an animation.  loop=True also walks back to A and leaves
        out the final A, so the animation repeats without a doubled frame."""
        if isinstance(frames, bool) or int(frames) < 1:
            raise ValueError(f"frames must be at least 1, got {frames!r}")
        if len(self.keyframes) < 2:
            raise ValueError("add at least two keyframes first")
        frames = int(frames)
        if loop:
            keys = self.keyframes + [self.keyframes[0]]
            return [self._along(keys, i / frames, spherical) for i in range(frames)]
        if frames == 1:
            return [self._along(self.keyframes, 0.0, spherical)]
        return [self._along(self.keyframes, i / (frames - 1), spherical) for i in range(frames)]

    def _along(self, keys: list[Look], t: float, spherical: bool) -> Look:
        t = min(max(_finite("t", t), 0.0), 1.0)
        segments = len(keys) - 1
        position = t * segments
        i = min(int(math.floor(position)), segments - 1)
        local = position - i  # exactly 0.0 at t=0 and exactly 1.0 at t=1
        a, b = keys[i], keys[i + 1]
        za = a.pre_truncation(self.directions, self.z_dim)
        zb = b.pre_truncation(self.directions, self.z_dim)
        # Interpolate before truncation and lerp psi, so each end is its keyframe's
        # exact latent (slerp/lerp return their endpoints exactly).
        z = (slerp if spherical else lerp)(za, zb, local)
        psi = (1.0 - local) * a.truncation + local * b.truncation
        return Look(
            seed=a.seed if local < 0.5 else b.seed,
            truncation=psi,
            offsets=(0.0,) * self.n_directions,
            base=_as_base(z),
        )

    # ------------------------------------------------------------------ new looks
    def variations(self, count: int = 9, amount: float = 0.5, seed: int = 0) -> list[Look]:
        """Children around the current look: z + amount * noise, noise drawn from `seed`.
        The current offsets are folded into the children's base; psi is kept."""
        if isinstance(count, bool) or int(count) < 0:
            raise ValueError(f"count must be 0 or more, got {count!r}")
        amount = _finite("amount", amount)
        parent = self.look.pre_truncation(self.directions, self.z_dim)
        noise = torch.from_numpy(
            np.random.default_rng(seed).standard_normal((int(count), self.z_dim)).astype(np.float32)
        )
        children = parent + amount * noise
        return [self._child(z, self.look.truncation, self.look.seed) for z in children]

    def crossbreed(self, a: Look, b: Look, seed: int = 0) -> Look:
        """A child of two favourites: each latent number from one parent or the other
        (a seeded coin per number), rescaled to the parents' mean length.

        Uniform crossover keeps about half of each parent, so the child sits about
        0.7x the parents' distance from each.  Mixing numbers can shorten the vector
        (where the parents disagree in sign nothing changes, but mixed magnitudes can),
        and a latent much shorter than typical renders washed out; restoring the
        parents' length keeps it as "typical" as they are, as slerp would.
        """
        za = a.pre_truncation(self.directions, self.z_dim)
        zb = b.pre_truncation(self.directions, self.z_dim)
        mask = torch.from_numpy(np.random.default_rng(seed).random(self.z_dim) < 0.5)
        child = torch.where(mask, za, zb)
        target = 0.5 * (za.norm() + zb.norm())
        norm = child.norm()
        if norm > 0:
            child = child * (target / norm)
        return self._child(child, 0.5 * (a.truncation + b.truncation), a.seed)

    def _child(self, z: torch.Tensor, psi: float, seed: int) -> Look:
        return Look(seed=seed, truncation=psi, offsets=(0.0,) * self.n_directions, base=_as_base(z))
