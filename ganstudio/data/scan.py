"""Work out what a data-set spec names, and list its image files.

A spec is one of
  * a folder, searched recursively;
  * a .zip file of images (nested folders fine);
  * a video file (MP4, MOV, WebM, MKV, AVI or an animated GIF), sampled into frames (video.py);
  * "demo:NAME" or "demo:NAME:COUNT", a procedural set (see demo.py).

Scanning only lists and stats; it never decodes. The listing is sorted so that
the same folder gives the same order (and so the same cache key and the same
training batches) on every run and every OS.
"""

from __future__ import annotations

import os
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Union

from ganstudio.data.errors import DataCancelled, DataError, FileUnavailable
from ganstudio.data.video import VideoSource, is_video_name, source_for

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
DEFAULT_DEMO_COUNT = 1000
MAX_DEMO_COUNT = 100_000
# A zip member whose declared size is beyond this is refused before reading it:
# zip files can claim to inflate to anything (a "zip bomb").
MAX_MEMBER_BYTES = 256 * 1024 * 1024
# All the images of a zip together, decompressed: beyond this a zip is refused before any is read
# (a 0.36 MB zip can declare 2,000 entries of 255 MB each by pointing them at one member).
MAX_ZIP_TOTAL_BYTES = 16 * 1024**3

CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class DemoSource:
    spec: str
    name: str
    count: int


@dataclass(frozen=True)
class ImageEntry:
    """One candidate image file."""

    name: str  # relative, "/"-separated: stable across OSes, used in the cache key
    display: str  # path as the user knows it, for the skipped-files list
    size: int  # bytes, -1 if it could not be stat'ed
    stamp: int  # mtime_ns for a file on disk, CRC-32 for a zip member
    zip_info: zipfile.ZipInfo | None = field(default=None, compare=False, repr=False)


@dataclass
class FileSource:
    spec: str  # as the user typed it
    kind: str  # "folder" or "zip"
    root: str  # absolute path of the folder or zip file
    entries: list[ImageEntry]
    root_stamp: tuple[int, int] = (0, 0)  # zip: (size, mtime_ns) of the archive

    def display_for(self, name: str) -> str:
        """The path a user knows for a relative name (see ImageEntry.display)."""
        if self.kind == "zip":
            return f"{self.spec}/{name}"
        return os.path.join(self.spec, *name.split("/"))

    @contextmanager
    def reader(self) -> Iterator[Callable[[ImageEntry], Union[bytes, str]]]:
        """Yield read(entry) -> what decode_image takes (a path or the bytes).

        For a zip the archive stays open for the duration; zipfile serialises
        the raw reads itself, so worker threads may share it.
        """
        if self.kind == "folder":
            yield lambda entry: os.path.join(self.root, *entry.name.split("/"))
            return
        try:
            archive = zipfile.ZipFile(self.root)
        except (zipfile.BadZipFile, OSError):
            raise DataError(f"'{self.spec}' is not a readable zip file.") from None
        with archive:
            yield lambda entry: _read_member(archive, entry)


Source = Union[DemoSource, FileSource, VideoSource]


def resolve(spec: str, cancel: CancelFn | None = None) -> Source:
    """Parse a spec and list its files; DataError with one line if unusable."""
    spec = os.fspath(spec)
    if spec.strip().lower().startswith("demo:"):
        return _parse_demo(spec.strip())
    path = os.path.expanduser(spec)
    if not spec.strip() or not os.path.exists(path):
        raise DataError(f"No folder, zip file or demo set at '{spec}'.")
    if os.path.isdir(path):
        return _scan_folder(spec, path, cancel)
    if is_video_name(path):
        return source_for(spec, path)
    if path.lower().endswith(".zip") or zipfile.is_zipfile(path):
        return _scan_zip(spec, path)
    if path.lower().endswith(IMAGE_EXTENSIONS):
        raise DataError(f"'{spec}' is a single image; choose the folder that holds your images, or a .zip of them.")
    raise DataError(f"'{spec}' is neither a folder, a zip file of images nor a video.")


