"""One way to make what an artist keeps: a piece, a grid of pieces, a walk.

`ganstudio generate` and the app's export worker both come here, so a piece saved in the
app and the same piece made again from the terminal are the same pixels with the same
recipe. Pure (torch, numpy, Pillow): the app calls these from a worker thread, never
from the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np
import torch

from ganstudio import __version__
from ganstudio.explore.latent import render, to_uint8
from ganstudio.explore.recipe import APP_NAME, make_recipe
from ganstudio.export import (
    Cancelled, animation_format_of, make_grid, save_apng, save_gif, save_mp4, save_png, save_webp, upscale,
)
from ganstudio.explore.source import ModelSource

if TYPE_CHECKING:
    from ganstudio.explore.directions import Directions
    from ganstudio.explore.model import Look

WALK_CHUNK = 16  # frames rendered per forward pass of a walk


def render_one_by_one(generator: torch.nn.Module, latents: torch.Tensor) -> np.ndarray:
    """uint8 (N, H, W, C): one forward pass per picture, as the explorer draws each one (a
    batch may round differently in the last bit on some backends)."""
    return render(generator, latents, batch_size=1)


def make_piece(generator: torch.nn.Module, look: Look, latent: torch.Tensor, source: ModelSource, *,
               scale: int | None = None, size: int | None = None, smooth: bool = False,
               directions: Directions | None = None, direction_names: Sequence[str] | None = (),
               copy_check: Callable[[np.ndarray], dict | None] | None = None) -> tuple[np.ndarray, dict]:
    """The picture of one latent at the size asked for, and its recipe. `copy_check(picture)`,
    when given, says how near the picture is to the training images (data/copies.py); the
    recipe records it."""
    image = render_one_by_one(generator, latent[None])[0]
    big = upscale(image, scale=None if size else (scale or 1), size=size, smooth=smooth)
    recipe = make_recipe(
        look, directions=directions, direction_names=direction_names, latent=latent,
        fingerprint=source.fingerprint or "", run=source.run, checkpoint=source.checkpoint, step=source.step,
        app_version=__version__, size=big.shape[1], smooth=smooth,
    )
    note = copy_check(image) if copy_check is not None else None
    if note:
        recipe["copy_check"] = note
    return big, recipe


def save_piece(path, generator: torch.nn.Module, look: Look, latent: torch.Tensor, source: ModelSource, **options) -> Path:
    """make_piece, written as a PNG whose text chunk holds the recipe."""
    image, recipe = make_piece(generator, look, latent, source, **options)
    return save_png(path, image, recipe=recipe)


def grid_recipe(kind: str, source: ModelSource, seed: int | None = None) -> dict:
    """What a grid PNG records: not a piece to reopen, but which model drew it and when."""
    recipe = {"app": APP_NAME, "app_version": __version__, "kind": kind, "generator": source.fingerprint,
              "run": source.run, "step": int(source.step)}
    if seed is not None:
        recipe["seed"] = int(seed)
    return recipe


def make_grid_of(images: np.ndarray, *, scale: int = 1, smooth: bool = False, cols: int | None = None,
                 pad_value: int = 0) -> np.ndarray:
    """Pictures (N, H, W, C) upscaled each and laid out as one grid, the gaps scaled with them."""
    scale = max(1, int(scale))
    big = np.stack([upscale(im, scale=scale, smooth=smooth) for im in images]) if scale > 1 else images
    return make_grid(big, cols=cols, padding=2 * scale, pad_value=pad_value)


def iter_walk_frames(generator: torch.nn.Module, latents: torch.Tensor, *, size: int | None = None,
                     smooth: bool = False, progress: Callable[[int, int], None] = lambda done, total: None,
                     cancelled: Callable[[], bool] = lambda: False) -> Iterator[np.ndarray]:
    """Every frame of a walk (latents (N, z_dim)) as uint8, at `size` px when given, rendered
    WALK_CHUNK at a time as they are asked for."""
    total = len(latents)
    for start in range(0, total, WALK_CHUNK):
        if cancelled():
            raise Cancelled()
        with torch.inference_mode():
            chunk = to_uint8(generator(latents[start : start + WALK_CHUNK]))
        for image in chunk:
            yield upscale(image, size=size, smooth=smooth) if size and size != image.shape[0] else image
        progress(min(start + WALK_CHUNK, total), total)


def walk_frames(generator: torch.nn.Module, latents: torch.Tensor, **options) -> list[np.ndarray]:
    """All frames of a walk in memory (GIF, WebP and APNG encoders need them together)."""
    return list(iter_walk_frames(generator, latents, **options))


def save_walk(path, generator: torch.nn.Module, latents: torch.Tensor, *, fps: float, loop: bool = True,
              size: int | None = None, smooth: bool = False,
              progress: Callable[[int, int], None] = lambda done, total: None,
              cancelled: Callable[[], bool] = lambda: False) -> Path:
    """A walk in the format its file name asks for: .mp4 (streamed), .webp, .png (APNG) or .gif."""
    kind = animation_format_of(path)
    frames = iter_walk_frames(generator, latents, size=size, smooth=smooth, progress=progress, cancelled=cancelled)
    if kind == "mp4":
        return save_mp4(path, frames, fps=fps)
    writer = {"webp": save_webp, "apng": save_apng, "gif": save_gif}[kind]
    return writer(path, list(frames), fps=fps, loop=loop)
