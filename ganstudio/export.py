"""Images on disk: sample grids, and PNGs that carry their own recipe.

A saved piece is a PNG with an iTXt chunk under RECIPE_KEY holding compact
JSON (app version, generator fingerprint, seed, latent, truncation, ...), so
dropping the file back into the app can re-open it.  Files from strangers are
read with suspicion: `read_recipe` never decodes pixels and never raises for a
bad file.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, PngImagePlugin

from ganstudio.atomic import replace_atomically, write_bytes_atomically


class Cancelled(Exception):
    """A long export (a walk) saw its cancel flag and stopped; nothing was written."""

__all__ = [
    "RECIPE_KEY",
    "MAX_RECIPE_BYTES",
    "make_grid",
    "save_png",
    "read_recipe",
    "ExportError",
    "upscale",
    "save_gif",
    "save_webp",
    "save_apng",
    "save_mp4",
    "MP4_INSTALL_HINT",
    "ANIMATION_FORMATS",
    "animation_format_of",
    "animation_memory",
    "check_animation_memory",
]

RECIPE_KEY = "ganstudio"  # PNG iTXt keyword
# A recipe is a few KB (a latent vector is the biggest part).  Anything bigger
# than this is not ours, and read_recipe refuses it.
MAX_RECIPE_BYTES = 1 << 20
# Largest side save_png will write: 16384 px is ~1.4 m at 300 dpi, and an RGB
# image that size already needs ~800 MB in memory.
MAX_SIDE = 16384


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("image must be a uint8 numpy array")
    if image.ndim != 3 or image.shape[2] not in (1, 3) or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image must be shaped (H, W, C) with C 1 or 3, got {image.shape}")
    return image


def make_grid(images: np.ndarray, *, cols: int | None = None, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile uint8 (N, H, W, C) images into one (H', W', C) image, row by row.

    `padding` pixels of `pad_value` surround every cell, the outer border
    included, so each cell sits in the same frame and grids can be tiled.
    Default layout is near-square: ceil(sqrt(N)) columns.  An explicit `cols` is
    honoured even when it exceeds N (a fixed layout across calls); cells without
    an image are left at `pad_value`.  C = 1 stays C = 1.
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError("images must be a uint8 array shaped (N, H, W, C)")
    n, h, w, c = images.shape
    if n < 1 or h < 1 or w < 1:
        raise ValueError(f"need at least one non-empty image, got shape {images.shape}")
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    if int(cols) < 1 or int(padding) < 0 or not 0 <= int(pad_value) <= 255:
        raise ValueError("cols must be >= 1, padding >= 0 and pad_value in 0..255")
    cols, padding = int(cols), int(padding)
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        top = padding + r * (h + padding)
        left = padding + k * (w + padding)
        grid[top : top + h, left : left + w] = images[i]
    return grid


def split_grid(grid: np.ndarray, cell: int, *, padding: int = 2) -> np.ndarray:
    """The pictures of a grid that `make_grid` tiled (cells of `cell` pixels): (N, cell, cell, C).
    Cells left empty at the end of the last row (all padding) are left out."""
    h, w, c = grid.shape
    rows, cols = (h - padding) // (cell + padding), (w - padding) // (cell + padding)
    cells = []
    for r in range(rows):
        for k in range(cols):
            top, left = padding + r * (cell + padding), padding + k * (cell + padding)
            cells.append(grid[top : top + cell, left : left + cell])
    while cells and not cells[-1].any():
        cells.pop()
    return np.ascontiguousarray(np.stack(cells)) if cells else np.zeros((0, cell, cell, c), np.uint8)


def _encode_recipe(recipe: dict) -> str:
    if not isinstance(recipe, dict):
        raise ValueError("recipe must be a dict")
    try:
        # Compact; allow_nan=False keeps it standard JSON that any reader accepts;
        # floats are written with repr, so they read back bit for bit.
        text = json.dumps(recipe, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"recipe must be plain JSON data (dict/list/str/int/finite float/bool/None): {exc}") from exc
    if len(text.encode("utf-8")) > MAX_RECIPE_BYTES:
        raise ValueError(f"recipe is larger than {MAX_RECIPE_BYTES} bytes; read_recipe would refuse it")
    return text


def _to_pil(image: np.ndarray, scale: int, smooth: bool) -> Image.Image:
    h, w, c = image.shape
    if h * scale > MAX_SIDE or w * scale > MAX_SIDE:
        raise ValueError(f"{w * scale}x{h * scale} px is larger than the {MAX_SIDE} px limit")
    # Pillow infers "L" from 2-D uint8 and "RGB" from (H, W, 3) uint8.
    pil = Image.fromarray(np.ascontiguousarray(image[:, :, 0] if c == 1 else image))
    if scale == 1:
        return pil
    if smooth:
        return pil.resize((w * scale, h * scale), Image.Resampling.LANCZOS)
    # Nearest neighbour: every source pixel becomes an exact scale x scale block,
    # the crisp look of pixel art.
    return pil.resize((w * scale, h * scale), Image.Resampling.NEAREST)


def save_png(
    path, image: np.ndarray, *, recipe: dict | None = None, scale: int = 1, smooth: bool = False
) -> Path:
    """Write uint8 (H, W, C) (C 1 or 3) as a PNG, atomically; returns the path.

    `scale` is an integer upscale: nearest neighbour (crisp blocks) by default,
    Lanczos with smooth=True.  `recipe`, if given, is stored as compact JSON in
    an iTXt chunk under RECIPE_KEY, before the image data, so it can be read
    without decoding pixels.  Everything is validated and encoded in memory
    first; the file is then written to a temporary name in the same folder,
    fsynced and renamed over the target, so a crash or a full disk never leaves
    a half-written PNG and an existing file is replaced only by a complete one.
    Parent folders are created.  Raises ValueError for bad input, OSError for
    disk trouble.
    """
    image = _check_image(image)
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    info = PngImagePlugin.PngInfo()
    if recipe is not None:
        info.add_itxt(RECIPE_KEY, _encode_recipe(recipe))
    buffer = io.BytesIO()
    _to_pil(image, int(scale), smooth).save(buffer, format="PNG", pnginfo=info)
    data = buffer.getvalue()

    return write_bytes_atomically(path, data)


def read_recipe(path_or_bytes, *, missing_ok: bool = False) -> dict | None:
    """The recipe stored in a PNG by save_png, or None (also for a file that cannot be
    opened, with missing_ok: a gallery tooltip for a file deleted meanwhile).

    Accepts a path, bytes-like data or a binary file object.  Returns None for
    anything that is not a PNG with a recipe we could have written: no recipe
    chunk, not a PNG (JPEG, text, garbage, truncated), a chunk over
    MAX_RECIPE_BYTES, text that is not valid standard JSON or not a JSON object,
    or any other malformed content (Pillow's own limits on text chunks and image
    size apply, and their errors become None).  It never raises for a bad file;
    the only exceptions are FileNotFoundError and PermissionError (and other
    OSErrors) from opening a path, so the caller can tell "missing" from "not
    ours".  Only the chunks before the image data are parsed; pixels are never
    decoded.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return _recipe_from_stream(io.BytesIO(bytes(path_or_bytes)))
    if hasattr(path_or_bytes, "read"):
        return _recipe_from_stream(path_or_bytes)
    path = Path(path_or_bytes)
    if path.exists() and not path.is_file():
        return None  # a folder, pipe or device: not an image, and a pipe would block the read for ever
    try:
        with open(path, "rb") as f:  # FileNotFoundError / PermissionError pass through
            return _recipe_from_stream(f)
    except OSError:
        if missing_ok:
            return None
        raise


