"""Recipes: exact round trips through JSON and PNG, and hostile input gives None."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganstudio.explore.directions import find_directions
from ganstudio.explore.model import ExplorerModel, Look
from ganstudio.export import read_recipe, save_png
from ganstudio.models import build_generator
from ganstudio.explore.recipe import RECIPE_VERSION, Recipe, make_recipe, parse_recipe

Z = 16


@pytest.fixture(scope="module")
def directions():
    torch.manual_seed(0)
    return find_directions(build_generator("resnet", resolution=16, channels=3, z_dim=Z, width=8), k=5)


def _recipe(look, directions, names=None):
    latent = look.latent(directions, Z)
    return make_recipe(
        look, directions=directions, direction_names=names or directions.names, latent=latent,
        fingerprint="0123456789abcdef", run="my run", checkpoint="/runs/my run/checkpoints/best.pt",
        step=1200, app_version="0.1.0", size=512,
    )


def _looks(directions):
    m = ExplorerModel(Z, directions)
    m.set_seed(77)
    m.set_truncation(0.7)
    m.set_offset(1, -1.3)
    m.set_offset(4, 2.9)
    yield m.look
    m.set_raw(3, 0.1)  # an explicit base with a float64 value that float32 can't hold
    yield m.look
    m.add_keyframe()
    m.set_seed(5)
    m.add_keyframe()
    yield m.interpolate(0.37)
    yield m.variations(3, 0.4, seed=9)[2]


def test_round_trip_is_bit_exact(directions):
    names = ("Hair", "Light", "Sky", "Direction 4", "Warmth")
    for look in _looks(directions):
        raw = _recipe(look, directions, names)
        assert raw["version"] == RECIPE_VERSION and raw["app"] == "GAN Studio"
        parsed = parse_recipe(json.loads(json.dumps(raw)))
        assert isinstance(parsed, Recipe)
        assert parsed.look == look
        exact = look.latent(directions, Z).numpy()
        assert np.array_equal(parsed.latent, exact) and parsed.latent.dtype == np.float32
        assert np.array_equal(parsed.look.latent(directions, Z).numpy(), exact)
        assert parsed.resolve_look(directions) == look
        assert parsed.fingerprint == "0123456789abcdef" and parsed.step == 1200 and parsed.size == 512
        assert parsed.run == "my run" and parsed.checkpoint.endswith("best.pt")
        assert parsed.direction_names[1] == "Light" and parsed.direction_names[4] == "Warmth"
        assert [d["index"] for d in raw["directions"]] == [i for i, v in enumerate(look.offsets) if v != 0.0]


def test_round_trip_through_a_png(directions, tmp_path):
    look = next(_looks(directions))
    save_png(tmp_path / "piece.png", np.zeros((4, 4, 3), np.uint8), recipe=_recipe(look, directions))
    parsed = parse_recipe(read_recipe(tmp_path / "piece.png"), z_dim=Z)
    assert parsed.look == look and np.array_equal(parsed.latent, look.latent(directions, Z).numpy())


def test_crisp_or_smooth_travels_with_the_piece(directions):
    look = next(_looks(directions))
    raw = _recipe(look, directions)
    assert parse_recipe(raw).smooth is None  # older pieces did not say
    for smooth in (True, False):
        raw = make_recipe(
            look, directions=directions, direction_names=directions.names, latent=look.latent(directions, Z),
            fingerprint="f", run=None, checkpoint=None, step=0, app_version="0.1.0", size=100, smooth=smooth,
        )
        parsed = parse_recipe(json.loads(json.dumps(raw)))
        assert parsed.smooth is smooth and parsed.size == 100
    for bad in ("yes", 1, 0, [True]):
        assert parse_recipe(dict(raw, smooth=bad)) is None


def test_other_directions_fall_back_to_the_stored_latent(directions):
    look = next(_looks(directions))
    parsed = parse_recipe(_recipe(look, directions))
    torch.manual_seed(1)
    other = find_directions(build_generator("resnet", resolution=16, channels=3, z_dim=Z, width=8), k=5)
    fallback = parsed.resolve_look(other)
    assert fallback != look
    assert np.array_equal(fallback.latent(other, Z).numpy(), parsed.latent)


def test_recipes_written_before_versioning_still_parse():
    old = {"app": "GAN Studio", "app_version": "0.1.0", "generator": "ab", "run": "run", "checkpoint": "/x.pt",
           "step": 8, "seed": 7, "latent": [0.5] * Z, "truncation": 1.0, "directions": []}
    parsed = parse_recipe(old)
    assert parsed is not None and parsed.look == Look(seed=7) and parsed.z_dim == Z


def _mutations(good):
    def without(key):
        bad = copy.deepcopy(good)
        del bad[key]
        return bad

    def with_(key, value):
        bad = copy.deepcopy(good)
        bad[key] = value
        return bad

    yield None
    yield "not a dict"
    yield []
    for key in ("app", "latent", "seed", "truncation", "generator"):
        yield without(key)
    yield with_("seed", "77")
    yield with_("seed", 7.0)
    yield with_("seed", True)
    yield with_("seed", -1)
    yield with_("step", "12")
    yield with_("truncation", "0.7")
    yield with_("truncation", float("nan"))
    yield with_("truncation", 1e308)
    yield with_("latent", [0.0] * 10_000_000)
    yield with_("latent", [float("nan")] + [0.0] * (Z - 1))
    yield with_("latent", [float("inf")] * Z)
    yield with_("latent", [1e39] * Z)  # beyond float32
    yield with_("latent", [10**400] * Z)
    yield with_("latent", ["0.1"] * Z)
    yield with_("latent", [[0.1]] * Z)
    yield with_("latent", [])
    yield with_("latent", {"0": 1.0})
    yield with_("base", [0.0] * (Z + 1))
    yield with_("base", "zeros")
    yield with_("directions", [{"index": 0, "name": "x", "offset": {"deep": [[[]]]}}])
    yield with_("directions", [{"index": 0, "name": "x", "offset": 1.0}] * 2)
    yield with_("directions", [{"index": -1, "name": "x", "offset": 1.0}])
    yield with_("directions", [{"index": 9, "name": "x", "offset": 1.0}])  # past direction_count
    yield with_("directions", "all of them")
    yield with_("directions", [[{"index": 0}]])
    yield with_("generator", {"nested": ["junk"]})
    yield with_("generator", "x" * 100_000)
    yield with_("version", RECIPE_VERSION + 1)
    yield with_("app", "Another App")
    yield with_("direction_names", ["a", "b"])  # count is 5
    yield with_("direction_names", [1, 2, 3, 4, 5])


def test_hostile_recipes_give_none(directions):
    good = _recipe(next(_looks(directions)), directions)
    assert parse_recipe(good) is not None
    for bad in _mutations(good):
        assert parse_recipe(bad) is None, bad if not isinstance(bad, dict) else {k: str(v)[:60] for k, v in bad.items()}
    assert parse_recipe(good, z_dim=Z) is not None
    assert parse_recipe(good, z_dim=128) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=40,
)
_keys = st.sampled_from(
    ["app", "version", "latent", "base", "seed", "truncation", "step", "generator", "run", "checkpoint",
     "directions", "direction_count", "size", "index", "name", "offset"]
)
_numbers = st.lists(st.floats(width=32) | st.integers(-5, 5), min_size=0, max_size=Z + 2)


@settings(max_examples=200, deadline=None)
@given(
    junk=st.dictionaries(_keys | st.text(max_size=8), _json | _numbers, max_size=12),
    app=st.sampled_from(["GAN Studio", None]),
)
def test_parse_recipe_never_raises(junk, app):
    if app is not None:
        junk = {**junk, "app": app}  # get past the first check, so the deeper checks are reached
    result = parse_recipe(junk)
    assert result is None or isinstance(result, Recipe)
    if result is not None:
        assert np.isfinite(result.latent).all()
