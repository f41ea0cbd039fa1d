"""Quality figures that need no download.

`SlicedWasserstein` is the multi-scale sliced Wasserstein distance (SWD) of
Karras et al. 2018, "Progressive Growing of GANs", appendix D:

1. Build a Laplacian pyramid of every image (5x5 binomial filter) from the full
   resolution down to 16 px.  The 16 px level is the low-pass residual (colours,
   coarse layout); each finer level is one band of edges and texture.
2. At each level cut 7x7xC patches ("descriptors") at random places, 128 per
   image.
3. Normalise each level's descriptors per colour channel.  We follow the paper
   and its reference code: each set, real and fake, is normalised with ITS OWN
   mean and standard deviation.  Consequence worth knowing: a global
   per-channel brightness/contrast change of the fakes is invisible to the
   figure; what it sees is the *shape* of the patch distribution (structure,
   sharpness, relations between channels, variety).  `normalize="real"` uses
   the real set's statistics for both sets instead, which also sees colour casts.
4. Project both descriptor sets on random unit directions and compare the
   sorted projections (1-D Wasserstein-1 distance), averaged over directions.
   The paper uses 512 projections; its reference code draws them as 4 repeats
   of 128, hence the defaults `directions=128, repeats=4`.
5. Report each level and their mean, multiplied by 1e3 like the paper.

The values are not comparable with the paper's tables: with a few hundred
images there are ~3e4 descriptors per level instead of ~2e6, so two samples of
the *same* distribution already score several units (the finite-sample floor).
Compare figures of one run over time, computed against the same real set with
the same settings.  Lower is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["QualityFigure", "SlicedWasserstein", "mean_pairwise_distance"]

_PATCH = 7  # descriptor side, from the paper
_MIN_RES = 16  # coarsest pyramid level, from the paper
_MAX_QUANTILES = 4096  # see _quantile_positions()
_DIRECTION_BLOCK = 128  # see _projected_quantiles()
_CHUNK_IMAGES = 256  # bounds the memory of the float pyramid for big image sets
# A channel whose descriptors vary by less than this (in 0..255 grey levels) is
# flat; dividing by its ~0 std would blow rounding noise up to unit variance.
_FLAT_STD = 1e-3
# Separable 5x5 binomial filter: outer([1,4,6,4,1], [1,4,6,4,1]) / 256, as in the paper.
_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)


@dataclass(frozen=True)
class QualityFigure:
    swd: float  # mean over levels, x1e3; lower is better
    per_level: tuple[float, ...]  # x1e3, finest level first, 16 px last
    images: int  # how many fake images were measured
    # Share of the samples nearly the same as a training image (data/copies.py): ~0.1 or less for
    # new pictures, near 1 for a model that hands back its data. None where not measured.
    copies: float | None = None


def _blur(x: torch.Tensor) -> torch.Tensor:
    """5x5 binomial blur, mirror padding (scipy 'mirror' is torch 'reflect')."""
    c = x.shape[1]
    k = torch.tensor(_BINOMIAL, dtype=x.dtype) / 16.0
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c)
    return F.conv2d(x, k.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c)


def _laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass levels, finest first; the last entry is the low-pass residual."""
    out = []
    g = x
    for _ in range(levels - 1):
        smaller = _blur(g)[:, :, ::2, ::2]
        up = torch.zeros_like(g)
        up[:, :, ::2, ::2] = smaller
        # x4 makes up for the three zeros inserted per pixel.
        out.append(g - 4.0 * _blur(up))
        g = smaller
    out.append(g)
    return out


def _check_images(images: np.ndarray, what: str) -> np.ndarray:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"{what} must be a uint8 array shaped (N, H, W, C)")
    n, h, w, c = images.shape
    if n < 1:
        raise ValueError(f"{what}: need at least one image")
    if c not in (1, 3):
        raise ValueError(f"{what}: need 1 or 3 channels, got {c}")
    if h != w or h < _MIN_RES or h & (h - 1):
        raise ValueError(f"{what}: images must be square with a power-of-two side >= {_MIN_RES}, got {h}x{w}")
    return images


