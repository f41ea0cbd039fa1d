"""The explorer's state: looks, undo/redo, keyframes, variations and crossbreeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganstudio.explore.directions import find_directions
from ganstudio.explore.model import ExplorerModel, Look
from ganstudio.explore.latent import render, z_from_seed
from ganstudio.models import build_generator

Z = 16


@pytest.fixture(scope="module")
def directions():
    torch.manual_seed(0)
    return find_directions(build_generator("dcgan", resolution=16, channels=3, z_dim=Z, width=8), k=6)


@pytest.fixture
def model(directions):
    m = ExplorerModel(Z, directions)
    m.changes = []
    m.on_change.append(m.changes.append)
    return m


def test_a_fresh_look_is_the_seeds_own_latent(model, directions):
    assert model.look.offsets == (0.0,) * 6 and model.direction_names[0] == "Direction 1"
    model.set_seed(42)
    assert torch.equal(model.current_latent(), z_from_seed(42, Z))
    model.set_truncation(0.5)
    assert torch.equal(model.current_latent(), z_from_seed(42, Z) * 0.5)
    model.set_offset(0, 2.0)
    expected = (z_from_seed(42, Z) + torch.from_numpy(directions.vectors[0]) * 2.0) * 0.5
    assert torch.allclose(model.current_latent(), expected)
    assert model.changes[-1] == model.look


def test_same_look_same_bits(directions):
    look = Look(seed=7, truncation=0.7, offsets=(1.5, 0.0, -2.0, 0, 0, 0))
    a, b = look.latent(directions, Z), Look(**look.__dict__).latent(directions, Z)
    assert torch.equal(a, b)


def test_undo_redo_is_exact(model):
    looks = [model.look]
    model.set_seed(3)
    looks.append(model.look)
    model.set_truncation(0.8)
    looks.append(model.look)
    model.set_offset(2, -1.25)
    looks.append(model.look)
    model.set_raw(5, 0.125)
    looks.append(model.look)
    for expected in reversed(looks[:-1]):
        assert model.undo() and model.look == expected
    assert not model.undo() and not model.can_undo and model.can_redo
    for expected in looks[1:]:
        assert model.redo() and model.look == expected
    assert not model.redo()
    model.undo()
    model.set_seed(99)  # a new edit forgets the redo branch
    assert not model.can_redo


def test_a_slider_drag_is_one_undo_step(model):
    model.set_seed(5)
    start = model.look
    for value in (0.1, 0.5, 1.0, 2.5):
        model.set_offset(1, value, record=False)
    assert model.look.offsets[1] == 2.5 and model.changes[-1].offsets[1] == 2.5
    model.commit()
    assert model.undo() and model.look == start
    assert model.redo() and model.look.offsets[1] == 2.5
    # A drag that ends where it began adds no step; neither does an empty commit.
    model.set_truncation(0.3, record=False)
    model.set_truncation(1.0, record=False)
    model.commit()
    model.commit()
    assert model.undo() and model.look == start


def test_reset_is_undoable(model):
    model.set_seed(11)
    model.set_offset(0, 1.0)
    model.set_truncation(0.6)
    edited = model.look
    model.reset()
    assert model.look == Look(seed=11, truncation=1.0, offsets=(0.0,) * 6)
    assert torch.equal(model.current_latent(), z_from_seed(11, Z))
    assert model.undo() and model.look == edited


def test_variations_are_seeded_and_spread_with_amount(model):
    model.set_seed(4)
    model.set_offset(0, 1.0)
    parent = model.current_latent()
    a, b = model.variations(9, 0.5, seed=1), model.variations(9, 0.5, seed=1)
    assert a == b and len(a) == 9 and len(set(a)) == 9
    assert model.variations(9, 0.5, seed=2) != a

    def spread(amount):
        kids = model.variations(9, amount, seed=1)
        return np.mean([float((k.latent(model.directions, Z) - parent).norm()) for k in kids])

    assert 0 < spread(0.1) < spread(0.5) < spread(1.0)
    assert spread(0.0) == pytest.approx(0.0, abs=1e-6)  # offsets folded into the base exactly enough


def test_crossbreed_child_lies_between_its_parents(model):
    d_parents, d_a, d_b = [], [], []
    for i in range(20):
        a, b = Look(seed=2 * i), Look(seed=2 * i + 1)
        child = model.crossbreed(a, b, seed=i)
        assert child == model.crossbreed(a, b, seed=i)
        za, zb, zc = (x.latent(model.directions, Z) for x in (a, b, child))
        d_parents.append(float((za - zb).norm()))
        d_a.append(float((zc - za).norm()))
        d_b.append(float((zc - zb).norm()))
    assert np.mean(d_a) < np.mean(d_parents) and np.mean(d_b) < np.mean(d_parents)


def test_interpolation_hits_its_keyframes_exactly(model):
    model.set_seed(1)
    model.set_truncation(0.7)
    model.set_offset(3, 2.0)
    a = model.look
    model.add_keyframe()
    model.set_seed(2)
    model.add_keyframe()
    model.set_look(Look(seed=3, truncation=1.2, offsets=(0.0,) * 6, base=tuple(float(v) for v in torch.linspace(-1, 1, Z))))
    c = model.look
    assert model.add_keyframe() == 2
    for spherical in (True, False):
        assert torch.equal(model.interpolate(0.0, spherical=spherical).latent(model.directions, Z), a.latent(model.directions, Z))
        assert torch.equal(model.interpolate(1.0, spherical=spherical).latent(model.directions, Z), c.latent(model.directions, Z))
    mid = model.interpolate(0.25)
    assert mid.truncation == pytest.approx((0.7 + 0.7) / 2)  # halfway along A -> B


def test_walk_gives_the_frames_asked_for(model):
    with pytest.raises(ValueError):
        model.walk(5)  # no keyframes yet
    for seed in (1, 2, 3):
        model.set_seed(seed)
        model.add_keyframe()
    frames = model.walk(12)
    assert len(frames) == 12 and len(model.walk(1)) == 1
    assert torch.equal(frames[0].latent(None, Z), z_from_seed(1, Z))
    assert torch.equal(frames[-1].latent(None, Z), z_from_seed(3, Z))
    looped = model.walk(12, loop=True)
    assert len(looped) == 12 and looped[0] == frames[0] and looped[-1] != looped[0]
    model.clear_keyframes()
    assert model.keyframes == []


def test_random_seed_is_explicit_and_looks_render(model):
    s1 = model.random_seed(123)
    assert model.look.seed == s1
    model.random_seed(123)
    assert model.look.seed == s1
    torch.manual_seed(0)
    g = build_generator("dcgan", resolution=16, channels=3, z_dim=Z, width=8)
    image = render(g, model.current_latent()[None])
    assert image.shape == (1, 16, 16, 3)


def test_bad_values_are_refused(model):
    with pytest.raises(ValueError):
        model.set_truncation(float("nan"))
    with pytest.raises(IndexError):
        model.set_offset(6, 1.0)
    with pytest.raises(ValueError):
        model.set_seed(-1)
    model.set_truncation(5.0)
    assert model.look.truncation == 2.0  # clamped to the supported range
