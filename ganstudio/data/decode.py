"""Turn one image file into a square uint8 array, safely.

The files come from the user's disk or a zip someone sent them, so every step
assumes the worst: empty files, wrong extensions, truncated downloads, huge
"decompression bomb" images, odd colour modes. Anything we cannot use becomes a
DataError whose message is the plain reason that the skipped-files list shows.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ganstudio.data.errors import DataError, FileUnavailable

# Our own cap, stricter than "whatever Pillow allows", so that one hostile file
# cannot make a worker thread allocate gigabytes. 100 MP still admits any photo
# from a current camera.
MAX_PIXELS = 100_000_000

RESOLUTIONS = (16, 32, 64, 128, 256)
FITS = ("crop", "pad")
COLORS = ("rgb", "gray")

# Only the formats our file extensions name. Pillow can open many more (EPS, for
# one, runs Ghostscript), and a file called .png must not get us there. DIB is
# the BMP plugin's other name; camera "MPO" files come through the JPEG opener.
# Filtered against what this Pillow build registers (WebP is optional).
Image.init()
ALLOWED_FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP", "BMP", "DIB", "GIF", "TIFF") if f in Image.OPEN)

# A reduce() by whole factors before the LANCZOS pass: far faster on big images
# and, at a gap of 3, indistinguishable from a full LANCZOS resize.
_REDUCING_GAP = 3.0

_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_TO_RGB_MODES = ("CMYK", "YCbCr", "LAB", "HSV", "RGBX")

# warnings.catch_warnings() swaps the process-wide filter list and is not
# thread-safe: two decoding threads entering and leaving it in an interleaved
# order can leave a filter installed for good. Only the header parse runs under
# this lock (the pixel decode does not), so it costs almost nothing.
_OPEN_LOCK = threading.Lock()


@dataclass(frozen=True)
class DecodeOptions:
    """How every image of a set is shaped; part of the cache key."""

    resolution: int
    fit: str = "crop"
    color: str = "rgb"
    background: tuple[int, int, int] = (255, 255, 255)

    @property
    def channels(self) -> int:
        return 3 if self.color == "rgb" else 1

    @property
    def background_gray(self) -> int:
        # Pillow's own RGB->L weights (ITU-R 601), so a grey pad matches what a
        # grey conversion of the rgb result would give.
        r, g, b = self.background
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16

    @classmethod
    def create(cls, resolution, fit="crop", color="rgb", background=(255, 255, 255)) -> "DecodeOptions":
        """Validate user-facing settings, with messages a user can act on."""
        if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
                or int(resolution) not in RESOLUTIONS:
            raise DataError(
                f"Resolution must be one of {', '.join(map(str, RESOLUTIONS))} pixels (got {resolution!r}).")
        if fit not in FITS:
            raise DataError(f"Fit must be 'crop' or 'pad' (got {fit!r}).")
        if color not in COLORS:
            raise DataError(f"Colour must be 'rgb' or 'gray' (got {color!r}).")
        try:
            bg = tuple(int(v) for v in background)
        except (TypeError, ValueError):
            bg = ()
        if len(bg) != 3 or not all(0 <= v <= 255 for v in bg):
            raise DataError(f"Background must be three numbers from 0 to 255 (got {background!r}).")
        return cls(int(resolution), fit, color, bg)  # type: ignore[arg-type]


def decode_image(data, *, resolution: int, fit: str = "crop", color: str = "rgb",
                 background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Decode bytes or a file path to a (resolution, resolution, C) uint8 array.

    Raises DataError whose message is the plain reason ("not an image", ...).
    """
    return decode_with_options(data, DecodeOptions.create(resolution, fit, color, background))


