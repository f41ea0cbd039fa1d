"""What a saved piece carries (its recipe), and reading one back with suspicion.

A recipe travels inside PNGs that people share, so `parse_recipe` treats it as
hostile: every field is type- and size-checked, and anything odd gives None, never
an exception.  The exact latent is stored next to the editable look (seed, psi,
slider offsets), because PyTorch does not promise the same random stream for a seed
across versions, and directions recomputed on another machine may differ in the
last bit: the stored latent always re-makes the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Sequence

import numpy as np
import torch

from ganstudio.explore.directions import Directions
from ganstudio.explore.model import MAX_TRUNCATION, Look

__all__ = ["RECIPE_VERSION", "Recipe", "make_recipe", "parse_recipe", "portable_checkpoint", "MAX_Z_DIM", "MAX_DIRECTIONS"]

RECIPE_VERSION = 1
APP_NAME = "GAN Studio"
# Far above any z_dim we build (128-512) yet small enough that a hostile list is
# refused by its length before a single element is looked at.
MAX_Z_DIM = 4096
MAX_DIRECTIONS = 1024
_MAX_TEXT = 4096  # paths, names, fingerprints
_MAX_SEED = 2**64 - 1


@dataclass(frozen=True)
class Recipe:
    look: Look
    latent: np.ndarray  # (z_dim,) float32: the exact vector the pixels came from
    fingerprint: str
    run: str | None
    checkpoint: str | None
    step: int
    direction_names: tuple[str, ...]
    size: int | None = None  # pixel width it was saved at, if recorded
    smooth: bool | None = None  # enlarged smoothly (True) or as crisp blocks (False), if recorded

    @property
    def z_dim(self) -> int:
        return int(self.latent.shape[0])

    def resolve_look(self, directions: Directions | None) -> Look:
        """The look to open in the explorer: the editable one if it still gives the
        stored latent bit for bit with these directions, else one that holds the
        stored latent itself (exact pixels; sliders start at 0, psi at 1)."""
        try:
            same = np.array_equal(self.look.latent(directions, self.z_dim).numpy(), self.latent)
        except ValueError:
            same = False
        if same:
            return self.look
        n = len(directions) if directions is not None else 0
        return Look(seed=self.look.seed, truncation=1.0, offsets=(0.0,) * n, base=tuple(float(v) for v in self.latent))


def make_recipe(
    look: Look,
    *,
    directions: Directions | None,
    direction_names: Sequence[str] | None,
    latent: torch.Tensor,
    fingerprint: str,
    run: str | None,
    checkpoint: str | None,
    step: int,
    app_version: str,
    size: int | None = None,
    smooth: bool | None = None,
) -> dict:
    """The JSON-ready dict save_png embeds.  Floats are written with repr, so they
    read back bit for bit."""
    latent = torch.as_tensor(latent).detach().to("cpu", torch.float32).reshape(-1)
    count = len(directions) if directions is not None else len(look.offsets)
    names = list(direction_names) if direction_names is not None else list(directions.names if directions else ())
    used = []
    for i, offset in enumerate(look.offsets[:count]):
        if offset != 0.0:
            name = names[i] if i < len(names) else f"Direction {i + 1}"
            used.append({"index": i, "name": str(name), "offset": float(offset)})
    recipe: dict[str, Any] = {
        "app": APP_NAME,
        "version": RECIPE_VERSION,
        "app_version": str(app_version),
        "generator": str(fingerprint),
        "run": run,
        "checkpoint": portable_checkpoint(checkpoint),
        "step": int(step),
        "seed": int(look.seed),
        "truncation": float(look.truncation),
        "latent": [float(v) for v in latent.tolist()],
        "base": [float(v) for v in look.base] if look.base is not None else None,
        "directions": used,
        "direction_count": int(count),
        # All names, not only the used ones: the artist's renames reopen with the piece.
        "direction_names": [str(n) for n in names[:count]] + [f"Direction {i + 1}" for i in range(len(names), count)],
    }
    if size is not None:
        recipe["size"] = int(size)
    if smooth is not None:
        recipe["smooth"] = bool(smooth)
    return recipe


def portable_checkpoint(path: str | None) -> str | None:
    """What a recipe records for a checkpoint: its place inside its run ("checkpoints/best.pt"),
    or a lone file's name; never the folders around it (a shared PNG must not carry the
    artist's home folder, and a moved run must still be found: explore/locate.py)."""
    if not path:
        return None
    parts = PureWindowsPath(path).parts if "\\" in path else PurePosixPath(path).parts
    if not parts:
        return None
    inside_a_run = len(parts) >= 2 and parts[-2] == "checkpoints"
    return f"checkpoints/{parts[-1]}" if inside_a_run else parts[-1]


