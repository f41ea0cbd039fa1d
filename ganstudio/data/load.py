"""load_images(): spec in, a ready uint8 array (plus what was skipped) out.

This is the one entry point the engine, CLI and GUI use. It ties together
scan (what files), cache (have we decoded this before), decode (one file) and
demo (procedural sets).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

import numpy as np

from ganstudio.data import cache, demo, scan
from ganstudio.data.decode import DecodeOptions, decode_with_options
from ganstudio.data.errors import DataCancelled, DataError, FileUnavailable, SkippedFile
from ganstudio.data.traits import SetTraits, analyse
from ganstudio.data.video import VideoSource, read_video

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]

# Pillow releases the GIL while decoding, so threads do help; a few are plenty
# (the disk is often the limit) and keep the peak memory of big photos small.
MAX_WORKERS = 4
# How often the calling thread wakes up to poll cancel() and report progress.
_POLL_S = 0.05
_QUEUED_PER_WORKER = 8  # decodes waiting per worker: enough to keep it busy, few for wait()


@dataclass
class ImageSet:
    images: np.ndarray = field(repr=False)  # uint8 (N, H, W, C), C-contiguous
    skipped: list[SkippedFile]
    source: str
    from_cache: bool
    traits: SetTraits | None = None  # gray or not, handed or not (data/traits.py)
    # Each image's name, as DataConfig.exclude lists it: the relative file name for a folder
    # or zip, "NAME-00012" for a demo set, "frame-00012" for a video.
    names: list[str] = field(default_factory=list, repr=False)

    @property
    def count(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (f"ImageSet(source={self.source!r}, shape={tuple(self.images.shape)}, "
                f"skipped={len(self.skipped)}, from_cache={self.from_cache})")


def load_images(spec: str, *, resolution: int, fit: str = "crop", color: str = "rgb",
                background: tuple[int, int, int] = (255, 255, 255),
                cache_dir: str | os.PathLike | None = None,
                progress: ProgressFn | None = None,
                cancel: CancelFn | None = None,
                exclude: Iterable[str] = (), frame_rate: float = 0.0) -> ImageSet:
    """Load a folder, a .zip or a demo set as square uint8 images.

    `exclude` names images to leave out (ImageSet.names, e.g. duplicates the data clinic
    found); the artist's files are never touched. `frame_rate` is how many frames a second
    of a video to sample (0: automatic, see video.py).

    Raises DataError (one plain line) if nothing usable is there, and
    DataCancelled if cancel() returned True. progress(done, total) and cancel()
    are only ever called from the calling thread.
    """
    # "auto" decodes colour: plan.decide_data turns an all-gray set into one channel afterwards.
    opts = DecodeOptions.create(resolution, fit, "rgb" if color == "auto" else color, background)
    cache_path = cache.resolve_cache_dir(cache_dir)
    source = scan.resolve(spec, cancel)
    excluded = frozenset(exclude)
    if isinstance(source, scan.DemoSource):
        loaded = _without(_load_demo(source, opts, cache_path, progress, cancel), excluded)
    elif isinstance(source, VideoSource):
        loaded = _without(_load_video(source, opts, cache_path, progress, cancel, frame_rate), excluded)
    else:
        if excluded:
            kept = [e for e in source.entries if e.name not in excluded]
            if source.entries and not kept:
                raise DataError(f"Every image in {source.spec} is on the list of images to leave out.")
            source.entries = kept
        loaded = _load_files(source, opts, cache_path, progress, cancel)
    return _with_traits(loaded, color)


def _without(loaded: ImageSet, excluded: frozenset[str]) -> ImageSet:
    """A demo set less the images named in `excluded` (a file source filters its listing instead)."""
    if not excluded:
        return loaded
    keep = [i for i, name in enumerate(loaded.names) if name not in excluded]
    if not keep:
        raise DataError(f"Every image in {loaded.source} is on the list of images to leave out.")
    return replace(loaded, images=np.ascontiguousarray(loaded.images[keep]),
                   names=[loaded.names[i] for i in keep])


def _with_traits(loaded: ImageSet, color: str) -> ImageSet:
    """Measure what the set is (gray? handed?); with color "auto", an all-gray set becomes one channel."""
    traits = analyse(loaded.images)
    images = loaded.images
    if color == "auto" and traits.grayscale and images.shape[-1] == 3:
        images = to_gray(images)
    return replace(loaded, images=images, traits=traits)


def _load_demo(source: scan.DemoSource, opts: DecodeOptions, cache_path: str | None,
               progress: ProgressFn | None, cancel: CancelFn | None) -> ImageSet:
    name = demo.check_name(source.name)
    seed = 0
    key = cache.demo_key(name, source.count, opts.resolution, seed, opts.color, demo.GENERATOR_VERSION)
    hit = cache.load(cache_path, key)
    names = [f"{name}-{i:05d}" for i in range(source.count)]
    if hit is not None:
        _report(progress, hit.images.shape[0], hit.images.shape[0])
        return ImageSet(hit.images, hit.skipped, source.spec, True, names=names)
    images = demo.generate(name, source.count, opts.resolution, seed, progress, cancel)
    if opts.color == "gray":
        images = to_gray(images)
    cache.store(cache_path, key, images, [], source.spec)
    return ImageSet(images, [], source.spec, False, names=names)


def _load_video(source: VideoSource, opts: DecodeOptions, cache_path: str | None, progress: ProgressFn | None,
                cancel: CancelFn | None, rate: float) -> ImageSet:
    key = cache.video_key(source, opts, rate)
    hit = cache.load(cache_path, key)
    if hit is not None and hit.names is not None:
        _report(progress, hit.images.shape[0], hit.images.shape[0])
        return ImageSet(hit.images, hit.skipped, source.spec, True, names=hit.names)
    frames = read_video(source, opts, rate=rate, progress=progress, cancel=cancel)
    cache.store(cache_path, key, frames.images, [], source.spec, names=frames.names)
    return ImageSet(frames.images, [], source.spec, False, names=frames.names)


def to_gray(images: np.ndarray) -> np.ndarray:
    """RGB uint8 (..., 3) -> (..., 1) with Pillow's own integer luma weights."""
    rgb = images.astype(np.uint32)
    luma = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16
    return np.ascontiguousarray(luma.astype(np.uint8)[..., None])