def decode_with_options(data, opts: DecodeOptions) -> np.ndarray:
    im = _open(data)
    with im:
        try:
            if im.format in ("JPEG", "MPO"):
                # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding: a 24 MP
                # photo then decodes in a fraction of the time. draft() keeps both
                # sides >= the request, and 2x leaves LANCZOS some room to work.
                want_gray = opts.color == "gray" and im.mode == "RGB"
                im.draft("L" if want_gray else None, (2 * opts.resolution, 2 * opts.resolution))
            im.load()  # for animations this is the first frame
        except DataError:
            raise
        except MemoryError:
            raise DataError("image too large to decode") from None
        except Exception:
            # Pillow reports truncation as OSError and malformed data as a zoo of
            # types (SyntaxError, ValueError, struct.error, zlib.error...).
            raise DataError("image is truncated or damaged") from None
        im = _apply_orientation(im)
        _narrow_a_16_bit_colour_key(im, data)
        im = _to_working_mode(im, opts.color)
        im = _fit_square(im, opts)
        im = _flatten(im, opts)
        arr = np.asarray(im, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return np.ascontiguousarray(arr)


def fit_array(rgb: np.ndarray, opts: DecodeOptions) -> np.ndarray:
    """An (H, W, 3) uint8 picture (a video frame) fitted to the training square like a file."""
    im = Image.fromarray(np.ascontiguousarray(rgb[..., :3]), "RGB")
    im = _fit_square(_to_working_mode(im, opts.color), opts)
    arr = np.asarray(im, dtype=np.uint8)
    return np.ascontiguousarray(arr[:, :, None] if arr.ndim == 2 else arr)


def open_image(data) -> Image.Image:
    """Open a file or bytes lazily (header only), with the same guards as decoding."""
    return _open(data)


def read_size(data) -> tuple[int, int]:
    """A file's own (width, height) as it shows upright, from its header (no pixels decoded)."""
    im = _open(data)
    with im:
        width, height = im.size
        try:
            # EXIF orientations 5-8 turn the picture a quarter: width and height swap.
            if im.getexif().get(0x0112) in (5, 6, 7, 8):
                width, height = height, width
        except Exception:
            pass  # a broken EXIF block: the stored size is the best answer
    return width, height


def _open(data) -> Image.Image:
    """Open lazily (header only) with the bomb guard; map failures to reasons."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) == 0:
            raise DataError("file is empty")
        source = io.BytesIO(data)
    else:
        source = os.fspath(data)
        try:
            if os.path.getsize(source) == 0:
                raise DataError("file is empty")
        except OSError as exc:
            raise _os_error(exc) from None
    with _OPEN_LOCK, warnings.catch_warnings():
        # Pillow warns above ~89 MP and refuses above twice that; we treat both
        # as a bomb. Only this category becomes an error, only for this call.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(source, formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DataError("image too large (decompression bomb guard)") from None
        except UnidentifiedImageError:
            raise DataError("not an image") from None
        except OSError as exc:
            raise _os_error(exc) from None
        except Exception:
            raise DataError("image is truncated or damaged") from None
    if im.width * im.height > MAX_PIXELS:
        im.close()
        raise DataError("image too large (decompression bomb guard)")
    return im


def _os_error(exc: OSError) -> DataError:
    # A file that is listed but cannot be read now (locked, moved, the disk dropped
    # out) is a FileUnavailable: the reason is shown, but never cached.
    if isinstance(exc, PermissionError):
        return FileUnavailable("permission denied")
    if isinstance(exc, FileNotFoundError):
        return FileUnavailable("file not found (was it moved or deleted?)")
    if exc.errno is None:
        # Pillow raises plain OSError("...") for bad data; real I/O errors
        # from the OS carry an errno.
        return DataError("image is truncated or damaged")
    return FileUnavailable("file could not be read")


def _apply_orientation(im: Image.Image) -> Image.Image:
    # Phones store portrait photos sideways plus an EXIF "rotate me" tag.
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception:
        pass  # a broken EXIF block should not cost the user the picture
    return im


def _to_working_mode(im: Image.Image, color: str) -> Image.Image:
    """Bring any mode to 8-bit L/LA (gray) or RGB/RGBA (rgb), keeping alpha."""
    mode = im.mode
    if mode in ("P", "PA", "1", "L", "RGB") and "transparency" in im.info:
        im = im.convert("RGBA")  # palette or colour-key transparency -> real alpha
    elif mode in ("P", "PA"):
        im = im.convert("RGBA" if mode == "PA" else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode == "La":
        im = im.convert("LA")
    elif mode == "RGBa":
        im = im.convert("RGBA")
    elif mode in _HIGH_DEPTH_MODES:
        key = im.info.get("transparency") if mode != "F" else None
        gray = _high_depth_to_l(im)
        if isinstance(key, int):
            # A colour key on 16-bit grey: matched on the full 16 bits, before scaling to 8.
            alpha = np.where(np.asarray(im) == key, 0, 255).astype(np.uint8)
            gray = Image.merge("LA", (gray, Image.fromarray(alpha, "L")))
        im = gray
    elif mode in _TO_RGB_MODES:
        try:
            im = im.convert("RGB")
        except (ValueError, OSError):
            raise DataError(f"unsupported colour mode {mode}") from None
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        raise DataError(f"unsupported colour mode {mode}")

    has_alpha = im.mode in ("LA", "RGBA")
    if color == "rgb" and im.mode in ("L", "LA"):
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif color == "gray" and im.mode in ("RGB", "RGBA"):
        im = im.convert("LA" if has_alpha else "L")
    return im


def _narrow_a_16_bit_colour_key(im: Image.Image, data) -> None:
    """Make a 16-bit RGB PNG's colour key (tRNS) match the 8-bit pixels Pillow gives.

    Pillow decodes 16-bit colour to 8 bits (the high byte of each sample) but keeps the
    key in 16 bits, so no pixel ever matched it and the key colour showed as a solid
    block. The key becomes its high bytes: pixels within 1/256 of the key colour turn
    transparent with it (keys are colours the picture does not use, so that is harmless).
    """
    key = im.info.get("transparency")
    if im.format != "PNG" or im.mode != "RGB" or not isinstance(key, tuple) or _png_bit_depth(data) != 16:
        return
    im.info["transparency"] = tuple(int(v) >> 8 for v in key)


def _png_bit_depth(data) -> int | None:
    """The bit depth in a PNG's header (IHDR), or None when it cannot be read."""
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            head = bytes(data[:25])
        else:
            with open(data, "rb") as f:
                head = f.read(25)
    except OSError:
        return None
    if len(head) < 25 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return head[24]


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit and float grey to 8 bits instead of clipping at 255.

    Pillow's own convert("L") clips, which turns a normal 16-bit scan white.
    """
    a = np.asarray(im)
    if im.mode.startswith("I;16"):
        out = _scale_16bit(a)
    elif im.mode == "I":
        lo, hi = int(a.min()), int(a.max())
        # A 32-bit container usually holds 16-bit data (old PNG/TIFF readers);
        # anything outside that range gets stretched to fit.
        out = _scale_16bit(a) if lo >= 0 and hi <= 65535 else _stretch(a.astype(np.float64), lo, hi)
    else:  # "F"
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(a.min()), float(a.max())
        if lo >= 0.0 and hi <= 1.0:  # the usual 0..1 convention
            out = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
        else:
            out = _stretch(a, lo, hi)
    return Image.fromarray(np.ascontiguousarray(out), "L")


def _scale_16bit(a: np.ndarray) -> np.ndarray:
    return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _stretch(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return np.zeros(a.shape, np.uint8)
    return np.clip(np.rint((a - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)


def _fit_square(im: Image.Image, opts: DecodeOptions) -> Image.Image:
    r = opts.resolution
    w, h = im.size
    if opts.fit == "crop":
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        if (w, h) == (r, r):
            return im
        # Resizing from a box avoids materialising the full-size crop.
        return im.resize((r, r), Image.Resampling.LANCZOS,
                         box=(left, top, left + side, top + side), reducing_gap=_REDUCING_GAP)
    # pad: scale the long side to r first, then pad the small image, which is
    # much cheaper than padding the full-size image and gives the same result.
    side = max(w, h)
    nw, nh = max(1, round(w * r / side)), max(1, round(h * r / side))
    if (nw, nh) != (w, h):
        im = im.resize((nw, nh), Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
    if (nw, nh) == (r, r):
        return im
    canvas = Image.new(im.mode, (r, r), _pad_fill(im.mode, opts))
    canvas.paste(im, ((r - nw) // 2, (r - nh) // 2))
    return canvas


def _pad_fill(mode: str, opts: DecodeOptions):
    gray = opts.background_gray
    return {"L": gray, "LA": (gray, 255), "RGB": opts.background, "RGBA": (*opts.background, 255)}[mode]


def _flatten(im: Image.Image, opts: DecodeOptions) -> Image.Image:
    """Composite any alpha onto the background (done small, after resizing)."""
    if im.mode == "RGBA":
        base = Image.new("RGB", im.size, opts.background)
        base.paste(im.convert("RGB"), mask=im.getchannel("A"))
        return base
    if im.mode == "LA":
        base = Image.new("L", im.size, opts.background_gray)
        base.paste(im.getchannel("L"), mask=im.getchannel("A"))
        return base
    return im
