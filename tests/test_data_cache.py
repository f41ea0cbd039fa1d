"""The dataset cache: hits when nothing changed, misses when anything did, never crashes."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from ganstudio.data import cache, load_images


@pytest.fixture(autouse=True)
def _no_home_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path / "env-cache"))


def png(colour) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "art"
    (root / "sub").mkdir(parents=True)
    (root / "a.png").write_bytes(png((255, 0, 0)))
    (root / "sub" / "b.png").write_bytes(png((0, 255, 0)))
    (root / "broken.png").write_bytes(b"")
    return root


def load(spec, cache_dir, **kw):
    return load_images(str(spec), resolution=16, cache_dir=cache_dir, **kw)


def entries(cache_dir) -> list[str]:
    return sorted(p for p in os.listdir(cache_dir) if not p.startswith("."))


def test_second_load_is_a_hit_with_identical_data(folder, tmp_path):
    cdir = tmp_path / "cache"
    first = load(folder, cdir)
    second = load(folder, cdir)
    assert not first.from_cache and second.from_cache
    assert np.array_equal(first.images, second.images)
    assert second.images.dtype == np.uint8 and second.images.flags.c_contiguous and second.images.flags.writeable
    assert second.skipped == first.skipped and second.skipped[0].reason == "file is empty"
    assert len(entries(cdir)) == 2  # KEY.npy + KEY.json


def test_touching_adding_or_removing_a_file_invalidates(folder, tmp_path):
    cdir = tmp_path / "cache"
    load(folder, cdir)
    st = os.stat(folder / "a.png")
    os.utime(folder / "a.png", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert not load(folder, cdir).from_cache
    assert load(folder, cdir).from_cache

    (folder / "sub" / "c.png").write_bytes(png((0, 0, 255)))
    added = load(folder, cdir)
    assert not added.from_cache and added.count == 3

    (folder / "a.png").unlink()
    removed = load(folder, cdir)
    assert not removed.from_cache and removed.count == 2


def test_options_are_part_of_the_key(folder, tmp_path):
    cdir = tmp_path / "cache"
    load(folder, cdir)
    assert not load_images(str(folder), resolution=32, cache_dir=cdir).from_cache
    assert not load(folder, cdir, fit="pad").from_cache
    assert not load(folder, cdir, color="gray").from_cache
    assert not load(folder, cdir, background=(0, 0, 0)).from_cache
    assert load(folder, cdir).from_cache


@pytest.mark.parametrize("which, garbage", [
    (".npy", b"not numpy at all"),
    (".npy", b""),
    (".json", b"{ half a json"),
    (".json", b'{"format": 1, "key": "someone else", "shape": [], "skipped": []}'),
])
def test_corrupt_entry_is_ignored_and_rebuilt(folder, tmp_path, which, garbage):
    cdir = tmp_path / "cache"
    good = load(folder, cdir)
    [victim] = [p for p in entries(cdir) if p.endswith(which)]
    (cdir / victim).write_bytes(garbage)
    rebuilt = load(folder, cdir)
    assert not rebuilt.from_cache and np.array_equal(rebuilt.images, good.images)
    assert load(folder, cdir).from_cache


def test_wrong_shape_in_cache_is_ignored(folder, tmp_path):
    cdir = tmp_path / "cache"
    load(folder, cdir)
    [npy] = [p for p in entries(cdir) if p.endswith(".npy")]
    np.save(cdir / npy, np.zeros((5, 3), np.uint8))
    assert not load(folder, cdir).from_cache


def test_a_pickled_cache_file_is_never_unpickled(folder, tmp_path):
    cdir = tmp_path / "cache"
    load(folder, cdir)
    [npy] = [p for p in entries(cdir) if p.endswith(".npy")]
    np.save(cdir / npy, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert not load(folder, cdir).from_cache


def test_caching_can_be_disabled(folder, tmp_path):
    for off in ("", False):
        assert not load(folder, off).from_cache
        assert not load(folder, off).from_cache
    assert not (tmp_path / "env-cache").exists()


def test_env_var_picks_the_default_cache_dir(folder, tmp_path):
    load(folder, None)
    assert load(folder, None).from_cache
    assert len(entries(tmp_path / "env-cache")) == 2


def test_unwritable_cache_location_is_not_fatal(folder, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"x")  # a file where the cache folder should be
    result = load(folder, blocker / "cache")
    assert result.count == 2 and not result.from_cache


def test_demo_sets_are_cached(tmp_path):
    cdir = tmp_path / "cache"
    first = load("demo:patterns:6", cdir)
    second = load("demo:patterns:6", cdir)
    assert not first.from_cache and second.from_cache
    assert np.array_equal(first.images, second.images)
    assert not load("demo:patterns:7", cdir).from_cache
    assert not load("demo:patterns:6", cdir, color="gray").from_cache


def test_zip_cache_invalidated_when_archive_changes(tmp_path):
    import zipfile

    cdir, archive = tmp_path / "cache", tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.png", png((255, 0, 0)))
    load(archive, cdir)
    assert load(archive, cdir).from_cache
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("b.png", png((0, 0, 255)))
    again = load(archive, cdir)
    assert not again.from_cache and again.count == 2


def test_prune_removes_least_recently_used(tmp_path):
    cdir = tmp_path / "cache"
    keys = []
    for i in range(3):
        key = f"k{i}"
        cache.store(str(cdir), key, np.zeros((4, 16, 16, 3), np.uint8), [], f"s{i}")
        os.utime(cdir / f"{key}.npy", (1000 + i, 1000 + i))
        keys.append(key)
    one_entry = os.path.getsize(cdir / "k0.npy") + os.path.getsize(cdir / "k0.json")
    cache.prune(str(cdir), max_bytes=2 * one_entry, keep="k2")
    assert entries(cdir) == ["k1.json", "k1.npy", "k2.json", "k2.npy"]


def test_cached_skipped_paths_follow_the_spec_typed_now(folder, tmp_path, monkeypatch):
    cdir = tmp_path / "cache"
    load(folder, cdir)
    monkeypatch.chdir(tmp_path)
    hit = load("art", cdir)  # same folder, typed as a relative path
    assert hit.from_cache
    assert [s.path for s in hit.skipped] == [os.path.join("art", "broken.png")]


def test_files_that_vanish_mid_read_are_not_remembered_as_missing(folder, tmp_path, monkeypatch):
    # The artist's images are on a USB drive that drops out while they are read (here: a
    # sub-folder moves away right after the listing) and comes back unchanged. "Scan again"
    # must read them, not replay "file not found" from the cache for ever.
    from ganstudio.data import load as load_module

    cdir, away = tmp_path / "cache", tmp_path / "away"
    real_resolve = load_module.scan.resolve

    def resolve_then_unplug(spec, cancel=None):
        source = real_resolve(spec, cancel)
        os.rename(folder / "sub", away)  # rename keeps size and mtime: it comes back as it was
        return source

    monkeypatch.setattr(load_module.scan, "resolve", resolve_then_unplug)
    first = load(folder, cdir)
    assert first.count == 1 and [s.reason for s in first.skipped] == [
        "file is empty", "file not found (was it moved or deleted?)"]
    monkeypatch.setattr(load_module.scan, "resolve", real_resolve)
    os.rename(away, folder / "sub")

    again = load(folder, cdir)
    assert again.count == 2 and [s.reason for s in again.skipped] == ["file is empty"]
    assert load(folder, cdir).from_cache  # a complete read is cached as before


def test_a_zip_member_that_cannot_be_read_just_now_is_not_cached(tmp_path, monkeypatch):
    import errno
    import zipfile

    cdir, archive = tmp_path / "cache", tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.png", png((255, 0, 0)))
        z.writestr("b.png", png((0, 0, 255)))
    real_read = zipfile.ZipFile.read

    def drive_error(self, name, pwd=None):
        if getattr(name, "filename", name) == "b.png":
            raise OSError(errno.EIO, "Input/output error")
        return real_read(self, name, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "read", drive_error)
    first = load(archive, cdir)
    assert first.count == 1 and [s.reason for s in first.skipped] == ["file could not be read"]
    monkeypatch.setattr(zipfile.ZipFile, "read", real_read)
    again = load(archive, cdir)
    assert again.count == 2 and again.skipped == [] and not again.from_cache
