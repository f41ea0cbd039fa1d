"""load_images on real folders and zip files: what is used, what is skipped, and the errors."""

from __future__ import annotations

import io
import os
import struct
import sys
import threading
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from ganstudio.data import DataCancelled, DataError, ImageSet, SkippedFile, load_images

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


@pytest.fixture(autouse=True)
def _no_home_cache(tmp_path, monkeypatch):
    # Whatever a test forgets, nothing may land in the real ~/.cache.
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path / "env-cache"))


def png(colour=RED, size=(20, 20), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()


def jpeg(colour=RED, size=(24, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()[:300]


def bomb_png() -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def write(root, files: dict[str, bytes]):
    for rel, data in files.items():
        path = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return root


def load(spec, tmp_path, **kw) -> ImageSet:
    kw.setdefault("resolution", 16)
    return load_images(str(spec), cache_dir=tmp_path / "cache", **kw)


def test_good_images_load_and_bad_ones_are_skipped_with_reasons(tmp_path):
    folder = write(tmp_path / "art", {
        "good.png": png(RED),
        "sub/dir/good2.jpg": jpeg(GREEN),
        "broken.jpg": truncated_jpeg(),
        "empty.png": b"",
        "notes.png": b"these are my notes, not a picture\n",
        "huge.png": bomb_png(),
        "readme.txt": b"ignored: not an image extension",
        ".hidden.png": b"ignored: dot-file",
        ".thumbs/x.png": b"ignored: dot-folder",
    })
    result = load(folder, tmp_path)
    assert result.count == 2 and result.images.shape == (2, 16, 16, 3)
    assert not result.from_cache and result.source == str(folder)
    reasons = {os.path.basename(s.path): s.reason for s in result.skipped}
    assert reasons == {
        "broken.jpg": "image is truncated or damaged",
        "empty.png": "file is empty",
        "notes.png": "not an image",
        "huge.png": "image too large (decompression bomb guard)",
    }
    # Paths are the ones the user knows: inside the folder they picked.
    assert all(s.path.startswith(str(folder)) for s in result.skipped)
    assert all(isinstance(s, SkippedFile) for s in result.skipped)


def test_recursive_and_sorted(tmp_path):
    folder = write(tmp_path / "set", {"b/c/2.png": png(GREEN), "a/1.png": png(RED), "0.PNG": png(BLUE)})
    images = load(folder, tmp_path).images
    centre = images[:, 8, 8].astype(int)
    assert centre.tolist() == [list(BLUE), list(RED), list(GREEN)]  # 0.PNG, a/1.png, b/c/2.png


def test_non_ascii_and_spaces_in_paths(tmp_path):
    folder = write(tmp_path / "mes images é 日本", {"ü 1.png": png(RED), "sous dossier/ñ 2.jpg": jpeg(GREEN)})
    result = load(folder, tmp_path)
    assert result.count == 2


def test_grayscale_set(tmp_path):
    folder = write(tmp_path / "g", {"a.png": png(RED), "b.png": png(77, mode="L")})
    result = load(folder, tmp_path, color="gray", resolution=32)
    assert result.images.shape == (2, 32, 32, 1)
    assert result.images[1, 5, 5, 0] == 77


def test_zip_with_nested_folders(tmp_path):
    archive = tmp_path / "my art.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("top.png", png(RED))
        z.writestr("inner/deeper/two.jpg", jpeg(GREEN))
        z.writestr("inner/bad.png", b"nope")
        z.writestr("inner/", b"")  # a directory entry
        z.writestr("__MACOSX/inner/._two.jpg", b"resource fork")
        z.writestr("inner/.DS_Store", b"finder junk")
        z.writestr("inner/notes.txt", b"not an image")
    result = load(archive, tmp_path)
    assert result.count == 2
    assert [s.path for s in result.skipped] == [f"{archive}/inner/bad.png"]
    assert result.skipped[0].reason == "not an image"
    centres = result.images[:, 8, 8].astype(int).tolist()
    assert centres[1] == list(RED)  # "inner/..." sorts before "top.png"
    assert abs(np.array(centres[0]) - GREEN).max() < 10


def test_zip_that_is_not_a_zip(tmp_path):
    bad = tmp_path / "photos.zip"
    bad.write_bytes(b"definitely not a zip archive")
    with pytest.raises(DataError) as err:
        load(bad, tmp_path)
    assert str(err.value) == f"'{bad}' is not a readable zip file."


def test_missing_path_message(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as err:
        load(missing, tmp_path)
    assert str(err.value) == f"No folder, zip file or demo set at '{missing}'."


def test_empty_folder_is_one_clear_line(tmp_path):
    folder = write(tmp_path / "empty", {"readme.txt": b"no pictures here"})
    with pytest.raises(DataError) as err:
        load(folder, tmp_path)
    message = str(err.value)
    assert message.startswith(f"No images found in {folder} (looked for .jpg, .jpeg, .png")
    assert "\n" not in message


def test_all_images_unusable(tmp_path):
    folder = write(tmp_path / "bad", {"a.png": b"", "b.jpg": b"text"})
    with pytest.raises(DataError) as err:
        load(folder, tmp_path)
    assert str(err.value) == f"None of the 2 images in {folder} could be used; first problem: a.png: file is empty."


def test_single_image_file_is_explained(tmp_path):
    path = tmp_path / "one.png"
    path.write_bytes(png())
    with pytest.raises(DataError, match="single image"):
        load(path, tmp_path)


def test_demo_specs(tmp_path):
    result = load("demo:shapes:5", tmp_path)
    assert result.images.shape == (5, 16, 16, 3) and result.skipped == []
    assert load("demo:landscapes:3", tmp_path, color="gray").images.shape == (3, 16, 16, 1)
    with pytest.raises(DataError) as err:
        load("demo:foo", tmp_path)
    assert str(err.value) == "Unknown demo set 'foo'; choose from landscapes, patterns, shapes."
    with pytest.raises(DataError, match="whole number"):
        load("demo:shapes:many", tmp_path)


def test_default_demo_count_is_1000(tmp_path):
    assert load("demo:patterns", tmp_path).count == 1000


def test_progress_and_cancel_run_on_the_calling_thread(tmp_path):
    folder = write(tmp_path / "p", {f"{i:02d}.png": png((i * 10, 0, 0)) for i in range(12)})
    calls, threads = [], set()

    def progress(done, total):
        calls.append((done, total))
        threads.add(threading.get_ident())

    def cancel():
        threads.add(threading.get_ident())
        return False

    load(folder, tmp_path, progress=progress, cancel=cancel)
    assert threads == {threading.get_ident()}
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))


def test_cancel_raises_and_leaves_no_decoder_threads(tmp_path):
    folder = write(tmp_path / "c", {f"{i:02d}.png": png() for i in range(20)})
    with pytest.raises(DataCancelled):
        load(folder, tmp_path, cancel=lambda: True)
    assert not [t for t in threading.enumerate() if t.name.startswith("ganstudio-decode")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loop_does_not_hang(tmp_path):
    folder = write(tmp_path / "loop", {"a.png": png(), "sub/b.png": png(GREEN)})
    try:
        os.symlink(folder, folder / "sub" / "back-to-top", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("cannot create symlinks here")
    assert load(folder, tmp_path).count == 2


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_skipped(tmp_path):
    folder = write(tmp_path / "perm", {"ok.png": png(), "locked.png": png()})
    os.chmod(folder / "locked.png", 0)
    try:
        result = load(folder, tmp_path)
    finally:
        os.chmod(folder / "locked.png", 0o644)
    assert result.count == 1
    assert result.skipped[0].reason == "permission denied"


def test_bad_resolution_is_refused_before_any_work(tmp_path):
    with pytest.raises(DataError, match="Resolution"):
        load("demo:shapes:2", tmp_path, resolution=48)
