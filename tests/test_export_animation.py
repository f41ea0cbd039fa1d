"""Upscaling, GIF and MP4 walks."""

from __future__ import annotations

import builtins

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.explore.directions import find_directions
from ganstudio.explore.model import ExplorerModel
from ganstudio.export import (
    ANIMATION_MEMORY_LIMIT,
    MP4_INSTALL_HINT,
    ExportError,
    animation_memory,
    check_animation_memory,
    save_gif,
    save_mp4,
    upscale,
)
from ganstudio.explore.latent import render
from ganstudio.models import build_generator

Z = 16


@pytest.fixture(scope="module")
def walk_frames():
    """A real 3-keyframe walk rendered by a tiny generator."""
    torch.manual_seed(0)
    g = build_generator("resnet", resolution=16, channels=3, z_dim=Z, width=8)
    model = ExplorerModel(Z, find_directions(g, k=4))
    for seed in (1, 2, 3):
        model.set_seed(seed)
        model.add_keyframe()
    looks = model.walk(10)
    z = torch.stack([look.latent(model.directions, Z) for look in looks])
    return list(render(g, z))


def test_crisp_upscale_turns_each_pixel_into_a_block():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    big = upscale(image, scale=4)
    assert big.shape == (20, 28, 3) and big.dtype == np.uint8 and big.flags.c_contiguous
    for y in range(5):
        for x in range(7):
            assert (big[4 * y : 4 * y + 4, 4 * x : 4 * x + 4] == image[y, x]).all()
    # A size that is a whole multiple is the same exact upscale; scale 1 is a copy.
    assert np.array_equal(upscale(image, size=28), big)
    same = upscale(image, scale=1)
    assert np.array_equal(same, image) and same is not image
    gray = image[:, :, :1]
    assert upscale(gray, scale=2).shape == (10, 14, 1)


def test_smooth_and_typed_sizes():
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    smooth = upscale(image, scale=8, smooth=True)
    assert smooth.shape == (128, 128, 3)
    assert not np.array_equal(smooth, upscale(image, scale=8))  # really interpolated
    assert upscale(image, size=300, smooth=True).shape == (300, 300, 3)
    assert upscale(image, size=100).shape == (100, 100, 3)
    wide = np.zeros((8, 16, 3), np.uint8)
    assert upscale(wide, size=64, smooth=True).shape == (32, 64, 3)  # size is the longer side
    with pytest.raises(ValueError):
        upscale(image, scale=2, size=64)
    with pytest.raises(ValueError):
        upscale(image, scale=0)


@pytest.mark.parametrize("fps,loop", [(10, True), (25, False)])
def test_gif_has_every_frame_and_the_requested_timing(walk_frames, tmp_path, fps, loop):
    frames = [upscale(f, scale=2) for f in walk_frames]
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))  # distinct frames
    path = save_gif(tmp_path / "walk.gif", frames, fps=fps, loop=loop)
    assert [p.name for p in tmp_path.iterdir()] == ["walk.gif"]  # no temporary file left
    with Image.open(path) as gif:
        assert gif.n_frames == len(frames) == 10
        assert gif.size == (32, 32)
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
        assert durations == [1000 / fps] * 10
        assert ("loop" in gif.info) == loop
        if loop:
            assert gif.info["loop"] == 0  # for ever
        gif.seek(0)
        first = np.asarray(gif.convert("RGB")).astype(int)
    # 256-colour palette: close to the original frame, not exact.
    assert np.abs(first - frames[0]).mean() < 8


def test_bad_frames_are_refused(tmp_path):
    with pytest.raises(ValueError):
        save_gif(tmp_path / "x.gif", [])
    with pytest.raises(ValueError):
        save_gif(tmp_path / "x.gif", [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)])
    with pytest.raises(ValueError):
        save_gif(tmp_path / "x.gif", [np.zeros((4, 4, 3), np.uint8)], fps=0)