def _recipe_from_stream(stream) -> dict | None:
    try:
        with warnings.catch_warnings():
            # A huge declared image size only warns (or raises) in Pillow; we
            # never decode it, so the warning is noise.
            warnings.simplefilter("ignore")
            with Image.open(stream, formats=["PNG"]) as im:
                # Image.open parses the chunks up to the first IDAT; .info holds
                # their text.  (.text would decode the pixels to find later chunks.)
                text = im.info.get(RECIPE_KEY)
    except Exception:  # any malformed input is "no recipe", by contract
        return None
    if not isinstance(text, str):
        return None
    return _decode_recipe(text)


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _decode_recipe(text: str) -> dict | None:
    # Check the size before parsing: a hostile chunk should cost us nothing.
    if len(text) > MAX_RECIPE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_RECIPE_BYTES:
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except Exception:  # ValueError, RecursionError on deep nesting, ...
        return None
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------------------- sizes and animations


class ExportError(ValueError):
    """An export can't be done; the message says why in one line."""


MP4_INSTALL_HINT = (
    "MP4 export needs the optional 'imageio-ffmpeg' package (it brings its own ffmpeg): "
    "pip install imageio-ffmpeg, in the environment GAN Studio runs in"
)

# Walk formats: (file suffix, name in words). GIF plays everywhere but has 256 colours per frame
# (gradients band); WebP and APNG keep full colour and play in every current browser; MP4 is
# the smallest and streams to disk, for long or large walks.
ANIMATION_FORMATS = {
    "gif": (".gif", "GIF animation"),
    "webp": (".webp", "Animated WebP"),
    "apng": (".png", "Animated PNG"),
    "mp4": (".mp4", "MP4 video"),
}


