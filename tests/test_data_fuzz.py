"""Fuzzing the data loader: hostile bytes never get past decode_image or load_images as
anything but a usable array or a DataError with one plain line.

Inputs are (a) arbitrary bytes, some behind a real format's magic so that they get past
identification, and (b) small valid PNG/JPEG/GIF/WebP/BMP/TIFF files made with Pillow,
then mutated (bit flips, truncation, inserted or overwritten junk, deleted or repeated
runs) with the format's magic bytes kept, so the mutations reach the decoders.

derandomize=True and no example database: CI runs the same examples every time, and a
failure reproduces on any machine. Each call runs under a hang guard (a daemon thread
joined with a timeout), because "never hangs" is part of the contract.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, features

from ganstudio.data import DataError, ImageSet, decode_image, load_images

# A generous per-call limit: the slowest legitimate input here (a mutated header that
# claims a large but allowed size) decodes in well under a second.
HANG_LIMIT_S = 20.0

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every reason decode_image may give (decode.py); anything else is a message leaking
# out of Pillow or numpy.
DECODE_REASONS = re.compile(
    r"file is empty|not an image|image is truncated or damaged|"
    r"image too large \(decompression bomb guard\)|image too large to decode|"
    r"file could not be read|unsupported colour mode \S+"
)

HAS_WEBP = features.check("webp")

# Pillow warns (UserWarning) about the damage it works around, e.g. "Corrupt EXIF data";
# that is expected here by the hundred and says nothing about our code.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")


def run_guarded(fn, *args, **kwargs):
    """fn(*args, **kwargs) in a daemon thread; fail (not hang) if it outlives HANG_LIMIT_S."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised below, on the test's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="fuzz-guard", daemon=True)
    t.start()
    t.join(HANG_LIMIT_S)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not return within {HANG_LIMIT_S:.0f} s (hang)")
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------- seeds

def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _make_seeds() -> list[tuple[str, int, bytes]]:
    """(name, magic length to keep, bytes) of small, valid, varied files."""
    rng = np.random.default_rng(6)
    rgb = Image.fromarray(rng.integers(0, 256, (9, 13, 3), dtype=np.uint8))
    rgba = Image.fromarray(rng.integers(0, 256, (9, 13, 4), dtype=np.uint8))
    gray = rgb.convert("L")
    pal = rgb.quantize(16)
    one = gray.point(lambda v: 255 if v > 127 else 0).convert("1")
    g16 = Image.fromarray(rng.integers(0, 65536, (9, 13), dtype=np.uint16))
    flt = Image.fromarray(rng.random((9, 13), dtype=np.float32), "F")
    cmyk = rgb.convert("CMYK")
    exif = Image.Exif()
    exif[0x0112] = 6
    frames = [Image.new("RGB", (13, 9), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]

    seeds = [
        ("rgb.png", 8, _encode(rgb, "PNG")),
        ("rgba.png", 8, _encode(rgba, "PNG")),
        ("pal-trns.png", 8, _encode(pal, "PNG", transparency=3)),
        ("la.png", 8, _encode(rgba.convert("LA"), "PNG")),
        ("g16.png", 8, _encode(g16, "PNG")),
        ("1bit.png", 8, _encode(one, "PNG")),
        ("apng.png", 8, _encode(frames[0], "PNG", save_all=True, append_images=frames[1:])),
        ("rgb.jpg", 2, _encode(rgb, "JPEG", quality=90)),
        ("gray.jpg", 2, _encode(gray, "JPEG")),
        ("progressive.jpg", 2, _encode(rgb, "JPEG", progressive=True)),
        ("exif.jpg", 2, _encode(rgb, "JPEG", exif=exif.tobytes())),
        ("cmyk.jpg", 2, _encode(cmyk, "JPEG")),
        ("pal.gif", 6, _encode(pal, "GIF", transparency=2)),
        ("anim.gif", 6, _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40)),
        ("rgb.bmp", 2, _encode(rgb, "BMP")),
        ("pal.bmp", 2, _encode(pal, "BMP")),
        ("1bit.bmp", 2, _encode(one, "BMP")),
        ("rgb.tif", 4, _encode(rgb, "TIFF")),
        ("lzw.tif", 4, _encode(rgba, "TIFF", compression="tiff_lzw")),
        ("deflate.tif", 4, _encode(gray, "TIFF", compression="tiff_adobe_deflate")),
        ("packbits.tif", 4, _encode(pal, "TIFF", compression="packbits")),
        ("g16.tif", 4, _encode(g16, "TIFF")),
        ("float.tif", 4, _encode(flt, "TIFF")),
        ("cmyk.tif", 4, _encode(cmyk, "TIFF")),
        ("exif.tif", 4, _encode(rgb, "TIFF", exif=exif.tobytes())),
    ]
    if HAS_WEBP:
        seeds += [
            ("lossy.webp", 12, _encode(rgb, "WEBP", quality=80)),
            ("lossless.webp", 12, _encode(rgba, "WEBP", lossless=True)),
            ("anim.webp", 12, _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])),
        ]
    return seeds


SEEDS = _make_seeds()
MAGICS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"GIF87a", b"BM", b"II*\x00", b"MM\x00*"]
if HAS_WEBP:
    MAGICS.append(b"RIFF\x00\x01\x00\x00WEBPVP8 ")
EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff",
               b"\x7f\xff\xff\xff", b"\x00\x00\xff\xff"]


def test_seeds_are_valid():
    """Guards the premise: unmutated, every seed decodes."""
    for name, _, data in SEEDS:
        assert decode_image(data, resolution=16).shape == (16, 16, 3), name


# ----------------------------------------------------------------------- strategies

_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 2**20)),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("overwrite"), st.integers(0, 2**20),
              st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=8))),
    st.tuples(st.just("delete"), st.integers(0, 2**20), st.integers(1, 64)),
    st.tuples(st.just("repeat"), st.integers(0, 2**20), st.integers(1, 64)),
)


def mutate(data: bytes, keep: int, ops) -> bytes:
    """Apply ops to data past its first `keep` bytes (the format's magic stays intact)."""
    head, body = data[:keep], bytearray(data[keep:])
    for op in ops:
        n = len(body)
        pos = op[1] % (n + 1)
        if op[0] == "flip" and n:
            body[op[1] % n] ^= 1 << op[2]
        elif op[0] == "truncate":
            del body[pos:]
        elif op[0] == "insert":
            body[pos:pos] = op[2]
        elif op[0] == "overwrite":
            body[pos:pos + len(op[2])] = op[2]
        elif op[0] == "delete":
            del body[pos:pos + op[2]]
        elif op[0] == "repeat":
            body[pos:pos] = body[pos:pos + op[2]]
    return head + bytes(body)


@st.composite
def mutated_files(draw) -> tuple[str, bytes]:
    name, keep, data = draw(st.sampled_from(SEEDS))
    ops = draw(st.lists(_mutation, min_size=1, max_size=6))
    return name, mutate(data, keep, ops)


arbitrary_bytes = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from(MAGICS), st.binary(max_size=1024)).map(lambda t: t[0] + t[1]),
)

decode_options = st.fixed_dictionaries({
    "resolution": st.sampled_from([16, 32, 64]),
    "fit": st.sampled_from(["crop", "pad"]),
    "color": st.sampled_from(["rgb", "gray"]),
    "background": st.tuples(*[st.integers(0, 255)] * 3),
})


def check_decode(data: bytes, opts: dict) -> None:
    try:
        out = run_guarded(decode_image, data, **opts)
    except DataError as exc:
        reason = str(exc)
        assert DECODE_REASONS.fullmatch(reason), f"unexpected reason {reason!r}"
        return
    r = opts["resolution"]
    assert isinstance(out, np.ndarray)
    assert out.shape == (r, r, 3 if opts["color"] == "rgb" else 1)
    assert out.dtype == np.uint8 and out.flags.c_contiguous


# ---------------------------------------------------------------------- decode_image

@FUZZ
@given(data=arbitrary_bytes, opts=decode_options)
def test_decode_arbitrary_bytes(data, opts):
    check_decode(data, opts)


@FUZZ
@given(file=mutated_files(), opts=decode_options)
def test_decode_mutated_images(file, opts):
    check_decode(file[1], opts)


# ----------------------------------------------------------------------- load_images

def _check_load(folder: str, files: list[tuple[str, bytes]], opts: dict, cache_dir: str) -> None:
    try:
        result = run_guarded(load_images, folder, cache_dir=cache_dir, **opts)
    except DataError as exc:
        message = str(exc)
        assert message and "\n" not in message
        prefix = f"None of the {len(files)} images in {folder} could be used; first problem: "
        assert message.startswith(prefix) and message.endswith(".")
        first_name, _, first_reason = message[len(prefix):-1].partition(": ")
        assert first_name in {name for name, _ in files}
        assert DECODE_REASONS.fullmatch(first_reason), f"unexpected reason {first_reason!r}"
        return
    r, c = opts["resolution"], 3 if opts["color"] == "rgb" else 1
    assert isinstance(result, ImageSet) and not result.from_cache
    assert result.images.dtype == np.uint8 and result.images.shape[1:] == (r, r, c)
    assert result.count >= 1 and result.count + len(result.skipped) == len(files)
    for s in result.skipped:
        assert s.path.startswith(folder)
        # load.py turns an unexpected exception into "could not be decoded (TypeName)"
        # so the set still loads; for the fuzzer that is a decode_image bug, not a pass.
        assert DECODE_REASONS.fullmatch(s.reason), f"{s.path}: unexpected reason {s.reason!r}"

    # A second load comes from the cache and gives exactly the same set.
    again = run_guarded(load_images, folder, cache_dir=cache_dir, **opts)
    assert again.from_cache
    assert np.array_equal(again.images, result.images)
    assert again.skipped == result.skipped


@settings(FUZZ, max_examples=150)
@given(files=st.lists(st.tuples(mutated_files(), st.sampled_from(EXTENSIONS)), min_size=1, max_size=4),
       opts=decode_options)
def test_load_images_on_a_folder_of_mutated_files(files, opts):
    named = [(f"{i}-{name.split('.')[0]}{ext}", data) for i, ((name, data), ext) in enumerate(files)]
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        folder = os.path.join(tmp, "art")
        os.makedirs(folder)
        for filename, data in named:
            with open(os.path.join(folder, filename), "wb") as f:
                f.write(data)
        _check_load(folder, named, opts, os.path.join(tmp, "cache"))