def test_mp4_without_imageio_ffmpeg_says_how_to_install_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_ffmpeg(name, *args, **kwargs):
        if name == "imageio_ffmpeg" or name.startswith("imageio_ffmpeg."):
            raise ImportError("No module named 'imageio_ffmpeg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "imageio_ffmpeg", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_ffmpeg)
    with pytest.raises(ExportError) as info:
        save_mp4(tmp_path / "walk.mp4", [np.zeros((16, 16, 3), np.uint8)] * 3)
    # The package that exists on PyPI, not an extra of a package that is not there.
    assert str(info.value) == MP4_INSTALL_HINT and "pip install imageio-ffmpeg" in str(info.value)
    assert not list(tmp_path.iterdir())


def test_mp4_is_written_and_readable(walk_frames, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    frames = [upscale(f, scale=4) for f in walk_frames]
    path = save_mp4(tmp_path / "walk.mp4", frames, fps=24)
    assert path.stat().st_size > 0 and [p.name for p in tmp_path.iterdir()] == ["walk.mp4"]
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert tuple(meta["size"]) == (64, 64) and meta["fps"] == pytest.approx(24)
    decoded = [np.frombuffer(chunk, np.uint8).reshape(64, 64, 3) for chunk in reader]
    assert len(decoded) == len(frames)
    # Lossy, but the same pictures.
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 12
    # Odd sizes and grayscale are padded / expanded rather than refused.
    odd = save_mp4(tmp_path / "odd.mp4", [np.zeros((15, 17, 1), np.uint8)] * 2, fps=12)
    assert odd.stat().st_size > 0


def test_a_long_mp4_streams_its_frames_with_flat_memory(tmp_path):
    """400 frames of 192 px (44 MB as arrays) made one at a time and written as they come: the
    writer holds a frame or two, never the walk. Measured with tracemalloc (numpy reports its
    buffers to it)."""
    import tracemalloc

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    side, count = 192, 400
    made = []

    def frames():
        for i in range(count):
            frame = np.zeros((side, side, 3), np.uint8)
            frame[:, : (i * side) // count] = (200, 120, 40)  # a bar that grows, to check order
            made.append(i)
            yield frame

    tracemalloc.start()
    try:
        save_mp4(tmp_path / "long.mp4", frames(), fps=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    held_whole = count * side * side * 3
    assert len(made) == count and peak < held_whole / 8, f"peak {peak / 1e6:.1f} MB"
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "long.mp4"))
    next(reader)
    decoded = [np.frombuffer(chunk, np.uint8).reshape(side, side, 3) for chunk in reader]
    assert len(decoded) == count
    filled = [int((d[side // 2, :, 0] > 100).sum()) for d in (decoded[0], decoded[count // 2], decoded[-1])]
    assert filled[0] < 4 and abs(filled[1] - side // 2) < 6 and filled[2] > side - 6


@pytest.mark.parametrize("kind", ["webp", "apng"])
def test_webp_and_apng_walks_keep_full_colour_and_their_timing(walk_frames, tmp_path, kind):
    from PIL import Image

    from ganstudio.export import save_apng, save_webp

    frames = [upscale(f, scale=2) for f in walk_frames]
    writer, name = (save_webp, "walk.webp") if kind == "webp" else (save_apng, "walk.png")
    path = writer(tmp_path / name, frames, fps=10, loop=True)
    with Image.open(path) as image:
        assert image.format == ("WEBP" if kind == "webp" else "PNG") and image.n_frames == len(frames)
        assert image.info.get("loop", 0) == 0  # for ever
        for index in (0, len(frames) - 1):
            image.seek(index)
            got = np.asarray(image.convert("RGB")).astype(int)  # decoding the frame reads its delay
            assert image.info["duration"] == 100
            if kind == "apng":  # lossless: the very pixels
                assert np.array_equal(got, frames[index])
            else:
                assert np.abs(got - frames[index]).mean() < 8
    # A gradient that a GIF bands (256 colours) stays smooth in both.
    ramp = np.zeros((64, 256, 3), np.uint8)
    ramp[..., 0] = np.arange(256)[None, :]
    ramp[..., 1] = 255 - np.arange(256)[None, :]
    ramp[..., 2] = (np.arange(64) * 4)[:, None]
    writer(tmp_path / f"ramp{Path(name).suffix}", [ramp, ramp[:, ::-1]], fps=2)
    with Image.open(tmp_path / f"ramp{Path(name).suffix}") as image:
        colours = len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0))
    assert colours > 1000  # a GIF frame has at most 256


def test_an_animation_is_checked_against_the_memory_it_needs_while_written():
    assert animation_memory(48, 512) == 2 * 48 * 512 * 512 * 3
    check_animation_memory(48, 512)  # the dialog's default kind of walk: ~72 MB
    check_animation_memory(ANIMATION_MEMORY_LIMIT // animation_memory(1, 1024), 1024)  # just fits
    with pytest.raises(ExportError) as refused:
        check_animation_memory(2000, 4096)
    message = str(refused.value)
    assert "2,000 frames at 4,096 px" in message and "GB of memory" in message and "at most 21 frames" in message
    # MP4 streams: the same walk fits, holding a few frames only.
    check_animation_memory(2000, 4096, kind="mp4")
    assert animation_memory(2000, 1024, kind="mp4") < animation_memory(20, 1024)
