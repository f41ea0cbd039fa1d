"""Is the model making new pictures, or handing back its training images?

An artist who shows GAN work must know. The copy check compares each generated picture
with every training image as small pictures (features.small_pictures: 16×16, colour kept,
RMS distance 0..1), and asks one question of the nearest:

    is it closer than training images usually are to each other?

`CopyBank` measures how close the training images are to their own nearest neighbour and
takes the `COPY_QUANTILE` point of those distances as the line: only one training image
in ten has another this close. A generator that draws new pictures of the same kind puts
about that share of its samples under the line (or fewer); one that returns training
images puts nearly all of them there. `copy_share` is that share; at `COPY_WARNING` or
more the run warns in plain words. A fresh generator's noise is far from everything: 0.

Exact duplicates in the data (distance 0) are left out of the line, or a set with a
single doubled image would draw it at 0 and nothing could ever count as a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganstudio.data import features

COPY_QUANTILE = 0.1
COPY_WARNING = 0.5
MAX_BANK = 20_000  # training images compared against (a random choice of bigger sets)
LINE_QUERIES = 1_000  # training images whose nearest neighbour sets the line
SAME = 1e-3  # RMS distance that is float rounding of 0: the same picture


@dataclass
class CopyBank:
    pictures: np.ndarray = field(repr=False)  # (N, D) small pictures of the training images
    index: np.ndarray = field(repr=False)  # which image of the set each row is
    line: float  # RMS distance under which a picture counts as a copy
    usual: float  # the median distance of a training image to its nearest other

    @classmethod
    def from_images(cls, images: np.ndarray, *, seed: int = 0) -> "CopyBank":
        """Build from the training images (N, H, W, C) uint8, as they train."""
        rng = np.random.default_rng(seed)
        n = images.shape[0]
        index = np.arange(n) if n <= MAX_BANK else np.sort(rng.choice(n, MAX_BANK, replace=False))
        pictures = features.small_pictures(images[index])
        if len(index) < 2:
            return cls(pictures, index, line=0.0, usual=0.0)
        queries = np.arange(len(index)) if len(index) <= LINE_QUERIES else rng.choice(len(index), LINE_QUERIES, replace=False)
        _, dist = features.nearest(pictures[queries], pictures, 2)
        # The first neighbour of a training image is itself (distance 0); a duplicate may be
        # listed before it, so the second-nearest is the nearest *other* picture.
        other = dist[:, 1]
        other = other[other > SAME]
        if other.size == 0:
            return cls(pictures, index, line=0.0, usual=0.0)
        return cls(pictures, index, line=float(np.quantile(other, COPY_QUANTILE)), usual=float(np.median(other)))

    def nearest(self, images: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """For each of `images` (M, H, W, C) uint8: the k nearest training images' indices in the
        set and their distances, nearest first."""
        rows, dist = features.nearest(features.small_pictures(images), self.pictures, k)
        return self.index[rows], dist

    def copy_share(self, images: np.ndarray) -> float:
        """Share of `images` whose nearest training image is under the line."""
        if self.line <= 0 or images.shape[0] == 0:
            return 0.0
        _, dist = features.nearest(features.small_pictures(images), self.pictures, 1)
        return float(np.mean(dist[:, 0] < self.line))

    def describe(self, distance: float) -> str:
        """A distance to the nearest training image, in words."""
        if distance < SAME:
            return "the same as a training image"
        if self.line > 0 and distance < self.line:
            return "closer to a training image than nine in ten training images are to each other: a near copy"
        if self.usual > 0 and distance < self.usual:
            return "close to a training image, as close as training images often are to each other"
        return "unlike any one training image"


def copy_warning_text(share: float) -> str:
    return (f"{share:.0%} of the samples are nearly the same as one of your training images, closer than your "
            "own images are to each other. The model is starting to copy its data rather than make new pictures; "
            "a checkpoint from before this, more images, or stronger augmentation helps.")
