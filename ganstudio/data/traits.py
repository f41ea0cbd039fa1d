"""What a set of images says about how to train on it: colour or grayscale, mirror or not.

Two questions an artist should not have to answer before pressing Train:

* **Is it grayscale?** Scans, pencil drawings and old photos are often stored as RGB
  files whose three channels are equal. Training them as colour wastes two thirds of
  the generator's output, lets colour augmentation tint them, and hands back pieces
  with colour casts. A set counts as grayscale when every image's channels agree to
  within JPEG's chroma noise (`GRAY_TOLERANCE` grey levels on all but a few pixels).

* **Does mirroring keep it the same kind of set?** Mirrored copies double a small set
  for free, but only where the subject has no handedness: a mirrored face or landscape
  is still a face or a landscape, a mirrored "R", logo or signature is not. The test
  asks whether mirrored images can be told apart from the originals: a small linear
  classifier (ridge-regularised LDA) sees each image beside its mirror image and says
  which is which, trained and scored on different folds. On a set without handedness
  no direction separates the two and it scores about 50%; on letters it scores 90% and
  more. Only a score clearly above chance (`HANDED_MARGIN` and three standard errors
  of a coin flip) turns mirroring off, so a tiny or ambiguous set keeps the free data.

Pure numpy; a few thousand images take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRAY_TOLERANCE = 10  # grey levels of channel disagreement that still count as gray (JPEG chroma noise)
GRAY_PIXEL_SHARE = 0.995  # share of an image's pixels that must be within the tolerance
HANDED_MARGIN = 0.1  # accuracy above 0.5 that counts as "told apart", at the least
FEATURE_SIDE = 16  # the classifier looks at each image at this size
MAX_IMAGES = 4_000  # enough for a clear answer; bigger sets are subsampled
FOLDS = 5


@dataclass(frozen=True)
class SetTraits:
    """The facts `analyse` found; each with a sentence an artist can read."""

    images: int
    gray_images: int  # images whose channels agree
    mirror_accuracy: float  # how often the classifier told an image from its mirror image (0.5 = chance)
    mirror_threshold: float  # the accuracy above which the set counts as handed

    @property
    def grayscale(self) -> bool:
        return self.images > 0 and self.gray_images == self.images

    @property
    def handed(self) -> bool:
        return self.mirror_accuracy > self.mirror_threshold

    def color_reason(self) -> str:
        if self.grayscale:
            return "every image is grayscale, so the model learns one channel"
        if self.gray_images:
            return f"{self.images - self.gray_images:,} of {self.images:,} images have colour"
        return "the images have colour"

    def mirror_reason(self) -> str:
        percent = round(100 * self.mirror_accuracy)
        if self.handed:
            return (f"a mirrored image can be told from the original {percent}% of the time "
                    "(text, logos or a facing direction), so mirroring would add images unlike the set")
        return f"mirrored images look like the set (told apart {percent}% of the time, chance is 50%)"


def analyse(images: np.ndarray, *, seed: int = 0) -> SetTraits:
    """Look at uint8 images (N, H, W, C) and say whether they are gray and whether they are handed."""
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError("expected a non-empty uint8 array (N, H, W, C)")
    n = images.shape[0]
    gray = int(sum(is_gray(image) for image in images)) if images.shape[-1] == 3 else n
    rng = np.random.default_rng(seed)
    picked = images if n <= MAX_IMAGES else images[rng.choice(n, MAX_IMAGES, replace=False)]
    accuracy = mirror_accuracy(picked, rng)
    # Three standard errors of a fair coin over the images scored, and never below the margin.
    threshold = 0.5 + max(HANDED_MARGIN, 3 * 0.5 / np.sqrt(len(picked)))
    return SetTraits(images=n, gray_images=gray, mirror_accuracy=accuracy, mirror_threshold=float(threshold))


def is_gray(image: np.ndarray) -> bool:
    """One uint8 image (H, W, C): do its colour channels agree?"""
    if image.shape[-1] == 1:
        return True
    rgb = image[..., :3].astype(np.int16)
    spread = rgb.max(axis=-1) - rgb.min(axis=-1)
    return float(np.mean(spread <= GRAY_TOLERANCE)) >= GRAY_PIXEL_SHARE


def _small_gray(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, S, S) float in 0..1, area-downsampled, a chunk at a time
    (a few thousand 256 px images as float at once would take gigabytes)."""
    n, h, w = images.shape[:3]
    side = min(FEATURE_SIDE, h, w)
    out = np.empty((n, side, side), np.float32)
    for start in range(0, n, 256):
        x = images[start : start + 256].astype(np.float32).mean(axis=-1) / 255.0
        out[start : start + 256] = x.reshape(len(x), side, h // side, side, w // side).mean(axis=(2, 4))
    return out


def _features(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, F) float: a small gray picture and its horizontal edges."""
    x = _small_gray(images)
    n = x.shape[0]
    dx = np.diff(x, axis=2, append=x[:, :, -1:])  # signed left-to-right change: mirroring negates its pattern
    return np.concatenate([x.reshape(n, -1), dx.reshape(n, -1), np.abs(dx).reshape(n, -1)], axis=1)


def mirror_accuracy(images: np.ndarray, rng: np.random.Generator | None = None) -> float:
    """Cross-validated share of images a linear classifier tells from their mirror images.

    The classifier scores an image x and its mirror image m(x) with the same weights w
    and calls the higher one the original: it is right when w . (f(x) - f(m(x))) > 0.
    The differences d = f(x) - f(m(x)) are what it learns from; w is ridge-regularised
    LDA, (cov(d) + lambda I)^-1 mean(d), fitted on the other folds.
    """
    rng = rng or np.random.default_rng(0)
    n = images.shape[0]
    if n < 2 * FOLDS:
        return 0.5  # too few to tell anything: no evidence of handedness
    d = _features(images) - _features(images[:, :, ::-1])
    order = rng.permutation(n)
    folds = np.array_split(order, FOLDS)
    right = 0
    for k in range(FOLDS):
        test = folds[k]
        train = np.concatenate([folds[j] for j in range(FOLDS) if j != k])
        dt = d[train]
        mean = dt.mean(axis=0)
        cov = np.cov(dt, rowvar=False) if len(dt) > 1 else np.zeros((d.shape[1], d.shape[1]))
        # Strong shrinkage: a few dozen images must not yield a direction fitted to noise.
        ridge = max(float(np.trace(cov)) / d.shape[1], 1e-8)
        w = np.linalg.solve(cov + ridge * np.eye(d.shape[1]), mean)
        right += int(np.sum(d[test] @ w > 0))
    return right / n