def _load_files(source: scan.FileSource, opts: DecodeOptions, cache_path: str | None,
                progress: ProgressFn | None, cancel: CancelFn | None) -> ImageSet:
    total = len(source.entries)
    if total == 0:
        raise DataError(f"No images found in {source.spec} (looked for {scan.looked_for()}).")
    key = cache.file_source_key(source, opts)
    hit = cache.load(cache_path, key)
    if hit is not None:
        _report(progress, total, total)
        # The cache keeps relative names: show them under the spec typed now.
        skipped = [SkippedFile(source.display_for(s.path), s.reason) for s in hit.skipped]
        gone = {s.path for s in hit.skipped}
        names = [e.name for e in source.entries if e.name not in gone]
        return ImageSet(hit.images, skipped, source.spec, True, names=names)

    images, skipped, skipped_index, unavailable = _decode_all(source, opts, progress, cancel)
    if images.shape[0] == 0:
        # The relative name is enough here: the message already names the folder.
        raise DataError(f"None of the {total} images in {source.spec} could be used; "
                        f"first problem: {source.entries[skipped_index[0]].name}: {skipped[0].reason}.")
    if not unavailable:
        # A file that could not be read just now (a disk that dropped out, a locked
        # file) keeps the set out of the cache: its key, made from the listing, would
        # still match once the file is back, and replay the gap for ever.
        relative = [SkippedFile(source.entries[i].name, s.reason) for i, s in zip(skipped_index, skipped)]
        cache.store(cache_path, key, images, relative, source.spec)
    gone = set(skipped_index)
    names = [e.name for i, e in enumerate(source.entries) if i not in gone]
    return ImageSet(images, skipped, source.spec, False, names=names)


def _decode_all(source: scan.FileSource, opts: DecodeOptions, progress: ProgressFn | None,
                cancel: CancelFn | None) -> tuple[np.ndarray, list[SkippedFile], list[int], bool]:
    """Decode every entry; returns (images, skipped, entry index of each skipped, and
    whether any file was unavailable rather than unusable)."""
    entries = source.entries
    total = len(entries)
    r, c = opts.resolution, opts.channels
    out = np.empty((total, r, r, c), dtype=np.uint8)
    ok = np.zeros(total, dtype=bool)
    reasons: dict[int, str] = {}
    unavailable = False
    _report(progress, 0, total)

    with source.reader() as read:
        def job(i: int) -> np.ndarray:
            return decode_with_options(read(entries[i]), opts)

        workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, total))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ganstudio-decode")
        try:
            # Keep only a few decodes queued per worker: each wait() looks at every future
            # it is given, so handing it all of a 20,000-file folder at once made loading
            # quadratic when files decode slowly (20,000 freshly written one-pixel PNGs:
            # over 120 s; with this window, about 10 s).
            window = workers * _QUEUED_PER_WORKER
            in_flight: dict[Future, int] = {}
            submitted, done_count, last_report = 0, 0, time.monotonic()
            while submitted < total or in_flight:
                while submitted < total and len(in_flight) < window:
                    in_flight[pool.submit(job, submitted)] = submitted
                    submitted += 1
                finished, _ = wait(in_flight, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = in_flight.pop(fut)
                    try:
                        out[i] = fut.result()
                        ok[i] = True
                    except DataError as exc:
                        reasons[i] = str(exc)
                        unavailable = unavailable or isinstance(exc, FileUnavailable)
                    except Exception as exc:  # a bug or a Pillow surprise: skip, don't abort
                        log.warning("Unexpected error decoding %s", entries[i].display, exc_info=exc)
                        reasons[i] = f"could not be decoded ({type(exc).__name__})"
                    done_count += 1
                if cancel is not None and cancel():
                    raise DataCancelled("Loading was cancelled.")
                now = time.monotonic()
                if progress is not None and (now - last_report >= _POLL_S or done_count == total):
                    progress(done_count, total)
                    last_report = now
        finally:
            # On cancel or error, drop queued work and wait for the few running
            # decodes, so no thread outlives this call (tests check for that).
            pool.shutdown(wait=True, cancel_futures=True)

    order = sorted(reasons)
    skipped = [SkippedFile(entries[i].display, reasons[i]) for i in order]
    images = out if ok.all() else np.ascontiguousarray(out[ok])
    return images, skipped, order, unavailable


def _report(progress: ProgressFn | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