def animation_format_of(path) -> str:
    """The walk format a file name asks for (.png is APNG; anything unknown, GIF)."""
    suffix = Path(path).suffix.lower()
    return next((key for key, (ending, _) in ANIMATION_FORMATS.items() if ending == suffix), "gif")


def upscale(image: np.ndarray, *, scale: int | None = None, size: int | None = None, smooth: bool = False) -> np.ndarray:
    """uint8 (H, W, C) enlarged by a whole `scale`, or to `size` pixels on its longer side.

    Crisp (default) is nearest neighbour: with a whole scale every pixel becomes an
    exact scale x scale block (done with np.repeat, so it is exact by construction).
    smooth=True uses Lanczos.  Neither given: an unchanged copy.  C = 1 stays C = 1.
    """
    image = _check_image(image)
    if scale is not None and size is not None:
        raise ValueError("give scale or size, not both")
    h, w, c = image.shape
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_SIDE:
            raise ValueError(f"size must be a whole number of pixels from 1 to {MAX_SIDE}, got {size!r}")
        longer = max(h, w)
        new_w, new_h = max(1, round(w * int(size) / longer)), max(1, round(h * int(size) / longer))
        if new_w % w == 0 and new_h % h == 0 and new_w // w == new_h // h:
            scale = new_w // w  # a whole multiple: take the exact path below
        else:
            pil = Image.fromarray(np.ascontiguousarray(image[:, :, 0] if c == 1 else image))
            method = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
            out = np.asarray(pil.resize((new_w, new_h), method))
            return np.ascontiguousarray(out[:, :, None] if c == 1 else out)
    if scale is None:
        return image.copy()
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    scale = int(scale)
    if h * scale > MAX_SIDE or w * scale > MAX_SIDE:
        raise ValueError(f"{w * scale}x{h * scale} px is larger than the {MAX_SIDE} px limit")
    if scale == 1:
        return image.copy()
    if smooth:
        out = np.asarray(_to_pil(image, scale, True))
        return np.ascontiguousarray(out[:, :, None] if c == 1 else out)
    return np.ascontiguousarray(image.repeat(scale, axis=0).repeat(scale, axis=1))


def _check_frames(frames) -> list[np.ndarray]:
    frames = [_check_image(f) for f in frames]
    if not frames:
        raise ValueError("no frames to write")
    if any(f.shape != frames[0].shape for f in frames):
        raise ValueError("all frames must have the same size")
    return frames