class _Bad(Exception):
    """Internal: the recipe is malformed."""


def parse_recipe(raw: Any, *, z_dim: int | None = None) -> Recipe | None:
    """A Recipe from a dict read out of a PNG, or None if anything is wrong with it.

    `z_dim`, if given, is what the loaded model needs; a recipe for another size is
    refused.  Never raises.
    """
    try:
        return _parse(raw, z_dim)
    except (_Bad, ValueError, TypeError, OverflowError, RecursionError, MemoryError):
        return None


def _parse(raw: Any, z_dim: int | None) -> Recipe:
    if not isinstance(raw, dict) or raw.get("app") != APP_NAME:
        raise _Bad
    version = raw.get("version", 1)  # recipes from before versioning are version 1
    if not _is_int(version) or not 1 <= version <= RECIPE_VERSION:
        raise _Bad
    latent = _floats(raw.get("latent"))
    if z_dim is not None and len(latent) != z_dim:
        raise _Bad
    base = raw.get("base")
    base = _floats(base) if base is not None else None
    if base is not None and len(base) != len(latent):
        raise _Bad
    seed = raw.get("seed")
    if not _is_int(seed) or not 0 <= seed <= _MAX_SEED:
        raise _Bad
    psi = _number(raw.get("truncation"))
    if not 0.0 <= psi <= MAX_TRUNCATION:
        raise _Bad
    step = raw.get("step", 0)
    if not _is_int(step) or step < 0:
        raise _Bad
    fingerprint = _text(raw.get("generator"))
    run = _optional_text(raw.get("run"))
    checkpoint = _optional_text(raw.get("checkpoint"))
    size = raw.get("size")
    if size is not None and (not _is_int(size) or not 1 <= size <= 1 << 20):
        raise _Bad
    smooth = raw.get("smooth")
    if smooth is not None and not isinstance(smooth, bool):
        raise _Bad

    entries = raw.get("directions", [])
    if not isinstance(entries, list) or len(entries) > MAX_DIRECTIONS:
        raise _Bad
    found: dict[int, tuple[str, float]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise _Bad
        index = entry.get("index")
        if not _is_int(index) or not 0 <= index < MAX_DIRECTIONS or index in found:
            raise _Bad
        found[index] = (_text(entry.get("name", "")), _number(entry.get("offset")))
    count = raw.get("direction_count", max(found, default=-1) + 1)
    if not _is_int(count) or not 0 <= count <= MAX_DIRECTIONS or (found and max(found) >= count):
        raise _Bad
    offsets = tuple(found[i][1] if i in found else 0.0 for i in range(count))
    stored = raw.get("direction_names")
    if stored is not None:
        if not isinstance(stored, list) or len(stored) != count:
            raise _Bad
        names = tuple(_text(n) for n in stored)
    else:
        names = tuple(found[i][0] if i in found else f"Direction {i + 1}" for i in range(count))

    look = Look(seed=seed, truncation=psi, offsets=offsets, base=tuple(base) if base is not None else None)
    return Recipe(
        look=look,
        latent=np.asarray(latent, dtype=np.float32),
        fingerprint=fingerprint,
        run=run,
        checkpoint=checkpoint,
        step=step,
        direction_names=names,
        size=size,
        smooth=smooth,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float:
    # bool is an int in Python, and "1.5" is not a number: both refused.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad
    value = float(value)  # OverflowError for a 400-digit int: caught by parse_recipe
    if not math.isfinite(value):
        raise _Bad
    return value


def _floats(value: Any) -> list[float]:
    # Length first: a 10-million-element list is refused without touching its items.
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_Z_DIM:
        raise _Bad
    out = [_number(v) for v in value]
    # The latent is float32 on disk and in the model; a value beyond float32's range
    # would become inf there.
    if any(abs(v) > 3.0e38 for v in out):
        raise _Bad
    return out


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise _Bad
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)
