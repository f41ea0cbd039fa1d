"""Cheap pictures of pictures: what the data clinic and the copy check compare images by.

Two descriptions of a uint8 image (H, W, C), both computed from the image as it trains:

* `small_pictures`: the image area-averaged to 16×16 (colour kept), values 0..1. Two
  images are as far apart as the root-mean-square difference of these (`rms_distances`):
  0 for the same picture, about 0.02 for a JPEG re-encode, 0.2–0.4 for unrelated images.
  It is a figure an artist can picture ("how much of the picture differs"), which is why
  the copy check uses it rather than a neural feature that would need a download.
* `coarse_pictures`, `aligned_views` and `fit_distances`: for near-duplicates. A crop of a few percent
  moves every edge by a pixel or two, which a plain pixel distance (or a perceptual hash)
  counts as a different picture; so candidates come from a very small picture of each
  image's middle, and each candidate pair is compared at its best fit over small shifts
  and zooms (measured on three real sets: docs/benchmarks.md, "The data clinic").

Pure numpy, chunked so that tens of thousands of images never need gigabytes.
"""

from __future__ import annotations

import numpy as np

SMALL_SIDE = 16
_CHUNK = 256


def _area_resize(images: np.ndarray, side: int) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, side, side, C) float32 in 0..1 by averaging blocks, or by
    repeating pixels when the images are smaller than `side` (16 px sets)."""
    n, h, w, c = images.shape
    x = images.astype(np.float32) / 255.0
    if h >= side and h % side == 0 and w % side == 0:
        return x.reshape(n, side, h // side, side, w // side, c).mean(axis=(2, 4))
    rows = (np.arange(side) * h) // side
    cols = (np.arange(side) * w) // side
    return x[:, rows][:, :, cols]


def small_pictures(images: np.ndarray, side: int = SMALL_SIDE) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, side·side·C) float32: each image as a small picture, 0..1."""
    n = images.shape[0]
    out = np.empty((n, side * side * images.shape[3]), np.float32)
    for start in range(0, n, _CHUNK):
        chunk = images[start : start + _CHUNK]
        out[start : start + len(chunk)] = _area_resize(chunk, side).reshape(len(chunk), -1)
    return out


def rms_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference between every row of `a` (M, D) and of `b` (K, D): (M, K)."""
    a = a.astype(np.float32, copy=False)
    b = b.astype(np.float32, copy=False)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(squared, 0.0) / a.shape[1])


def nearest(queries: np.ndarray, bank: np.ndarray, k: int = 1, *, exclude_self: bool = False,
            chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest rows of `bank` to each query, by RMS distance: (indices (M, k), distances (M, k)).

    With exclude_self, queries are the bank itself and no row finds itself.
    """
    m = queries.shape[0]
    k = max(1, min(k, bank.shape[0] - (1 if exclude_self else 0)))
    index = np.empty((m, k), np.int64)
    dist = np.empty((m, k), np.float32)
    for start in range(0, m, chunk):
        d = rms_distances(queries[start : start + chunk], bank)
        if exclude_self:
            rows = np.arange(d.shape[0])
            d[rows, rows + start] = np.inf
        part = np.argpartition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else np.tile(np.arange(d.shape[1]), (len(d), 1))
        part_d = np.take_along_axis(d, part, axis=1)
        order = np.argsort(part_d, axis=1, kind="stable")
        index[start : start + len(d)] = np.take_along_axis(part, order, axis=1)
        dist[start : start + len(d)] = np.take_along_axis(part_d, order, axis=1)
    return index, dist


ALIGN_SIDE = 32  # near-duplicates are compared at this size
_BORDER = 4  # pixels left out at each edge, so that shifted and zoomed views all have data there
_SHIFTS = (-2, -1, 0, 1, 2)  # pixels at ALIGN_SIDE, each way
_ZOOMS = (1.03, 1.06, 1.09, 1.12, 1.15)  # a crop of up to about 7% off each edge, scaled back


def at_align_side(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, 32, 32, C) float32 in 0..1."""
    return _area_resize(images, ALIGN_SIDE)


def coarse_pictures(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, 8·8·C): the middle of each image, very small. A near-duplicate
    is among an image's ten nearest in this space even when it was cropped a little (which
    moves the edges), so these pick the pairs that `fit_distances` then settles."""
    out = []
    for start in range(0, images.shape[0], _CHUNK):
        x = at_align_side(images[start : start + _CHUNK])[:, _BORDER:-_BORDER, _BORDER:-_BORDER]
        side = x.shape[1] // 8
        out.append(x.reshape(len(x), 8, side, 8, side, x.shape[-1]).mean(axis=(2, 4)).reshape(len(x), -1))
    return np.concatenate(out) if out else np.empty((0, 64 * images.shape[3]), np.float32)


def _zoom_matrix(zoom: float, n: int = ALIGN_SIDE) -> np.ndarray:
    """Rows of bilinear weights that enlarge an n-pixel line by `zoom` about its middle."""
    source = (np.arange(n) + 0.5 - n / 2) / zoom + n / 2 - 0.5
    low = np.clip(np.floor(source).astype(int), 0, n - 1)
    high = np.clip(low + 1, 0, n - 1)
    weight = (source - np.floor(source)).astype(np.float32)
    m = np.zeros((n, n), np.float32)
    np.add.at(m, (np.arange(n), low), 1 - weight)
    np.add.at(m, (np.arange(n), high), weight)
    return m


_ZOOM_MATRICES = [_zoom_matrix(z) for z in _ZOOMS]


def _reduce(views: np.ndarray) -> np.ndarray:
    """(..., 24, 24, C) -> (..., 12·12·C): half size, so a sub-pixel misfit costs little."""
    *lead, h, w, c = views.shape
    halved = views.reshape(*lead, h // 2, 2, w // 2, 2, c).mean(axis=(-4, -2))
    return halved.reshape(*lead, -1)


def middles(pictures: np.ndarray) -> np.ndarray:
    """(N, 32, 32, C) pictures (at_align_side) -> (N, D): each one's unmoved middle, as
    `aligned_views` gives it first."""
    b = _BORDER
    return _reduce(pictures[:, b:-b, b:-b])


def aligned_views(pictures: np.ndarray) -> np.ndarray:
    """(N, 32, 32, C) pictures (at_align_side) -> (N, V, D): each one's middle shifted a
    little and zoomed a little; the first view is the unmoved middle."""
    b, n = _BORDER, ALIGN_SIDE
    views = [pictures[:, b + dy : n - b + dy, b + dx : n - b + dx]
             for dy in _SHIFTS for dx in _SHIFTS]
    views.insert(0, views.pop(len(views) // 2))  # (0, 0) first
    channels_first = pictures.transpose(0, 3, 1, 2)
    for m in _ZOOM_MATRICES:
        zoomed = (m @ channels_first @ m.T).transpose(0, 2, 3, 1)
        views.append(zoomed[:, b:n - b, b:n - b])
    return _reduce(np.stack(views, axis=1))


def fit_distances(views: np.ndarray, others: np.ndarray) -> np.ndarray:
    """RMS difference of each picture's best-fitting view (P, V, D) with another picture's
    middle (P, D): (P,). Take the smaller of both ways round for a pair: about 0.01 for a
    re-encode or resize, 0.02-0.04 for a crop of a few percent, over 0.07 for the nearest
    of different pictures (fonts, emoji and photos, docs/benchmarks.md)."""
    return np.sqrt(((views - others[:, None, :]) ** 2).mean(axis=2)).min(axis=1)
