"""Write a file so that a crash, a full disk or a power cut leaves the old file or the new
one under its name, never half of one: write beside it, flush to disk, rename over it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable


def replace_atomically(target: str | Path, write_to: Callable[[Path], None], *, durable: bool = True) -> Path:
    """Call `write_to(tmp)` to write a temporary file beside `target`, then rename it over `target`.

    The temporary name is hidden, random and keeps the target's suffix (ffmpeg, for one, picks
    the container from it). It lives in the same folder because a rename is atomic only within
    one file system. With `durable`, the data and the rename are flushed to disk first. If
    anything fails the temporary file is removed and the old target is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}.{secrets.token_hex(6)}.tmp{target.suffix}"
    try:
        write_to(tmp)
        if durable:  # a failing fsync (disk full, I/O error) must fail the write: it raises
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    if durable:
        _fsync_folder(target.parent)
    return target


def write_bytes_atomically(target: str | Path, data: bytes, *, durable: bool = True) -> Path:
    return replace_atomically(target, lambda tmp: tmp.write_bytes(data), durable=durable)


def write_text_atomically(target: str | Path, text: str, *, durable: bool = True) -> Path:
    return replace_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"), durable=durable)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); best effort where folders can't be opened
    (on Windows a rename is durable enough)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
