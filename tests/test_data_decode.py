"""decode_image: every awkward kind of file comes out as the right pixels."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ganstudio.data import DataError, decode_image

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def dec(data, resolution=16, **kw) -> np.ndarray:
    return decode_image(data, resolution=resolution, **kw)


def assert_close(pixel, expected, tol=12):
    assert np.all(np.abs(np.asarray(pixel, int) - np.asarray(expected, int)) <= tol), (pixel, expected)


def bomb_png(width=30000, height=30000) -> bytes:
    """A PNG whose header claims a huge size; only the header is ever read."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_output_shape_dtype_and_layout():
    out = dec(encode(Image.new("RGB", (40, 30), RED), "PNG"), resolution=32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert_close(out[16, 16], RED)


def test_exif_orientation_6_is_applied():
    # Raw pixels: red top-left quadrant, rest blue. Orientation 6 means "turn
    # 90 degrees clockwise to display", which moves the red to the top right.
    raw = Image.new("RGB", (32, 32), BLUE)
    raw.paste(RED, (0, 0, 16, 16))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = dec(encode(raw, "JPEG", quality=95, exif=exif.tobytes()))
    assert_close(out[3, 12], RED, tol=40)
    assert_close(out[3, 3], BLUE, tol=40)
    assert_close(out[12, 3], BLUE, tol=40)
    # Control: without the tag the red stays top left.
    plain = dec(encode(raw, "JPEG", quality=95))
    assert_close(plain[3, 3], RED, tol=40)


def test_exif_rotation_swaps_sides_before_cropping():
    # A 48x16 strip with orientation 6 becomes 16x48 (tall); the centre crop
    # then keeps the middle third of the *rotated* picture.
    raw = Image.new("RGB", (48, 16), BLUE)
    raw.paste(RED, (16, 0, 32, 16))  # middle third red
    raw.paste(GREEN, (0, 0, 16, 16))  # left third green -> ends up at the top
    exif = Image.Exif()
    exif[0x0112] = 6
    out = dec(encode(raw, "PNG", exif=exif.tobytes()), fit="pad", background=(0, 0, 0))
    # Padded: a tall 5x16 column in the middle, green at the top, blue at the bottom.
    assert_close(out[1, 8], GREEN, tol=40)
    assert_close(out[14, 8], BLUE, tol=40)
    assert_close(out[8, 0], (0, 0, 0))


@pytest.mark.parametrize("alpha, background, expected", [
    (0, WHITE, WHITE),
    (0, (0, 0, 0), (0, 0, 0)),
    (255, WHITE, RED),
    (128, WHITE, (255, 127, 127)),
])
def test_rgba_is_composited_on_background(alpha, background, expected):
    im = Image.new("RGBA", (20, 20), (*RED, alpha))
    out = dec(encode(im, "PNG"), background=background)
    assert_close(out[8, 8], expected, tol=3)


def test_rgba_resize_does_not_bleed_hidden_colour():
    # Fully transparent pixels carry green; it must not tint the visible red.
    im = Image.new("RGBA", (64, 64), (*GREEN, 0))
    im.paste((*RED, 255), (0, 0, 32, 64))
    out = dec(encode(im, "PNG"))
    assert_close(out[8, 7], RED, tol=20)
    assert out[:, :8, 1].max() < 30  # no green on the red side, even at the edge


def test_palette_with_transparency_uses_background():
    im = Image.new("P", (16, 16), 0)
    im.putpalette([*GREEN, *RED] + [0] * 762)
    im.paste(1, (0, 0, 8, 16))  # left half red, right half index 0 (transparent)
    out = dec(encode(im, "GIF", transparency=0), background=(0, 0, 255))
    assert_close(out[8, 2], RED)
    assert_close(out[8, 13], BLUE)


def test_palette_png_with_trns_and_plain_palette():
    im = Image.new("P", (16, 16), 1)
    im.putpalette([*GREEN, *RED] + [0] * 762)
    assert_close(dec(encode(im, "PNG"))[8, 8], RED)
    im.paste(0, (0, 0, 16, 16))
    assert_close(dec(encode(im, "PNG", transparency=0))[8, 8], WHITE)


def test_la_composited_and_gray_output():
    im = Image.new("LA", (16, 16), (10, 0))
    out = dec(encode(im, "PNG"), background=(200, 200, 200), color="gray")
    assert out.shape == (16, 16, 1)
    assert abs(int(out[5, 5, 0]) - 200) <= 1


def test_16bit_gray_png_is_scaled_not_clipped():
    arr = np.full((16, 16), 32768, np.uint16)
    arr[:, :8] = 65535
    data = encode(Image.fromarray(arr), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = dec(data)
    assert abs(int(out[8, 12, 0]) - 128) <= 1  # not 255
    assert_close(out[8, 2], WHITE, tol=1)
    assert out[8, 12, 0] == out[8, 12, 1] == out[8, 12, 2]


def test_16bit_tiff_and_32bit_int_tiff():
    arr = np.full((16, 16), 16384, np.uint16)
    assert abs(int(dec(encode(Image.fromarray(arr), "TIFF"))[8, 8, 0]) - 64) <= 1
    as_i = Image.fromarray(np.full((16, 16), 32768, np.int32), "I")
    assert abs(int(dec(encode(as_i, "TIFF"))[8, 8, 0]) - 128) <= 1


def test_float_tiff_is_scaled():
    arr = np.zeros((16, 16), np.float32)
    arr[:, 8:] = 0.5
    out = dec(encode(Image.fromarray(arr, "F"), "TIFF"))
    assert out[8, 2, 0] <= 1 and abs(int(out[8, 13, 0]) - 128) <= 1


def test_cmyk_jpeg_gives_roughly_the_right_colour():
    cyan = Image.new("CMYK", (16, 16), (255, 0, 0, 0))
    out = dec(encode(cyan, "JPEG", quality=95))
    assert_close(out[8, 8], (0, 255, 255), tol=40)
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    assert_close(dec(encode(red, "JPEG", quality=95))[8, 8], RED, tol=40)


def test_grayscale_in_rgb_out_and_rgb_in_gray_out():
    g = dec(encode(Image.new("L", (16, 16), 77), "PNG"))
    assert g.shape == (16, 16, 3) and (g == 77).all()
    red_as_gray = dec(encode(Image.new("RGB", (16, 16), RED), "PNG"), color="gray")
    assert red_as_gray.shape == (16, 16, 1)
    assert abs(int(red_as_gray[8, 8, 0]) - 76) <= 1  # ITU-R 601 luma of pure red


def test_one_bit_image():
    im = Image.new("1", (16, 16), 0)
    im.paste(1, (8, 0, 16, 16))
    out = dec(encode(im, "PNG"))
    assert out[8, 2, 0] == 0 and out[8, 13, 0] == 255


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in (RED, GREEN, BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert_close(dec(data)[8, 8], RED, tol=5)


def test_animated_webp_uses_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in (GREEN, RED)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert_close(dec(data)[8, 8], GREEN, tol=5)


def test_crop_takes_the_centre_and_pad_keeps_everything():
    im = Image.new("RGB", (48, 16), BLUE)
    im.paste(RED, (16, 0, 32, 16))
    crop = dec(encode(im, "PNG"), fit="crop")
    assert_close(crop[8, 1], RED, tol=25)
    assert_close(crop[8, 14], RED, tol=25)
    pad = dec(encode(im, "PNG"), fit="pad", background=(0, 255, 0))
    assert_close(pad[1, 8], GREEN)  # padding above
    assert_close(pad[14, 8], GREEN)  # and below
    assert_close(pad[8, 8], RED, tol=25)  # the middle of the strip
    assert_close(pad[8, 1], BLUE, tol=25)  # the sides are kept, not cropped


def test_pad_of_grayscale_with_coloured_background_gets_the_colour():
    out = dec(encode(Image.new("L", (32, 8), 0), "PNG"), fit="pad", background=(255, 0, 0))
    assert_close(out[0, 8], RED)


def test_big_jpeg_decodes_to_the_right_colour():
    im = Image.new("RGB", (1600, 1200), (30, 120, 200))
    out = dec(encode(im, "JPEG", quality=90), resolution=64)
    assert out.shape == (64, 64, 3)
    assert_close(out[32, 32], (30, 120, 200), tol=6)


@pytest.mark.parametrize("data, reason", [
    (b"", "file is empty"),
    (b"hello, I am a text file pretending to be a PNG\n", "not an image"),
])
def test_unusable_bytes_give_plain_reasons(data, reason):
    with pytest.raises(DataError) as err:
        dec(data)
    assert str(err.value) == reason


def test_truncated_jpeg_is_reported():
    rng = np.random.default_rng(0)
    data = encode(Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(DataError, match="truncated or damaged"):
        dec(data[: len(data) // 2])


def test_decompression_bomb_is_refused_without_touching_global_warning_filters():
    before, max_pixels = list(warnings.filters), Image.MAX_IMAGE_PIXELS
    with pytest.raises(DataError, match="decompression bomb"):
        dec(bomb_png())
    with pytest.raises(DataError, match="decompression bomb"):
        dec(bomb_png(10000, 10000))  # above Pillow's warning level, below its error level
    assert warnings.filters == before
    assert Image.MAX_IMAGE_PIXELS == max_pixels


def test_decode_from_a_path(tmp_path):
    path = tmp_path / "pic.png"
    Image.new("RGB", (20, 20), GREEN).save(path)
    assert_close(dec(path)[5, 5], GREEN)
    assert_close(dec(str(path))[5, 5], GREEN)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match="file is empty"):
        dec(tmp_path / "empty.png")
    with pytest.raises(DataError, match="not found"):
        dec(tmp_path / "missing.png")


def test_formats_outside_our_extensions_are_not_opened():
    # Pillow could open an ICO (or EPS, via Ghostscript); a user's folder
    # should not make us try, whatever the file is named.
    with pytest.raises(DataError, match="not an image"):
        dec(encode(Image.new("RGB", (16, 16), RED), "ICO"))


@pytest.mark.parametrize("kw", [
    {"resolution": 100}, {"resolution": 8}, {"resolution": 512}, {"resolution": True},
    {"fit": "stretch"}, {"color": "cmyk"}, {"background": (300, 0, 0)}, {"background": (1, 2)},
])
def test_bad_options_give_one_line_errors(kw):
    args = {"resolution": 16, **kw}
    with pytest.raises(DataError) as err:
        decode_image(encode(Image.new("RGB", (4, 4)), "PNG"), **args)
    assert "\n" not in str(err.value)


@settings(max_examples=40, deadline=None)
@given(w=st.integers(1, 40), h=st.integers(1, 40), mode=st.sampled_from(["RGB", "L", "RGBA", "LA", "P", "1"]),
       fit=st.sampled_from(["crop", "pad"]), color=st.sampled_from(["rgb", "gray"]),
       res=st.sampled_from([16, 32]))
def test_any_size_and_mode_gives_the_requested_shape(w, h, mode, fit, color, res):
    data = encode(Image.new(mode, (w, h)), "PNG")
    out = decode_image(data, resolution=res, fit=fit, color=color)
    assert out.shape == (res, res, 3 if color == "rgb" else 1)
    assert out.dtype == np.uint8 and out.flags.c_contiguous


def test_permission_denied_is_a_plain_reason(tmp_path, monkeypatch):
    # Simulated, because the test suite may run as root, who can read anything.
    path = tmp_path / "locked.png"
    path.write_bytes(encode(Image.new("RGB", (4, 4)), "PNG"))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(DataError) as err:
        dec(path)
    assert str(err.value) == "permission denied"
