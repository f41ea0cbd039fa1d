"""A video as a data set (data/video.py): frames sampled at a rate, repeats skipped, flat memory."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from ganstudio.data import DataError, load_images

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]


def _gif(path, colours, duration_ms=100):
    frames = [Image.new("RGB", (40, 30), c) for c in colours]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)


def test_a_gif_gives_one_image_per_frame_with_its_pixels(tmp_path):
    _gif(tmp_path / "clip.gif", COLOURS)
    images = load_images(str(tmp_path / "clip.gif"), resolution=16, cache_dir="")
    assert images.count == len(COLOURS)
    assert images.names == [f"frame-{i:06d}" for i in range(len(COLOURS))]
    for image, colour in zip(images.images, COLOURS):
        assert (image == np.array(colour, np.uint8)).all()


def test_frames_that_repeat_the_last_one_are_left_out(tmp_path):
    _gif(tmp_path / "still.gif", [COLOURS[0], COLOURS[1], COLOURS[1], COLOURS[2]], duration_ms=200)
    # Sampled at 10 a second, each 0.2 s frame is seen twice: 8 samples, 3 different pictures.
    images = load_images(str(tmp_path / "still.gif"), resolution=16, cache_dir="", frame_rate=10)
    assert images.count == 3
    assert [tuple(im[0, 0]) for im in images.images] == [COLOURS[0], COLOURS[1], COLOURS[2]]


def test_a_single_frame_gif_is_not_a_video(tmp_path):
    Image.new("RGB", (20, 20), "red").save(tmp_path / "one.gif")
    with pytest.raises(DataError, match="single image"):
        load_images(str(tmp_path / "one.gif"), resolution=16, cache_dir="")


def test_without_ffmpeg_a_video_says_how_to_get_it(tmp_path, monkeypatch):
    (tmp_path / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + bytes(64))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # what an install without the extra looks like
    with pytest.raises(DataError, match=r"needs ffmpeg.*pip install imageio-ffmpeg"):
        load_images(str(tmp_path / "clip.mp4"), resolution=16, cache_dir="")


def _write_mp4(path, frames, fps=30):
    ffmpeg = pytest.importorskip("imageio_ffmpeg")
    height, width = frames[0].shape[:2]
    writer = ffmpeg.write_frames(str(path), (width, height), fps=fps, codec="libx264", quality=9,
                                 macro_block_size=1, pix_fmt_out="yuv444p", ffmpeg_log_level="error")
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()


def test_an_mp4_is_sampled_at_the_rate_asked_with_the_frames_colours(tmp_path):
    frames = [np.full((48, 64, 3), COLOURS[i // 10], np.uint8) for i in range(60)]  # 2 s, six colours
    _write_mp4(tmp_path / "clip.mp4", frames)
    images = load_images(str(tmp_path / "clip.mp4"), resolution=16, cache_dir="", frame_rate=5)
    assert images.count == len(COLOURS)  # ten samples, one colour per 0.33 s: the repeats left out
    for image, colour in zip(images.images, COLOURS):
        assert np.abs(image.astype(int) - np.array(colour)).max() <= 12  # lossy video coding


def test_a_long_video_loads_in_flat_memory(tmp_path):
    side_h, side_w, count = 240, 320, 600
    ramp = np.linspace(0, 255, side_w, dtype=np.float32)
    frames = [np.repeat(((ramp + 7 * i) % 256).astype(np.uint8)[None, :, None], side_h, 0).repeat(3, 2)
              for i in range(count)]
    _write_mp4(tmp_path / "long.mp4", frames)
    del frames
    raw = side_h * side_w * 3 * count  # 138 MB of pixels if it were held whole
    tracemalloc.start()
    try:
        images = load_images(str(tmp_path / "long.mp4"), resolution=32, cache_dir="", frame_rate=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert images.count > 100  # a moving picture: most frames differ
    # Measured 18 MB here: the kept 32 px frames and the set's analysis (grayscale? mirrored?),
    # which grow with the frames kept, not with the video's size or length.
    assert peak < raw / 5, f"peak {peak / 1e6:.1f} MB while reading {raw / 1e6:.0f} MB of frames"


def test_the_clinic_finds_repeated_frames_of_a_video_by_their_pixels(tmp_path):
    from ganstudio.data.clinic import examine

    # red, green, red again: not next to each other, so both reds are kept as frames.
    _gif(tmp_path / "loop.gif", [COLOURS[0], COLOURS[1], COLOURS[0]])
    images = load_images(str(tmp_path / "loop.gif"), resolution=16, cache_dir="")
    report = examine(images.images, images.names, resolution=16, source=str(tmp_path / "loop.gif"))
    assert [[report.names[i] for i in g] for g in report.exact] == [["frame-000000", "frame-000002"]]
