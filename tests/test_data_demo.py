"""Procedural demo sets: deterministic, varied, and not flat."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.data import DataError, list_demo_sets, make_demo_set

SETS = list_demo_sets()


def test_the_promised_sets_exist():
    assert {"shapes", "landscapes"} <= set(SETS)
    assert SETS == sorted(SETS)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("resolution", [16, 32])
def test_shape_and_dtype(name, resolution):
    images = make_demo_set(name, 3, resolution)
    assert images.shape == (3, resolution, resolution, 3)
    assert images.dtype == np.uint8 and images.flags.c_contiguous


@pytest.mark.parametrize("name", SETS)
def test_deterministic_and_stable_per_index(name):
    a = make_demo_set(name, 6, 32, seed=3)
    assert np.array_equal(a, make_demo_set(name, 6, 32, seed=3))
    # Image i does not depend on how many were asked for.
    assert np.array_equal(a[:2], make_demo_set(name, 2, 32, seed=3))
    other = make_demo_set(name, 6, 32, seed=4)
    assert not np.array_equal(a, other)
    assert all(not np.array_equal(a[i], other[i]) for i in range(6))


@pytest.mark.parametrize("name", SETS)
def test_images_are_not_flat_and_differ_from_each_other(name):
    images = make_demo_set(name, 16, 32).astype(np.float32)
    per_image_std = images.reshape(16, -1).std(axis=1)
    assert per_image_std.min() > 8.0, per_image_std
    # Different pictures, not one picture with noise: mean distance between neighbours.
    assert np.abs(images[1:] - images[:-1]).mean() > 20.0
    # And both light and dark values appear somewhere in the set.
    assert images.min() < 60 and images.max() > 200


def test_sets_differ_from_each_other():
    firsts = [make_demo_set(name, 4, 32) for name in SETS]
    for i in range(len(firsts)):
        for j in range(i + 1, len(firsts)):
            assert not np.array_equal(firsts[i], firsts[j])


def test_unknown_name_and_bad_arguments():
    with pytest.raises(DataError) as err:
        make_demo_set("foo", 2, 16)
    assert str(err.value) == f"Unknown demo set 'foo'; choose from {', '.join(SETS)}."
    with pytest.raises(DataError):
        make_demo_set("shapes", -1, 16)
    with pytest.raises(DataError):
        make_demo_set("shapes", 2, 0)
    assert make_demo_set("shapes", 0, 16).shape == (0, 16, 16, 3)


def test_name_is_case_insensitive():
    assert np.array_equal(make_demo_set("Shapes", 2, 16), make_demo_set("shapes", 2, 16))
