"""Grids, PNG writing with a recipe, and hostile-file-proof recipe reading."""

import io
import json
import os
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from ganstudio import export
from ganstudio.export import RECIPE_KEY, make_grid, read_recipe, save_png

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]


def solid(colours, size=4):
    return np.stack([np.full((size, size, 3), c, np.uint8) for c in colours])


def png_bytes(text_chunks=(), image=None) -> bytes:
    """A PNG made by Pillow, with arbitrary (keyword, text) iTXt chunks."""
    info = PngImagePlugin.PngInfo()
    for key, value in text_chunks:
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.fromarray(image if image is not None else np.zeros((4, 4, 3), np.uint8)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# --- grids --------------------------------------------------------------------


def test_grid_layout_cells_and_padding():
    grid = make_grid(solid(COLOURS), cols=3, padding=2, pad_value=7)
    assert grid.shape == (2 * (4 + 2) + 2, 3 * (4 + 2) + 2, 3)
    for i, colour in enumerate(COLOURS):
        r, c = divmod(i, 3)
        top, left = 2 + r * 6, 2 + c * 6
        assert (grid[top : top + 4, left : left + 4] == colour).all(), i
    # Padding around and between cells, and the empty sixth cell, are pad_value.
    mask = np.ones(grid.shape[:2], bool)
    for i in range(5):
        r, c = divmod(i, 3)
        mask[2 + r * 6 : 6 + r * 6, 2 + c * 6 : 6 + c * 6] = False
    assert (grid[mask] == 7).all()


def test_grid_default_is_near_square_and_grey_stays_grey():
    grid = make_grid(np.zeros((10, 3, 5, 1), np.uint8), padding=0)
    assert grid.shape == (3 * 3, 4 * 5, 1)  # ceil(sqrt(10)) = 4 columns, 3 rows
    assert make_grid(np.zeros((1, 3, 3, 3), np.uint8), padding=1).shape == (5, 5, 3)


@pytest.mark.parametrize(
    "kwargs", [dict(cols=0), dict(padding=-1), dict(pad_value=256), dict(pad_value=-1)]
)
def test_grid_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        make_grid(solid(COLOURS), **kwargs)


def test_grid_rejects_bad_images():
    with pytest.raises(ValueError):
        make_grid(np.zeros((2, 4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        make_grid(np.zeros((0, 4, 4, 3), np.uint8))


# --- saving -------------------------------------------------------------------


def test_round_trip_pixels_and_recipe(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    recipe = {
        "app": "0.1.0",
        "title": "Étude № 5 — 青い 🌊",
        "seed": 2**63 + 11,
        "z": rng.standard_normal(512).tolist() + [1e-300, -0.0, 5e-324, 1 / 3],
        "truncation": 0.7,
        "directions": [{"name": "smile", "amount": -1.25}],
        "flag": None,
    }
    path = save_png(tmp_path / "deep" / "er" / "piece.png", image, recipe=recipe)
    assert path == tmp_path / "deep" / "er" / "piece.png"
    assert np.array_equal(np.asarray(Image.open(path)), image)
    back = read_recipe(path)
    assert back == recipe
    assert [struct.pack(">d", v) for v in back["z"]] == [struct.pack(">d", v) for v in recipe["z"]]
    # Same answer from bytes and from an open file.
    assert read_recipe(path.read_bytes()) == recipe
    with open(path, "rb") as f:
        assert read_recipe(f) == recipe


def test_recipe_is_compact_json_in_an_itxt_chunk(tmp_path):
    path = save_png(tmp_path / "a.png", np.zeros((2, 2, 3), np.uint8), recipe={"a": [1, 2], "b": "x"})
    data = path.read_bytes()
    assert b"iTXt" + RECIPE_KEY.encode() + b"\0" in data
    assert b'{"a":[1,2],"b":"x"}' in data
    # Placed before the image data, so reading it never needs the pixels.
    assert data.index(b"iTXt") < data.index(b"IDAT")


def test_grey_image_and_no_recipe(tmp_path):
    image = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    path = save_png(tmp_path / "g.png", image)
    with Image.open(path) as im:
        assert im.mode == "L"
        assert np.array_equal(np.asarray(im), image[:, :, 0])
    assert read_recipe(path) is None


def test_scale_crisp_gives_exact_blocks(tmp_path):
    image = solid(COLOURS[:4], size=1).reshape(2, 2, 3)
    path = save_png(tmp_path / "x4.png", image, scale=4)
    big = np.asarray(Image.open(path))
    assert big.shape == (8, 8, 3)
    assert np.array_equal(big, image.repeat(4, axis=0).repeat(4, axis=1))


def test_scale_smooth_blends(tmp_path):
    image = np.zeros((4, 4, 3), np.uint8)
    image[:, 2:] = 255
    big = np.asarray(Image.open(save_png(tmp_path / "s.png", image, scale=4, smooth=True)))
    assert big.shape == (16, 16, 3)
    assert len(np.unique(big[8, :, 0])) > 2  # in-between values at the edge


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4, 3), np.float32),
        np.zeros((4, 4), np.uint8),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        np.zeros((1, 4, 4, 3), np.uint8),
    ],
)
def test_bad_image_raises_before_touching_the_target(tmp_path, bad):
    target = tmp_path / "keep.png"
    save_png(target, np.full((2, 2, 3), 9, np.uint8), recipe={"v": 1})
    before = target.read_bytes()
    with pytest.raises(ValueError):
        save_png(target, bad, recipe={"v": 2})
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(recipe={"x": float("nan")}),
        dict(recipe={"x": object()}),
        dict(recipe=["not", "a", "dict"]),
        dict(recipe={"big": "x" * (export.MAX_RECIPE_BYTES + 1)}),
        dict(scale=0),
        dict(scale=2.0),
        dict(scale=100_000),
    ],
)
def test_bad_options_raise_before_touching_the_target(tmp_path, kwargs):
    target = tmp_path / "keep.png"
    save_png(target, np.zeros((2, 2, 3), np.uint8))
    before = target.read_bytes()
    with pytest.raises(ValueError):
        save_png(target, np.zeros((2, 2, 3), np.uint8), **kwargs)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]


