"""A zip that would unpack to far more than it holds is refused at once (issue #29 case 4):
2,000 central-directory entries pointing at one 255 MB member used to keep loading for hours."""

from __future__ import annotations

import struct
import time
import zipfile
import zlib

import pytest

from ganstudio.data import DataError, load_images
from ganstudio.data import scan


def _zip_with_shared_member(path, names: int, member_bytes: int) -> None:
    """One deflated member of `member_bytes` zeros, listed `names` times in the central directory."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = b"".join(raw.compress(b"\0" * (1 << 20)) for _ in range(member_bytes >> 20)) + raw.flush()
    crc = 0
    for _ in range(member_bytes >> 20):
        crc = zlib.crc32(b"\0" * (1 << 20), crc)
    name = b"bomb.png"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), member_bytes, len(name), 0) + name
    central = b""
    for i in range(names):
        entry_name = f"img-{i:05d}.png".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), member_bytes,
                               len(entry_name), 0, 0, 0, 0, 0, 0) + entry_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, names, names, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)


def test_a_zip_bomb_of_shared_entries_is_refused_at_once(tmp_path):
    bomb = tmp_path / "bomb.zip"
    _zip_with_shared_member(bomb, names=2000, member_bytes=255 << 20)
    assert bomb.stat().st_size < 1_000_000
    with zipfile.ZipFile(bomb) as archive:  # a valid zip as far as the format goes
        assert len(archive.infolist()) == 2000
    began = time.monotonic()
    with pytest.raises(DataError, match="share the same data"):
        load_images(str(bomb), resolution=16)
    assert time.monotonic() - began < 10  # refused from the directory, before any member is read


def test_a_zip_that_declares_too_much_in_all_is_refused(tmp_path, monkeypatch):
    archive_path = tmp_path / "many.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5):
            archive.writestr(f"img-{i}.png", b"\0" * 4096)
    monkeypatch.setattr(scan, "MAX_ZIP_TOTAL_BYTES", 3 * 4096)  # as if each were gigabytes
    with pytest.raises(DataError, match="would unpack to more than"):
        load_images(str(archive_path), resolution=16)