class _Descriptors:
    """Draws patch locations and cuts raw 7x7xC descriptors at every level."""

    def __init__(self, resolution: int, per_image: int):
        self.levels = int(np.log2(resolution // _MIN_RES)) + 1
        self.per_image = per_image

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> list[torch.Tensor]:
        """One (M, C*49) float32 tensor per level, finest first; M = N * per_image."""
        n, res = images.shape[0], images.shape[1]
        m = n * self.per_image
        half = _PATCH // 2
        # Draw every location up front so the result does not depend on chunking.
        owner = torch.from_numpy(np.repeat(np.arange(n), self.per_image))
        corners = []
        for lvl in range(self.levels):
            side = res >> lvl
            # Centres keep the whole 7x7 patch inside the image, like the paper.
            ys = rng.integers(half, side - half, size=m)
            xs = rng.integers(half, side - half, size=m)
            corners.append((torch.from_numpy(ys - half), torch.from_numpy(xs - half)))

        parts: list[list[torch.Tensor]] = [[] for _ in range(self.levels)]
        for start in range(0, n, _CHUNK_IMAGES):
            stop = min(n, start + _CHUNK_IMAGES)
            x = torch.from_numpy(images[start:stop]).permute(0, 3, 1, 2).float()
            sel = slice(start * self.per_image, stop * self.per_image)
            img = owner[sel] - start
            for lvl, band in enumerate(_laplacian_pyramid(x, self.levels)):
                # A (n, C, S-6, S-6, 7, 7) view of every patch, no copy; indexing
                # it gives (m, C, 7, 7).
                view = band.unfold(2, _PATCH, 1).unfold(3, _PATCH, 1)
                top, left = corners[lvl][0][sel], corners[lvl][1][sel]
                parts[lvl].append(view[img, :, top, left].reshape(len(img), -1))
        return [torch.cat(p) for p in parts]


def _channel_stats(desc: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std over all descriptors and 7x7 positions, repeated
    to the (C*49,) descriptor layout, float64."""
    # Per-component moments first (a contiguous column reduction; numpy's
    # two-pass var is ~4x faster than torch.var_mean here), then pooled per
    # channel with the law of total variance.
    arr = desc.numpy()
    mean = torch.from_numpy(arr.mean(axis=0, dtype=np.float64)).view(channels, -1)
    var = torch.from_numpy(arr.var(axis=0, dtype=np.float64)).view(channels, -1)
    ch_mean = mean.mean(dim=1, keepdim=True)
    ch_std = (var + (mean - ch_mean) ** 2).mean(dim=1, keepdim=True).sqrt()
    ch_std = torch.where(ch_std < _FLAT_STD, torch.ones_like(ch_std), ch_std)
    size = desc.shape[1] // channels
    return ch_mean.expand(-1, size).reshape(-1), ch_std.expand(-1, size).reshape(-1)


def _quantile_positions(n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the k midpoint quantiles u = (i + 0.5) / k fall among n sorted values.

    The 1-D Wasserstein-1 distance is the integral over u of |Q_real(u) - Q_fake(u)|.
    With equal set sizes n == k the midpoint rule is exactly the paper's
    mean |sorted_a - sorted_b|; for bigger sets it is a k-point approximation of
    the same integral (its error is far below the sampling noise of the
    descriptors), and it lets the real and fake sets differ in size.  Quantiles
    interpolate linearly between neighbouring order statistics.
    """
    pos = np.clip((np.arange(k) + 0.5) * (n / k) - 0.5, 0.0, n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def _projected_quantiles(
    desc: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor], dirs: torch.Tensor, k: int
) -> torch.Tensor:
    """(directions, k) quantiles of the normalised descriptors projected on `dirs`.

    Normalisation is folded into the directions: d . ((x - mean) / std) equals
    (d / std) . x - (d / std) . mean, so the big descriptor array is never
    rewritten and the offset is applied to the k quantiles only.

    Sorting ~3e4 values per direction for 512 directions is what costs: numpy's
    float sort manages ~5e7 values/s on one core, its 16-bit radix sort ~4e8.
    So each direction's projections are mapped linearly onto 65536 levels between
    their own min and max, the integer keys are radix-sorted, and only the k
    order statistics needed are mapped back.  The map is monotonic, so each one
    comes back within (max - min) / 131070 of its exact value: typically ~1e-4
    in normalised units (~0.1 on the x1e3 scale, more only for sets with
    extreme outliers), far below the finite-sample floor of several units.
    """
    mean, std = stats
    i_lo, i_hi, frac = _quantile_positions(desc.shape[0], k)
    out = []
    # One block of directions at a time: the (block, M) array stays in cache for
    # the passes below, and memory stays bounded.
    for start in range(0, dirs.shape[0], _DIRECTION_BLOCK):
        d = dirs[start : start + _DIRECTION_BLOCK].double() / std
        offset = (d @ mean).float().unsqueeze(1)
        d = d.float()
        proj = d @ desc.T  # (directions, M): each direction's values are contiguous
        # amin/amax rather than aminmax: the latter is ~20x slower along rows on CPU.
        lo, hi = proj.amin(dim=1, keepdim=True), proj.amax(dim=1, keepdim=True)
        scale = 65535.0 / (hi - lo).clamp_min(1e-12)
        # clamp: float rounding can put the maximum a hair above 65535, which would wrap.
        keys = proj.sub_(lo).mul_(scale).clamp_(max=65535.0).to(torch.uint16).numpy()
        keys.sort(axis=1, kind="stable")  # numpy radix-sorts 16-bit keys when stable
        a = np.take(keys, i_lo, axis=1).astype(np.float32)  # take: ~4x faster than keys[:, i]
        b = np.take(keys, i_hi, axis=1).astype(np.float32)
        q = torch.from_numpy(a + (b - a) * frac)
        # +0.5: the centre of each key's bucket, so the error is at most half a bucket.
        out.append(q.add_(0.5).div_(scale).add_(lo).sub_(offset))
    return torch.cat(out)


class SlicedWasserstein:
    """Multi-scale sliced Wasserstein distance against a fixed set of real images.

    Build it once per data set (the real side is computed here and kept as
    quantiles, ~8 MB per level), then call it with batches of generated images.
    Deterministic for a given seed; never touches the global torch/numpy random
    state (training reproducibility depends on it).  Cost is linear in the number
    of images; a few hundred real and fake images is the intended use, so pass a
    random subset of a big folder.  Not thread-safe to call concurrently.

    `directions` per repeat and `repeats` follow the paper's reference code
    (4 x 128 = 512 projections).  The directions are drawn once per level and
    reused on every call, so successive figures of a run differ only because the
    fakes differ; repeats therefore only set the total and the work block.
    """

    def __init__(
        self,
        real_images: np.ndarray,
        *,
        descriptors_per_image: int = 128,
        directions: int = 128,
        repeats: int = 4,
        seed: int = 0,
        normalize: Literal["per_set", "real"] = "per_set",
    ):
        real_images = _check_images(real_images, "real_images")
        if descriptors_per_image < 1 or directions < 1 or repeats < 1:
            raise ValueError("descriptors_per_image, directions and repeats must be >= 1")
        if normalize not in ("per_set", "real"):
            raise ValueError("normalize must be 'per_set' (the paper) or 'real'")
        self.resolution = int(real_images.shape[1])
        self.channels = int(real_images.shape[3])
        self.seed = int(seed)
        self.normalize = normalize
        self._desc = _Descriptors(self.resolution, descriptors_per_image)
        # Side in pixels of each reported level, finest first (for labels).
        self.resolutions = tuple(self.resolution >> i for i in range(self._desc.levels))

        # Separate streams for patch locations (0) and directions (1): changing
        # one never shifts the other.
        dim = self.channels * _PATCH * _PATCH
        drng = np.random.default_rng([self.seed, 1])
        self._dirs = []
        for _ in self.resolutions:
            d = drng.standard_normal((directions * repeats, dim))
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            self._dirs.append(torch.from_numpy(d))  # float64; cast per block

        with torch.no_grad():
            descs = self._desc(real_images, np.random.default_rng([self.seed, 0]))
            self._real_stats = [_channel_stats(d, self.channels) for d in descs]
            self._k = min(_MAX_QUANTILES, descs[0].shape[0])
            self._real_q = [
                _projected_quantiles(d, st, dirs, self._k)
                for d, st, dirs in zip(descs, self._real_stats, self._dirs)
            ]

    def __call__(self, fake_images: np.ndarray) -> QualityFigure:
        fake_images = _check_images(fake_images, "fake_images")
        if fake_images.shape[1:] != (self.resolution, self.resolution, self.channels):
            raise ValueError(
                f"fake_images are {fake_images.shape[1:]}, the real set is "
                f"{(self.resolution, self.resolution, self.channels)}"
            )
        # Fakes are cut at the same places as the reals (the same seeded stream;
        # for equal counts, the same image index, row and column).  Locations do
        # not depend on content, so this adds no bias, and it takes the location
        # noise out of the comparison: the same fakes always give the same figure,
        # and the real set itself scores exactly 0.
        rng = np.random.default_rng([self.seed, 0])
        per_level = []
        with torch.no_grad():
            for lvl, d in enumerate(self._desc(fake_images, rng)):
                if self.normalize == "real":
                    stats = self._real_stats[lvl]
                else:
                    stats = _channel_stats(d, self.channels)
                fake_q = _projected_quantiles(d, stats, self._dirs[lvl], self._k)
                per_level.append(float((self._real_q[lvl] - fake_q).abs().mean()) * 1e3)
        return QualityFigure(
            swd=float(np.mean(per_level)), per_level=tuple(per_level), images=int(fake_images.shape[0])
        )


def mean_pairwise_distance(images: np.ndarray) -> float:
    """Mean RMS pixel distance over all pairs of images (uint8 NHWC), in 0..1 units.

    Samples over reals of the same count gives a diversity ratio: near 1 the generator
    varies as much as the data, towards 0 it draws one picture for every latent.
    """
    flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
    if len(flat) < 2:
        return 0.0
    sq = (flat**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * flat @ flat.T, 0.0)
    n = len(flat)
    return float(np.sqrt(d2 / flat.shape[1])[np.triu_indices(n, 1)].mean())