def _check_fps(fps: float) -> float:
    fps = float(fps)
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    return fps


# GIF, WebP and APNG are written from frames held in memory (and Pillow's copies of them): past
# this, a walk at a large size would take the machine's memory, and the app with it (a
# training run included), rather than fail. MP4 frames stream to the encoder a few at a time.
ANIMATION_MEMORY_LIMIT = 2 * 1024**3
STREAMED_FRAMES = 18  # an MP4 holds at most one rendered chunk (16 frames) and the encoder's two


def animation_memory(frames: int, side: int, channels: int = 3, kind: str = "gif") -> int:
    """Bytes an animation of `frames` frames of side x side pixels needs while it is written.

    Held in memory, each frame is there once as an array and once more as the encoder's copy;
    streamed (MP4), only a chunk at a time."""
    held = min(int(frames), STREAMED_FRAMES) if kind == "mp4" else 2 * int(frames)
    return held * int(side) ** 2 * max(3, int(channels))


def check_animation_memory(frames: int, side: int, channels: int = 3, kind: str = "gif") -> None:
    """ExportError in plain words when the animation would not fit ANIMATION_MEMORY_LIMIT."""
    need = animation_memory(frames, side, channels, kind)
    if need <= ANIMATION_MEMORY_LIMIT:
        return
    if kind == "mp4":
        raise ExportError(f"Frames of {side:,} px are too large to encode here; choose a smaller size.")
    most = max(0, ANIMATION_MEMORY_LIMIT // animation_memory(1, side, channels, kind))
    raise ExportError(
        f"{frames:,} frames at {side:,} px would need about {need / 1024**3:,.1f} GB of memory while the "
        f"animation is written; at this size choose at most {most:,} frames, a smaller size, or MP4 "
        "(which streams its frames to disk)."
    )


def save_gif(path, frames, *, fps: float = 12, loop: bool = True) -> Path:
    """Frames (uint8 (H, W, C), equal sizes) as an animated GIF, atomically.

    GIF stores delays in hundredths of a second, so 1000/fps ms is rounded to 10 ms
    (12 fps plays at 80 ms, 12.5 fps); fps above 50 is capped, because browsers
    slow delays under 20 ms down to 100 ms.  Each frame gets its own 256-colour
    palette.  Pillow stores consecutive identical frames once with their delays
    added, which plays the same.  loop=False plays once.
    """
    frames = _check_frames(frames)
    delay_ms = max(20, int(round(100.0 / _check_fps(fps))) * 10)
    pil = [Image.fromarray(np.ascontiguousarray(f[:, :, 0] if f.shape[2] == 1 else f)) for f in frames]
    options = {"save_all": True, "append_images": pil[1:], "duration": delay_ms, "disposal": 1}
    if loop:
        options["loop"] = 0  # the NETSCAPE extension with 0 = repeat for ever
    buffer = io.BytesIO()
    pil[0].save(buffer, format="GIF", **options)
    data = buffer.getvalue()

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return replace_atomically(Path(path), write)


def _pil_frames(frames: list[np.ndarray]) -> list[Image.Image]:
    return [Image.fromarray(np.ascontiguousarray(f[:, :, 0] if f.shape[2] == 1 else f)) for f in frames]


def save_webp(path, frames, *, fps: float = 12, loop: bool = True) -> Path:
    """Frames as an animated WebP (full colour, no banding), atomically. Lossy at quality 90:
    a fraction of a GIF's size at better colour; delays are whole milliseconds."""
    frames = _check_frames(frames)
    delay_ms = max(1, int(round(1000.0 / _check_fps(fps))))
    pil = _pil_frames(frames)
    buffer = io.BytesIO()
    pil[0].save(buffer, format="WEBP", save_all=True, append_images=pil[1:], duration=delay_ms,
                loop=0 if loop else 1, quality=90, method=4)
    data = buffer.getvalue()
    return replace_atomically(Path(path), lambda tmp: tmp.write_bytes(data))


def save_apng(path, frames, *, fps: float = 12, loop: bool = True) -> Path:
    """Frames as an animated PNG (lossless, full colour; viewers without APNG show the first
    frame), atomically."""
    frames = _check_frames(frames)
    delay_ms = max(1, int(round(1000.0 / _check_fps(fps))))
    pil = _pil_frames(frames)
    buffer = io.BytesIO()
    pil[0].save(buffer, format="PNG", save_all=True, append_images=pil[1:], duration=delay_ms,
                loop=0 if loop else 1, disposal=0, blend=0, default_image=False)
    data = buffer.getvalue()
    return replace_atomically(Path(path), lambda tmp: tmp.write_bytes(data))


def save_mp4(path, frames: Iterable[np.ndarray], *, fps: float = 24) -> Path:
    """Frames as an H.264 MP4 (yuv420p, plays everywhere), atomically, streamed: `frames` may
    be a generator, and each frame goes to ffmpeg as it comes, so memory stays flat however
    long the walk.

    Needs the optional imageio-ffmpeg package (it bundles an ffmpeg binary);
    without it, ExportError with the install hint.  yuv420p needs even sides, so an
    odd-sized frame gets its last row/column repeated.  Upscale small frames first:
    video codecs blur a 64 px picture badly.
    """
    fps = _check_fps(fps)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ExportError(MP4_INSTALL_HINT) from None
    stream = iter(frames)
    first = next(stream, None)
    if first is None:
        raise ValueError("no frames to write")
    first = _check_image(first)
    h, w, c = first.shape
    pad_h, pad_w = h % 2, w % 2

    def prepare(frame: np.ndarray) -> bytes:
        frame = _check_image(frame)
        if frame.shape != first.shape:
            raise ValueError("all frames must have the same size")
        if c == 1:
            frame = np.repeat(frame, 3, axis=2)
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        return np.ascontiguousarray(frame).tobytes()

    def write(tmp: Path) -> None:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (w + pad_w, h + pad_h),
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            macro_block_size=1,  # we made the sides even ourselves; don't let it resize
            quality=8,  # 0-10; high, because our pictures are small and detailed
            ffmpeg_log_level="error",
        )
        writer.send(None)  # start the generator
        try:
            writer.send(prepare(first))
            for frame in stream:
                writer.send(prepare(frame))
        finally:
            writer.close()

    try:
        return replace_atomically(Path(path), write)
    except (RuntimeError, BrokenPipeError) as exc:
        # ffmpeg itself failed (it reports through a broken pipe or a RuntimeError);
        # other OSErrors are disk trouble and pass through as they are.
        first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"ffmpeg could not write the video: {first_line}") from None


def as_grid(grid: np.ndarray) -> np.ndarray:
    """A C-contiguous uint8 (H, W, C) copy, C in 1, 3, 4; raises ValueError otherwise."""
    array = np.asarray(grid)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise ValueError(f"a sample grid must be uint8 (H, W, 1|3|4), got {array.dtype} {array.shape}")
    return np.ascontiguousarray(array).copy()  # our own copy: the caller may reuse its buffer


def read_grid(path: Path) -> np.ndarray:
    """Decode a grid PNG to uint8 (H, W, 1) for grey images or (H, W, 3)."""
    with Image.open(path) as image:
        image.load()
        grey = image.mode in ("1", "L", "LA", "I", "I;16", "F")
        image = image.convert("L" if grey else "RGB")
        return as_grid(np.asarray(image))


def load_thumbnail(path: Path, cell: int) -> np.ndarray | None:
    """uint8 (h, w, 3) no bigger than cell x cell; None for an unreadable file."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            if max(image.size) > cell:
                # Crisp pixel art shrinks best with a box filter; keeps the aspect.
                image.thumbnail((cell, cell), Image.Resampling.BOX)
            return np.ascontiguousarray(np.asarray(image))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