def test_write_failure_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    save_png(target, np.zeros((2, 2, 3), np.uint8), recipe={"v": 1})
    before = target.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    from ganstudio import atomic

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError):
        save_png(target, np.ones((2, 2, 3), np.uint8), recipe={"v": 2})
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]


def test_overwrite_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "p.png"
    save_png(target, np.zeros((2, 2, 3), np.uint8), recipe={"v": 1})
    save_png(str(target), np.ones((2, 2, 3), np.uint8), recipe={"v": 2})
    assert read_recipe(target) == {"v": 2}
    assert sorted(os.listdir(tmp_path)) == ["p.png"]


# --- reading hostile or foreign files ----------------------------------------


BAD_RECIPES = {
    "2 MiB": "{" + '"a":"' + "x" * (2 << 20) + '"}',
    "invalid JSON": "{not json",
    "JSON list": "[1, 2, 3]",
    "JSON string": '"just a string"',
    "JSON number": "42",
    "NaN": '{"a": NaN}',
    "deep nesting": "[" * 100_000 + "]" * 100_000,  # deep enough to blow the parser's stack
    "huge int": '{"n": ' + "9" * 5000 + "}",  # beyond Python's int digit limit
    "empty": "",
}


@pytest.mark.parametrize("text", BAD_RECIPES.values(), ids=BAD_RECIPES.keys())
def test_bad_recipes_return_none(text):
    assert read_recipe(png_bytes([(RECIPE_KEY, text)])) is None


def test_other_text_chunks_are_ignored():
    assert read_recipe(png_bytes([("Comment", '{"a": 1}')])) is None
    assert read_recipe(png_bytes([("Comment", "hi"), (RECIPE_KEY, '{"a": 1}')])) == {"a": 1}


def test_jpeg_and_junk_return_none(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, "JPEG", comment=b'{"a": 1}')
    assert read_recipe(buf.getvalue()) is None
    assert read_recipe(b"") is None
    assert read_recipe(b"\x89PNG\r\n\x1a\n") is None
    assert read_recipe(b"not an image at all") is None
    (tmp_path / "notes.png").write_text("hello")
    assert read_recipe(tmp_path / "notes.png") is None
    assert read_recipe(tmp_path) is None  # a folder


def test_compressed_bomb_returns_none():
    # A 8 KiB zTXt chunk that inflates to 8 MiB: Pillow's 1 MiB per-chunk limit stops it.
    bomb = RECIPE_KEY.encode() + b"\0\0" + zlib.compress(b"{" + b" " * (8 << 20) + b"}", 9)
    good = png_bytes()
    data = good[:33] + chunk(b"zTXt", bomb) + good[33:]
    assert read_recipe(data) is None


def test_huge_declared_image_size_is_not_decoded():
    # IHDR claims 100000 x 100000 px; we read the text chunk without touching pixels.
    good = png_bytes([(RECIPE_KEY, '{"ok": true}')])
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    data = good[:8] + chunk(b"IHDR", ihdr) + good[33:]
    assert read_recipe(data) in (None, {"ok": True})


def test_missing_file_raises():
    with pytest.raises(FileNotFoundError):
        read_recipe("/nonexistent/folder/x.png")


GOOD_PNG = png_bytes([(RECIPE_KEY, json.dumps({"seed": 1, "z": [0.5, -1.5]}))])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.lists(st.tuples(st.integers(0, len(GOOD_PNG) - 1), st.integers(0, 255)), min_size=1, max_size=8),
        st.integers(0, len(GOOD_PNG)),
    )
)
def test_read_recipe_never_raises_on_garbage(mutation):
    if isinstance(mutation, bytes):
        data = mutation
    elif isinstance(mutation, int):
        data = GOOD_PNG[:mutation]  # truncated
    else:
        buf = bytearray(GOOD_PNG)
        for pos, value in mutation:
            buf[pos] = value
        data = bytes(buf)
    result = read_recipe(data)
    assert result is None or isinstance(result, dict)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_in_the_recipe_chunk_gives_none_or_a_dict(text):
    result = read_recipe(png_bytes([(RECIPE_KEY, text)]))
    assert result is None or isinstance(result, dict)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_recipe_json_round_trips_exactly(recipe):
    back = read_recipe(png_bytes([(RECIPE_KEY, export._encode_recipe(recipe))]))
    assert json.dumps(back, sort_keys=True) == json.dumps(recipe, sort_keys=True)
