"""On-disk cache of decoded data sets.

Decoding a few thousand photos takes a while; the second start should not. An
entry is two files named by a key: KEY.npy (the uint8 NHWC array) and KEY.json
(what was skipped and why). The key is a hash of everything that could change
the pixels, so a stale entry is never *found*, it just ages out.

The cache is an optimisation only: every failure here (read-only home, full
disk, a half-written or corrupt file) is logged and ignored, never raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass

import numpy as np
import PIL

from ganstudio.atomic import replace_atomically, write_bytes_atomically
from ganstudio.data.decode import DecodeOptions
from ganstudio.data.errors import SkippedFile
from ganstudio.data.scan import FileSource

log = logging.getLogger(__name__)

# Bump when decoding or the file layout changes, so old entries stop matching.
FORMAT_VERSION = 3  # 2: 16-bit PNG colour keys (tRNS) honoured; 3: drop entries that cached unreadable files
# Least recently used entries are removed beyond this total size.
MAX_CACHE_BYTES = 4 * 1024**3
ENV_VAR = "GANSTUDIO_CACHE_DIR"


@dataclass
class CachedSet:
    images: np.ndarray
    skipped: list[SkippedFile]
    names: list[str] | None = None  # kept for sources whose names cannot be listed again (video frames)


def resolve_cache_dir(cache_dir) -> str | None:
    """None -> $GANSTUDIO_CACHE_DIR or the platform's cache folder (ganstudio/datasets in
    ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows); "" or False -> off."""
    if cache_dir is None:
        from ganstudio.places import cache_dir as platform_cache_dir

        cache_dir = os.environ.get(ENV_VAR) or os.fspath(platform_cache_dir() / "datasets")
    if cache_dir is False or cache_dir == "":
        return None
    return os.path.expanduser(os.fspath(cache_dir))


def file_source_key(source: FileSource, opts: DecodeOptions) -> str:
    h = _hasher("files", os.path.realpath(source.root), source.kind, list(source.root_stamp),
                opts.resolution, opts.fit, opts.color, list(opts.background))
    for entry in source.entries:
        # surrogateescape: Linux file names need not be valid UTF-8.
        h.update(f"{entry.name}\0{entry.size}\0{entry.stamp}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def video_key(source, opts: DecodeOptions, rate: float) -> str:
    """A video sampled at `rate` (0: automatic) for `opts`: the file's size and time stand for its content."""
    from ganstudio.data import video

    return _hasher("video", os.path.realpath(source.path), source.size, source.stamp, rate, video.TARGET_FRAMES,
                   video.SAME_FRAME, opts.resolution, opts.fit, opts.color, list(opts.background)).hexdigest()


def demo_key(name: str, count: int, resolution: int, seed: int, color: str, generator_version: int) -> str:
    return _hasher("demo", name, count, resolution, seed, color, generator_version).hexdigest()


def _hasher(*header) -> "hashlib._Hash":
    h = hashlib.sha256()
    # Pillow's version is in too: a new decoder can give slightly different pixels.
    h.update(json.dumps([FORMAT_VERSION, PIL.__version__, *header]).encode("utf-8"))
    return h


def load(cache_dir: str | None, key: str) -> CachedSet | None:
    """The cached set for key, or None if absent or unreadable in any way."""
    if not cache_dir:
        return None
    npy_path, meta_path = _paths(cache_dir, key)
    if not (os.path.exists(npy_path) and os.path.exists(meta_path)):
        return None
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("format") != FORMAT_VERSION or meta.get("key") != key:
            raise ValueError("cache entry does not match its key")
        # allow_pickle=False: a cache file must never be able to run code.
        images = np.load(npy_path, allow_pickle=False)
        if not (isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim == 4
                and list(images.shape) == list(meta["shape"])):
            raise ValueError("cache entry has the wrong shape")
        skipped = [SkippedFile(str(p), str(r)) for p, r in meta["skipped"]]
        names = meta.get("names")
        if names is not None and (not isinstance(names, list) or len(names) != images.shape[0]
                                  or not all(isinstance(n, str) for n in names)):
            raise ValueError("cache entry has the wrong names")
    except Exception as exc:  # corrupt, truncated, from a future version...
        log.warning("Ignoring damaged dataset cache entry %s (%s); it will be rebuilt.", key[:12], exc)
        _remove(npy_path, meta_path)
        return None
    _touch(npy_path)
    return CachedSet(np.ascontiguousarray(images), skipped, names)


def store(cache_dir: str | None, key: str, images: np.ndarray, skipped: list[SkippedFile], source: str,
          names: list[str] | None = None) -> None:
    if not cache_dir:
        return
    npy_path, meta_path = _paths(cache_dir, key)
    meta = {
        "format": FORMAT_VERSION,
        "key": key,
        "source": source,
        "shape": list(images.shape),
        "skipped": [[s.path, s.reason] for s in skipped],
    }
    if names is not None:
        meta["names"] = list(names)
    try:
        os.makedirs(cache_dir, exist_ok=True)
        # The .json goes last: an entry without it is never read (see load).
        # A cache needs no fsync: a torn entry is detected on load and rebuilt.
        replace_atomically(npy_path, lambda tmp: np.save(tmp, np.ascontiguousarray(images), allow_pickle=False), durable=False)
        write_bytes_atomically(meta_path, json.dumps(meta).encode("utf-8"), durable=False)
        prune(cache_dir, MAX_CACHE_BYTES, keep=key)
    except OSError as exc:
        log.warning("Could not write the dataset cache in %s (%s); continuing without it.", cache_dir, exc)


def prune(cache_dir: str, max_bytes: int, keep: str = "") -> None:
    """Delete least recently used entries until the cache fits in max_bytes."""
    entries = []
    for name in os.listdir(cache_dir):
        if not name.endswith(".npy") or name.startswith("."):  # dot-files: writes in progress
            continue
        key = name[:-4]
        npy_path, meta_path = _paths(cache_dir, key)
        try:
            st = os.stat(npy_path)
            size = st.st_size + (os.path.getsize(meta_path) if os.path.exists(meta_path) else 0)
        except OSError:
            continue
        entries.append((st.st_mtime, size, key))
    total = sum(size for _, size, _ in entries)
    for _, size, key in sorted(entries):  # oldest first
        if total <= max_bytes:
            break
        if key != keep:
            _remove(*_paths(cache_dir, key))
            total -= size


def _paths(cache_dir: str, key: str) -> tuple[str, str]:
    return os.path.join(cache_dir, key + ".npy"), os.path.join(cache_dir, key + ".json")


def _remove(*paths: str) -> None:
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass


def _touch(path: str) -> None:
    try:
        os.utime(path)  # mark as recently used, for prune()
    except OSError:
        pass
