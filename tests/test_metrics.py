"""Sliced Wasserstein quality figure: behaves like a distance, deterministic, RNG-clean."""

import math
import random

import numpy as np
import pytest
import torch

from ganstudio.training.metrics import (
    QualityFigure,
    SlicedWasserstein,
    _channel_stats,
    _laplacian_pyramid,
    _projected_quantiles,
)

# --- a small procedural "data set" and ways to damage it ---------------------


def blobs(n: int, res: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Warm-coloured soft blobs on a dark background with fine grain.

    Values stay within ~[20, 235], so moderate brightness offsets do not clip.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:res, 0:res].astype(np.float32) / res
    img = np.empty((n, res, res, 3), np.float32)
    img[:] = rng.uniform(30, 70, (n, 1, 1, 3))
    for _ in range(4):
        cy, cx = rng.uniform(0, 1, (2, n, 1, 1))
        r = rng.uniform(0.06, 0.25, (n, 1, 1))
        mask = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
        hue = rng.uniform(0, np.pi / 3, (n, 1, 1, 1))
        colour = 120 + 90 * np.concatenate([np.ones_like(hue), np.sin(hue * 1.5), 0.2 * np.cos(hue)], -1)
        img = img * (1 - mask) + colour * mask
    img += rng.normal(0, 6, img.shape)
    if channels == 1:
        img = img.mean(-1, keepdims=True)
    return np.clip(img, 0, 255).astype(np.uint8)


