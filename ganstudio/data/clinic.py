"""The data clinic: what in a folder of images will train badly, found before training.

`examine` looks at a loaded set (the images as they will train, with their file names)
and at each file's own header, and reports five kinds of finding:

* **exact duplicates**: files with the same bytes, grouped;
* **near-duplicates**: the same picture re-encoded, resized or cropped by a few percent:
  each image is compared with its `NEAR_CANDIDATES` nearest at their best fit over small
  shifts and zooms (features.fit_distances), and pairs within `NEAR_DISTANCE` are
  grouped;
* **small images**: the training size is more than `TINY_SCALE` times the picture's own
  size, so it trains as an enlarged blur;
* **stretched images**: one side more than `STRETCH_RATIO` times the other, so the crop
  cuts most of it away (or the padding fills most of the square);
* **odd ones out**: images far from every other in the small-picture space (the mean
  distance to their `ODD_NEIGHBOURS` nearest is a robust outlier: more than `ODD_Z` robust
  standard deviations above the median), for the artist to look at; at most `ODD_SHARE`
  of the set, because an odd one out is a question, not a verdict.

Nothing is deleted: the artist's choices become `DataConfig.exclude`, a list of names the
loader leaves out. Pure numpy and Pillow; runs in a background thread with progress and
cancel, like loading.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ganstudio.data import features, scan
from ganstudio.data.decode import read_size
from ganstudio.data.errors import DataCancelled, DataError

NEAR_CANDIDATES = 10  # each image is compared closely with this many of its nearest
NEAR_DISTANCE = 0.03  # features.fit_distances at or below this: the same picture...
NEAR_CONTRAST_SHARE = 0.25  # ...and within this share of the picture's own spread (plain pictures)
TINY_SCALE = 2.0
STRETCH_RATIO = 2.0
ODD_NEIGHBOURS = 5
ODD_Z = 6.0
ODD_SHARE = 0.02
ODD_MIN_IMAGES = 20  # below this, "far from the rest" means little
ODD_REFERENCE = 4000  # neighbours are looked for among at most this many images

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class Flag:
    """One image the clinic wants the artist to look at, and why, in words."""

    index: int  # into the set as loaded
    name: str
    reason: str


@dataclass
class ClinicReport:
    names: list[str]  # every image of the set, in the loaded order
    # Groups of indices, two or more each, the one to keep first (most pixels, then shortest name).
    exact: list[list[int]] = field(default_factory=list)
    near: list[list[int]] = field(default_factory=list)
    small: list[Flag] = field(default_factory=list)
    stretched: list[Flag] = field(default_factory=list)
    odd: list[Flag] = field(default_factory=list)
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)  # index -> the file's own (width, height)

    @property
    def images(self) -> int:
        return len(self.names)

    @property
    def finding_count(self) -> int:
        return (sum(len(g) - 1 for g in self.exact + self.near) + len(self.small)
                + len(self.stretched) + len(self.odd))

    def extra_copies(self) -> list[str]:
        """What 'keep one of each' leaves out: every duplicate but the first of its group."""
        return [self.names[i] for group in self.exact + self.near for i in group[1:]]

    def summary(self) -> str:
        """One line for the Data page and the terminal."""
        parts = []
        dup = sum(len(g) - 1 for g in self.exact)
        near = sum(len(g) - 1 for g in self.near)
        if dup:
            parts.append(f"{dup:,} exact duplicate{'s' if dup != 1 else ''}")
        if near:
            parts.append(f"{near:,} near-duplicate{'s' if near != 1 else ''}")
        for flags, word in ((self.small, "small"), (self.stretched, "stretched")):
            if flags:
                parts.append(f"{len(flags):,} {word}")
        if self.odd:
            parts.append(f"{len(self.odd):,} odd one{'s' if len(self.odd) != 1 else ''} out")
        if not parts:
            return f"Checked {self.images:,} images: nothing to look at."
        return f"Checked {self.images:,} images: " + ", ".join(parts) + "."

    def to_dict(self) -> dict:
        def flags(items: list[Flag]) -> list[dict]:
            return [{"name": f.name, "reason": f.reason} for f in items]
        return {
            "images": self.images,
            "exact_duplicates": [[self.names[i] for i in g] for g in self.exact],
            "near_duplicates": [[self.names[i] for i in g] for g in self.near],
            "small": flags(self.small),
            "stretched": flags(self.stretched),
            "odd_ones_out": flags(self.odd),
            "keep_one_of_each_leaves_out": self.extra_copies(),
            "summary": self.summary(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def examine(images: np.ndarray, names: list[str], *, resolution: int, fit: str = "crop",
            source: str | None = None, progress: ProgressFn | None = None,
            cancel: CancelFn | None = None) -> ClinicReport:
    """Look at a loaded set: `images` (N, H, W, C) uint8 as they train, `names` their files'
    relative names (as in DataConfig.exclude), `source` the folder or zip they came from
    (None, or a demo set: only the pixels are looked at).

    progress(done, total) counts files whose headers were read; DataCancelled on cancel().
    """
    if images.ndim != 4 or images.shape[0] != len(names):
        raise ValueError("one name per image expected")
    report = ClinicReport(names=list(names))
    n = len(names)
    digests: list[bytes | None] = [None] * n
    files = source is not None and not source.strip().lower().startswith("demo:")
    if not (files and _read_files(source, names, report, digests, resolution, fit, progress, cancel)):
        # A demo set or a video: no files of its own, so copies are the same pixels.
        digests = [hashlib.blake2b(image.tobytes(), digest_size=16).digest() for image in images]
    _check(cancel)
    report.exact = _exact_groups(digests)
    report.near = _near_groups(images, report.exact, cancel)
    report.exact = [_keeper_first(g, report) for g in report.exact]
    report.near = [_keeper_first(g, report) for g in report.near]
    _check(cancel)
    report.odd = _odd_ones_out(features.small_pictures(images), names)
    return report


def _check(cancel: CancelFn | None) -> None:
    if cancel is not None and cancel():
        raise DataCancelled("The check was cancelled.")


def _read_files(source: str, names: list[str], report: ClinicReport, digests: list, resolution: int,
                fit: str, progress: ProgressFn | None, cancel: CancelFn | None) -> bool:
    """Each file's own size (small? stretched?) and a digest of its bytes (exact copies);
    False when the source has no image files (a video)."""
    listing = scan.resolve(source, cancel)
    if not isinstance(listing, scan.FileSource):
        return False
    by_name = {entry.name: entry for entry in listing.entries}
    # Two files can only be the same bytes when they are the same length: only those are read
    # whole (a folder of 5,000 photos is otherwise read once more just to find none).
    lengths: dict[int, int] = {}
    for entry in by_name.values():
        lengths[entry.size] = lengths.get(entry.size, 0) + 1
    total = len(names)
    with listing.reader() as read:
        for i, name in enumerate(names):
            if i % 32 == 0:
                _check(cancel)
                if progress is not None:
                    progress(i, total)
            entry = by_name.get(name)
            if entry is None:
                continue  # gone since loading: nothing to say about it
            try:
                data = read(entry)  # a path (read lazily: the header only) or a zip member's bytes
                width, height = read_size(data)
                if lengths.get(entry.size, 0) > 1 and entry.size > 0:
                    blob = data if isinstance(data, (bytes, bytearray)) else _read_bytes(data)
                    digests[i] = hashlib.blake2b(blob, digest_size=16).digest()
            except (DataError, OSError):
                continue  # it loaded a moment ago; a file that fails now is loading's business
            report.sizes[i] = (width, height)
            _size_flags(report, i, name, width, height, resolution, fit)
    if progress is not None:
        progress(total, total)
    return True


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _size_flags(report: ClinicReport, i: int, name: str, width: int, height: int, resolution: int, fit: str) -> None:
    short, long = min(width, height), max(width, height)
    # The side that is scaled to the training size: the short one for a crop, the long one for padding.
    fitted = short if fit == "crop" else long
    if fitted > 0 and resolution / fitted > TINY_SCALE:
        report.small.append(Flag(i, name, f"{width}×{height} pixels, enlarged {resolution / fitted:.1f}× to "
                                          f"{resolution}×{resolution}: it trains as a blur"))
    if short > 0 and long / short > STRETCH_RATIO:
        lost = 1 - short / long
        what = (f"the square crop cuts away {lost:.0%} of it" if fit == "crop"
                else f"padding fills {lost:.0%} of the square")
        report.stretched.append(Flag(i, name, f"{width}×{height} pixels ({long / short:.1f}:1): {what}"))


def _keeper_first(group: list[int], report: ClinicReport) -> list[int]:
    """The one to keep first: the most pixels (the original, not a shrunk copy), then the shortest name."""
    def rank(i: int) -> tuple:
        width, height = report.sizes.get(i, (0, 0))
        return (-width * height, len(report.names[i]), i)
    return sorted(group, key=rank)


def _exact_groups(digests: list) -> list[list[int]]:
    groups: dict[bytes, list[int]] = {}
    for i, digest in enumerate(digests):
        if digest is not None:
            groups.setdefault(digest, []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def _near_groups(images: np.ndarray, exact: list[list[int]], cancel: CancelFn | None) -> list[list[int]]:
    """Groups of near-duplicates (exact copies are grouped already and left out here)."""
    n = images.shape[0]
    keep = np.ones(n, bool)
    for group in exact:
        keep[group[1:]] = False  # one of each exact group stands for it
    index = np.flatnonzero(keep)
    if len(index) < 2:
        return []
    pictures = np.concatenate([features.at_align_side(images[index[s : s + 256]])
                               for s in range(0, len(index), 256)])
    coarse = features.coarse_pictures(images[index])
    candidates, _ = features.nearest(coarse, coarse, NEAR_CANDIDATES, exclude_self=True)
    middles = features.middles(pictures)
    # How much each picture varies: two plain skies are close in pixels without being one photo.
    contrast = middles.reshape(len(index), -1).std(axis=1)
    # Each candidate pair both ways round: a crop matches its original zoomed, not the reverse.
    rows = np.repeat(np.arange(len(index)), candidates.shape[1])
    cols = candidates.reshape(-1)
    best = np.full(len(rows), np.inf, np.float32)
    for start in range(0, len(index), 64):
        _check(cancel)
        views = features.aligned_views(pictures[start : start + 64])
        for a, b in ((rows, cols), (cols, rows)):
            mine = np.flatnonzero((a >= start) & (a < start + 64))
            if len(mine):
                d = features.fit_distances(views[a[mine] - start], middles[b[mine]])
                best[mine] = np.minimum(best[mine], d)
    limit = np.minimum(NEAR_DISTANCE, NEAR_CONTRAST_SHARE * np.maximum(contrast[rows], contrast[cols]))
    close = best <= limit
    neighbours: dict[int, set[int]] = {}
    for i, j in zip(rows[close].tolist(), cols[close].tolist()):
        neighbours.setdefault(i, set()).add(j)
        neighbours.setdefault(j, set()).add(i)
    # Each group is one image and the images close to *it*: no chains, in which each of ten
    # crops of one texture is close to the next and the first and last are different pictures.
    grouped: set[int] = set()
    groups = []
    for i in sorted(neighbours):
        if i in grouped:
            continue
        members = [i] + sorted(j for j in neighbours[i] if j not in grouped)
        if len(members) > 1:
            grouped.update(members)
            groups.append(sorted(int(index[m]) for m in members))
    return sorted(groups, key=lambda g: g[0])


def _odd_ones_out(pictures: np.ndarray, names: list[str]) -> list[Flag]:
    n = pictures.shape[0]
    if n < ODD_MIN_IMAGES:
        return []
    rng = np.random.default_rng(0)
    reference = np.arange(n) if n <= ODD_REFERENCE else np.sort(rng.choice(n, ODD_REFERENCE, replace=False))
    k = ODD_NEIGHBOURS
    if n <= ODD_REFERENCE:
        _, dist = features.nearest(pictures, pictures, k, exclude_self=True)
    else:
        idx, dist = features.nearest(pictures, pictures[reference], k + 1)
        # An image that is in the reference finds itself: drop that neighbour (a duplicate stays).
        own = np.full(n, -1)
        own[reference] = np.arange(len(reference))
        keep = np.argsort(idx == own[:, None], axis=1, kind="stable")[:, :k]
        dist = np.take_along_axis(dist, keep, axis=1)
    score = dist.mean(axis=1)
    median = float(np.median(score))
    spread = 1.4826 * float(np.median(np.abs(score - median))) or 1e-6
    z = (score - median) / spread
    most = max(1, int(ODD_SHARE * n))
    order = [int(i) for i in np.argsort(-z, kind="stable")[:most] if z[i] > ODD_Z]
    return [Flag(i, names[i], f"unlike the rest: {score[i] / median:.1f}× as far from its nearest images as is usual here")
            for i in order]


def load_exclusions(path: str | os.PathLike) -> list[str]:
    """Names to leave out, one per line (as `check-data --json`'s lists give them); '#' starts a comment."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise DataError(f"No exclusion list at '{os.fspath(path)}'.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot read the exclusion list '{os.fspath(path)}': {exc}.") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
