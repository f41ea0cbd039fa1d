"""A video file as a data set: frames sampled at a steady rate, near-identical ones skipped.

An artist's footage (a walk through a forest, a dancer, a screen recording) is thousands
of images that mostly repeat each other. `read_video` streams the file one frame at a time
(never the whole video in memory), keeps a frame every 1/rate seconds, fits each to the
training square like any image (decode.fit_array), and drops a frame that looks the same
as the last one kept (a still shot, a paused screen): such repeats would only weigh those
moments more.

GIFs are read with Pillow, which the app has anyway. MP4, MOV, WebM, MKV and AVI need
ffmpeg, which the optional extra `ganstudio[video]` brings (imageio-ffmpeg ships its own
ffmpeg binary); without it the message says how to install it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ganstudio.data.decode import DecodeOptions, MAX_PIXELS, fit_array
from ganstudio.data.errors import DataCancelled, DataError
from ganstudio.data.features import rms_distances, small_pictures

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".gif")
# Without a rate chosen, sample about this many frames over the whole video, at most the
# video's own frame rate: enough for a good set from a short clip, and a long film does not
# turn into 100,000 images.
TARGET_FRAMES = 1000
MAX_RATE = 60.0
# A frame this close to the last one kept (RMS of 16×16 pictures, 0..1) adds nothing new.
SAME_FRAME = 0.012
INSTALL_HINT = "pip install imageio-ffmpeg  (or: pip install \"ganstudio[video]\")"

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class VideoSource:
    spec: str  # as the user typed it
    path: str  # absolute
    size: int
    stamp: int  # mtime_ns


@dataclass(frozen=True)
class VideoFrames:
    images: np.ndarray  # (N, R, R, C) uint8
    names: list[str]  # "frame-000123": the sampled frame's number, stable for one rate
    rate: float  # frames per second that were sampled
    sampled: int  # frames looked at
    repeats: int  # of those, left out as the same as the frame before


def is_video_name(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def source_for(spec: str, path: str) -> VideoSource:
    root = os.path.abspath(path)
    try:
        st = os.stat(root)
    except OSError as exc:
        raise DataError(f"Cannot read '{spec}': {exc.strerror or exc}.") from None
    if st.st_size == 0:
        raise DataError(f"'{spec}' is empty.")
    return VideoSource(spec=spec, path=root, size=st.st_size, stamp=st.st_mtime_ns)


def read_video(source: VideoSource, opts: DecodeOptions, *, rate: float = 0.0,
               progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> VideoFrames:
    """Sample `source` at `rate` frames per second (0: automatic, see TARGET_FRAMES)."""
    if rate < 0 or not math.isfinite(rate):
        raise DataError(f"The frame rate must be a positive number (got {rate}).")
    reader = _GifReader(source.path) if source.path.lower().endswith(".gif") else _FfmpegReader(source.path)
    duration, native = reader.duration, reader.fps
    if rate == 0:
        rate = native if duration <= 0 else min(native, max(TARGET_FRAMES / duration, 1 / 60))
    rate = min(rate, native if native > 0 else MAX_RATE, MAX_RATE)
    expected = max(1, int(duration * rate)) if duration > 0 else 0

    kept: list[np.ndarray] = []
    names: list[str] = []
    last: np.ndarray | None = None
    sampled = repeats = 0
    for number, frame in reader.frames(rate):
        if cancel is not None and cancel():
            reader.close()
            raise DataCancelled("Loading was cancelled.")
        sampled += 1
        image = fit_array(frame, opts)
        small = small_pictures(image[None])  # the clinic's and the copy check's 16×16 picture
        if last is not None and float(rms_distances(small, last)[0, 0]) < SAME_FRAME:
            repeats += 1
        else:
            kept.append(image)
            names.append(f"frame-{number:06d}")
            last = small
        if progress is not None and sampled % 8 == 0:
            progress(min(sampled, expected - 1) if expected else sampled, max(expected, sampled + 1))
    if not kept:
        raise DataError(f"No frames could be read from '{source.spec}'.")
    if progress is not None:
        progress(sampled, sampled)
    return VideoFrames(np.ascontiguousarray(np.stack(kept)), names, rate, sampled, repeats)


class _FfmpegReader:
    """Frames from ffmpeg through imageio-ffmpeg, streamed: one frame in memory at a time."""

    def __init__(self, path: str) -> None:
        try:
            import imageio_ffmpeg
        except ImportError:
            raise DataError(f"Reading video needs ffmpeg, which is not installed: {INSTALL_HINT}") from None
        self._ffmpeg = imageio_ffmpeg
        self.path = path
        self._gen = None
        meta = self._open([])
        self.close()
        self.width, self.height = (int(v) for v in meta.get("source_size") or meta.get("size"))
        self.fps = float(meta.get("fps") or 0) or 25.0
        self.duration = float(meta.get("duration") or 0)
        if self.width * self.height > MAX_PIXELS or self.width <= 0 or self.height <= 0:
            raise DataError(f"'{os.path.basename(path)}' has frames of an unusable size ({self.width}×{self.height}).")

    def _open(self, output_params: list[str]) -> dict:
        try:
            self._gen = self._ffmpeg.read_frames(self.path, output_params=output_params)
            return next(self._gen)
        except (OSError, RuntimeError, StopIteration) as exc:
            self.close()
            raise DataError(f"'{os.path.basename(self.path)}' is not a video ffmpeg can read "
                            f"({str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__}).") from None

    def frames(self, rate: float) -> Iterator[tuple[int, np.ndarray]]:
        # ffmpeg samples the rate and shrinks big frames itself (to twice the largest training
        # size is plenty for the fit that follows), so only small frames come through the pipe.
        short = min(self.width, self.height)
        scale = min(1.0, 512 / short)
        w = max(2, int(round(self.width * scale / 2)) * 2)
        h = max(2, int(round(self.height * scale / 2)) * 2)
        meta = self._open(["-vf", f"fps={rate:.6f},scale={w}:{h}:flags=area"])
        width, height = (int(v) for v in meta["size"])
        number = -1
        try:
            for number, raw in enumerate(self._gen):
                yield number, np.frombuffer(raw, np.uint8).reshape(height, width, 3)
        except RuntimeError as exc:  # ffmpeg gave up part way: keep what came through
            if number < 0:
                raise DataError(f"'{os.path.basename(self.path)}' could not be decoded.") from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()  # stops the ffmpeg process
            self._gen = None


class _GifReader:
    """Frames of an animated GIF through Pillow, at their own timing."""

    def __init__(self, path: str) -> None:
        from ganstudio.data.decode import open_image

        self.path = path
        self._im = open_image(path)
        if self._im.format != "GIF":
            self.close()
            raise DataError(f"'{os.path.basename(path)}' is not a GIF.")
        self.count = getattr(self._im, "n_frames", 1)
        if self.count < 2:
            self.close()
            raise DataError(f"'{os.path.basename(path)}' is a single image; choose the folder that holds your images.")
        durations = []
        for i in range(self.count):
            self._im.seek(i)
            durations.append(max(int(self._im.info.get("duration", 100) or 100), 20) / 1000)
        self._starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
        self.duration = float(sum(durations))
        # Frames can last different times (Pillow merges repeats into one longer frame): at the
        # rate of the shortest one, every frame is seen.
        self.fps = 1.0 / min(durations)

    def frames(self, rate: float) -> Iterator[tuple[int, np.ndarray]]:
        try:
            wanted = np.arange(0.0, self.duration, 1.0 / rate)
            # The frame showing at each sampling time.
            picks = np.searchsorted(self._starts, wanted, side="right") - 1
            for number, i in enumerate(picks.tolist()):
                self._im.seek(int(i))
                yield number, np.asarray(self._im.convert("RGB"))
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(f"'{os.path.basename(self.path)}' is damaged part way through.") from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._im is not None:
            self._im.close()
            self._im = None