def hue_rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate colours about the grey axis (Rodrigues); grey stays grey."""
    t = np.deg2rad(degrees)
    k = np.ones(3) / np.sqrt(3)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rot = np.eye(3) + np.sin(t) * cross + (1 - np.cos(t)) * cross @ cross
    return np.clip(images.astype(np.float32) @ rot.T, 0, 255).round().astype(np.uint8)


def box_blur(images: np.ndarray) -> np.ndarray:
    x = images.astype(np.float32)
    x = (np.roll(x, 1, 1) + x + np.roll(x, -1, 1)) / 3
    x = (np.roll(x, 1, 2) + x + np.roll(x, -1, 2)) / 3
    return x.round().astype(np.uint8)


def brighten(images: np.ndarray, amount: int) -> np.ndarray:
    return np.clip(images.astype(np.int16) + amount, 0, 255).astype(np.uint8)


def noise_like(images: np.ndarray) -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, images.shape, dtype=np.uint8)


# --- fixtures: one real set, split in two halves of the same distribution -----




N = 128
# Fewer directions and patches than the paper keep the tests quick; they change
# the noise of the figure a little, not its behaviour.  The paper's defaults are
# exercised by the tests that build SlicedWasserstein without these.
FAST = dict(directions=32, descriptors_per_image=64)


@pytest.fixture(scope="module")
def halves():
    data = blobs(2 * N, 32, 3, seed=1)
    return data[:N], data[N:]


@pytest.fixture(scope="module")
def paper(halves):
    return SlicedWasserstein(halves[0], **FAST)


@pytest.fixture(scope="module")
def real_norm(halves):
    return SlicedWasserstein(halves[0], normalize="real", **FAST)


# --- the figure ---------------------------------------------------------------


def test_paper_defaults_return_a_quality_figure(halves):
    swd = SlicedWasserstein(halves[0][:64])  # 128 patches/image, 4 x 128 directions
    q = swd(halves[1][:64])
    assert isinstance(q, QualityFigure)
    assert len(q.per_level) == 2 and swd.resolutions == (32, 16)
    assert q.swd == pytest.approx(np.mean(q.per_level))
    assert q.images == 64
    assert all(math.isfinite(v) and v > 0 for v in q.per_level)
    assert q.swd < swd(box_blur(halves[1][:64])).swd


def test_identical_set_scores_zero(paper, halves):
    # Fakes are cut at the same places as the reals, so the real set itself gives
    # exactly the real quantiles (up to float rounding).
    assert paper(halves[0]).swd < 1e-6 * paper(halves[1]).swd


def test_two_halves_score_much_lower_than_damaged_versions(paper, real_norm, halves):
    a, b = halves
    floor = paper(b).swd
    assert 2.5 * floor < paper(box_blur(a)).swd
    assert 4 * floor < paper(noise_like(a)).swd
    # Colour damage shows with normalize="real" (see the next tests for why not
    # with the paper's per-set normalisation).
    floor_real = real_norm(b).swd
    assert 3 * floor_real < real_norm(hue_rotate(a, 60)).swd
    assert 3 * floor_real < real_norm(brighten(a, 20)).swd
    assert 3 * floor_real < real_norm(box_blur(a)).swd


def test_paper_normalisation_sees_hue_rotation_monotonically(paper, halves):
    scores = [paper(hue_rotate(halves[0], d)).swd for d in (0, 20, 40, 80)]
    assert all(x < y for x, y in zip(scores, scores[1:])), scores


def test_paper_normalisation_ignores_a_global_brightness_offset(paper, halves):
    # Documented property of the paper's metric: each set is standardised per
    # channel on its own, so a uniform offset (no clipping) cancels exactly.
    assert paper(halves[0]).swd < 1e-6  # the reference: identical sets
    assert paper(brighten(halves[0], 15)).swd < 1e-3 * paper(halves[1]).swd


@pytest.mark.parametrize("channels", [1, 3])
def test_real_normalisation_grows_monotonically_with_colour_shift(channels):
    data = blobs(64, 32, channels, seed=3)
    swd = SlicedWasserstein(data, normalize="real", **FAST)
    scores = [swd(brighten(data, v)).swd for v in (0, 8, 16, 32)]
    assert all(x < y for x, y in zip(scores, scores[1:])), scores
    if channels == 3:
        hues = [swd(hue_rotate(data, d)).swd for d in (0, 15, 30, 60, 90)]
        assert all(x < y for x, y in zip(hues, hues[1:])), hues


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("res", [16, 32, 64, 128])
def test_sizes_and_channels(channels, res):
    real = blobs(8, res, channels, seed=0)
    fake = blobs(8, res, channels, seed=1)
    swd = SlicedWasserstein(real, directions=32, descriptors_per_image=32)
    q = swd(fake)
    levels = int(math.log2(res // 16)) + 1
    assert len(q.per_level) == levels
    assert swd.resolutions == tuple(res >> i for i in range(levels))
    assert all(math.isfinite(v) and v > 0 for v in q.per_level)
    assert q.swd < swd(noise_like(fake)).swd


def test_flat_fakes_give_a_large_finite_figure(paper, halves):
    # A collapsed generator painting flat grey: std 0 must not become NaN.
    q = paper(np.full_like(halves[0], 128))
    assert all(math.isfinite(v) for v in q.per_level)
    assert q.swd > 3 * paper(halves[1]).swd


def test_real_and_fake_counts_may_differ(paper, halves):
    few = paper(halves[1][:8])  # 512 descriptors against 8192 real ones
    assert few.images == 8 and math.isfinite(few.swd)
    assert few.swd < paper(box_blur(halves[1][:8])).swd


def test_deterministic_for_a_seed(halves):
    a, b = halves[0][:32], halves[1][:32]
    first = SlicedWasserstein(a, seed=7, **FAST)
    assert first(b) == first(b)
    assert SlicedWasserstein(a, seed=7, **FAST)(b) == first(b)
    assert SlicedWasserstein(a, seed=8, **FAST)(b) != first(b)


def test_global_rng_state_is_untouched_and_irrelevant(halves):
    a, b = halves[0][:32], halves[1][:32]
    torch.manual_seed(1234)
    np.random.seed(1234)
    random.seed(1234)
    before = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    figure = SlicedWasserstein(a, **FAST)(b)
    after = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    assert torch.equal(before[0], after[0])
    assert before[1][0] == after[1][0] and np.array_equal(before[1][1], after[1][1]) and before[1][2:] == after[1][2:]
    assert before[2] == after[2]
    # ...and the figure does not depend on the global state either.
    torch.manual_seed(99)
    np.random.seed(99)
    assert SlicedWasserstein(a, **FAST)(b) == figure


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 32, 32, 3), np.float32),  # not uint8
        np.zeros((4, 32, 16, 3), np.uint8),  # not square
        np.zeros((4, 48, 48, 3), np.uint8),  # not a power of two
        np.zeros((4, 8, 8, 3), np.uint8),  # below 16 px
        np.zeros((4, 32, 32, 2), np.uint8),  # 2 channels
        np.zeros((32, 32, 3), np.uint8),  # no batch axis
        np.zeros((0, 32, 32, 3), np.uint8),  # empty
    ],
)
def test_rejects_bad_real_images(bad):
    with pytest.raises(ValueError):
        SlicedWasserstein(bad)


def test_rejects_fakes_of_another_shape(paper):
    with pytest.raises(ValueError):
        paper(np.zeros((4, 64, 64, 3), np.uint8))
    with pytest.raises(ValueError):
        paper(np.zeros((4, 32, 32, 1), np.uint8))


# --- the parts ----------------------------------------------------------------


def test_pyramid_of_constant_and_linear_images():
    flat = torch.full((1, 3, 64, 64), 77.0)
    *bands, low = _laplacian_pyramid(flat, 3)
    assert all(torch.equal(b, torch.zeros_like(b)) for b in bands)
    assert low.shape == (1, 3, 16, 16) and torch.allclose(low, torch.full_like(low, 77.0))
    # The binomial filter reproduces linear ramps, so away from the borders a ramp
    # has no band-pass content: checks the filter weights and the x4 upsampling gain.
    ramp = torch.arange(64.0).view(1, 1, 1, 64).expand(1, 1, 64, 64).contiguous()
    band = _laplacian_pyramid(ramp, 2)[0]
    assert band[..., 4:-4, 4:-4].abs().max() < 1e-3


def test_matches_the_papers_formula_when_sets_are_small():
    # With n == k descriptors per level the figure is exactly the paper's
    # mean |sort(proj_real) - sort(proj_fake)| over directions, up to the 16-bit
    # key quantisation.  White-box: reuses the metric's descriptors and directions.
    real, fake = blobs(4, 32, 3, seed=10), blobs(4, 32, 3, seed=11)
    swd = SlicedWasserstein(real, descriptors_per_image=8, seed=3)
    got = swd(fake).per_level
    d_real = swd._desc(real, np.random.default_rng([3, 0]))
    d_fake = swd._desc(fake, np.random.default_rng([3, 0]))

    def normalise(d):
        x = d.double().numpy().reshape(d.shape[0], 3, -1)
        mean = x.mean(axis=(0, 2), keepdims=True)
        std = x.std(axis=(0, 2), keepdims=True)
        return ((x - mean) / std).reshape(d.shape[0], -1)

    for lvl, value in enumerate(got):
        dirs = swd._dirs[lvl].numpy()
        pr = np.sort(normalise(d_real[lvl]) @ dirs.T, axis=0)
        pf = np.sort(normalise(d_fake[lvl]) @ dirs.T, axis=0)
        assert value == pytest.approx(np.abs(pr - pf).mean() * 1e3, rel=1e-3, abs=0.1)


def test_radix_quantiles_are_within_half_a_bucket_of_exact():
    gen = torch.Generator().manual_seed(0)
    desc = torch.randn(3000, 49, generator=gen) * 5 + 3
    desc[:10] *= 40  # a few outliers widen the range
    dirs = torch.randn(256, 49, generator=gen, dtype=torch.float64)
    dirs /= dirs.norm(dim=1, keepdim=True)
    stats = _channel_stats(desc, 1)
    k = 3000
    got = _projected_quantiles(desc, stats, dirs, k).double()
    norm = (desc.double() - stats[0]) / stats[1]
    exact = torch.sort(dirs @ norm.T, dim=1).values  # with n == k, quantile i is order statistic i
    bucket = (exact[:, -1] - exact[:, 0]) / 65535
    assert ((got - exact).abs() <= bucket.unsqueeze(1) * 0.5 + 1e-4).all()