def looked_for() -> str:
    return ", ".join(IMAGE_EXTENSIONS)


def _parse_demo(spec: str) -> DemoSource:
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[1]:
        raise DataError(f"A demo set is written demo:NAME or demo:NAME:COUNT (got '{spec}').")
    count = DEFAULT_DEMO_COUNT
    if len(parts) == 3:
        text = parts[2].strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_DEMO_COUNT:
            raise DataError(f"The demo image count must be a whole number from 1 to {MAX_DEMO_COUNT} (got '{parts[2]}').")
        count = int(text)
    return DemoSource(spec=spec, name=parts[1].strip().lower(), count=count)


def _is_image_name(name: str) -> bool:
    # Dot-files include macOS "._photo.jpg" resource forks, which are not images.
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def _scan_folder(spec: str, path: str, cancel: CancelFn | None) -> FileSource:
    root = os.path.abspath(path)
    entries: list[ImageEntry] = []
    visited: set[tuple[int, int]] = set()
    # followlinks=True so a linked sub-folder counts, but each real directory is
    # entered once: a link back to a parent would otherwise recurse for ever.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if cancel is not None and cancel():
            raise DataCancelled("Loading was cancelled.")
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in visited:
            dirnames[:] = []
            continue
        visited.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if not _is_image_name(filename):
                continue
            full = os.path.join(dirpath, filename)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            try:
                fst = os.stat(full)
                size, stamp = fst.st_size, fst.st_mtime_ns
            except OSError:  # e.g. a dangling link: listed, then skipped with a reason
                size, stamp = -1, 0
            entries.append(ImageEntry(rel, "", size, stamp))
    return _finish(FileSource(spec=spec, kind="folder", root=root, entries=entries))


def _scan_zip(spec: str, path: str) -> FileSource:
    root = os.path.abspath(path)
    try:
        st = os.stat(root)
        with zipfile.ZipFile(root) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DataError(f"'{spec}' is not a readable zip file.") from None
    entries = []
    offsets: set[int] = set()
    total = 0
    for info in infos:
        parts = info.filename.split("/")
        if info.is_dir() or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            continue
        if not _is_image_name(parts[-1]):
            continue
        if info.header_offset in offsets:
            # Two names for the same bytes: no tool makes such a zip, a zip bomb does.
            raise DataError(f"'{spec}' lists several files that share the same data (a 'zip bomb'); it was not read.")
        offsets.add(info.header_offset)
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            raise DataError(f"'{spec}' would unpack to more than {MAX_ZIP_TOTAL_BYTES // 1024**3} GB of images; "
                            "it was not read. Unpack a part of it into a folder instead.")
        entries.append(ImageEntry(info.filename, "", info.file_size, info.CRC, info))
    return _finish(FileSource(spec=spec, kind="zip", root=root, entries=entries,
                              root_stamp=(st.st_size, st.st_mtime_ns)))


def _finish(source: FileSource) -> FileSource:
    """Sort by path components (so "a/b" < "a.b" on every OS) and fill in display paths."""
    source.entries.sort(key=lambda e: e.name.split("/"))
    source.entries = [replace(e, display=source.display_for(e.name)) for e in source.entries]
    return source


def _read_member(archive: zipfile.ZipFile, entry: ImageEntry) -> bytes:
    info = entry.zip_info
    assert info is not None
    if info.file_size > MAX_MEMBER_BYTES:
        raise DataError("file too large")
    if info.file_size == 0:
        raise DataError("file is empty")
    try:
        return archive.read(info)
    except RuntimeError:  # zipfile's way of saying "encrypted, password required"
        raise DataError("file is encrypted") from None
    except NotImplementedError:
        raise DataError("compressed with a method this app cannot read") from None
    except OSError as exc:
        if exc.errno is None:  # e.g. zlib/lzma trouble in the member's own bytes
            raise DataError("damaged inside the zip file") from None
        raise FileUnavailable("file could not be read") from None  # the disk, not the zip
    except Exception:  # BadZipFile (CRC), zlib.error, EOFError
        raise DataError("damaged inside the zip file") from None
