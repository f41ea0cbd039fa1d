"""DiffAugment-style ops and the ADA controller."""

from __future__ import annotations

import io

import pytest
import torch

from ganstudio.training.augment import POLICIES, AdaptiveAugment, diff_augment, parse_policy

ALL = ("color", "translation", "cutout")




def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _batch(n=8, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=_gen(seed + 100)) * 2 - 1


def test_parse_policy():
    assert parse_policy("") == ()
    assert parse_policy("  ") == ()
    assert parse_policy("color,translation,cutout") == ALL
    assert parse_policy(" Cutout , color,,color ") == ("cutout", "color")
    assert parse_policy(["translation"]) == ("translation",)
    assert set(POLICIES) == set(ALL)
    with pytest.raises(ValueError, match="color, translation, cutout"):
        parse_policy("color,flip")


def test_unknown_op_in_diff_augment_raises():
    with pytest.raises(ValueError, match="Unknown augmentation"):
        diff_augment(_batch(), ("rotate",), _gen())


@pytest.mark.parametrize("policy", [("color",), ("translation",), ("cutout",), ALL])
def test_same_seed_same_result_and_shape(policy):
    x = _batch()
    a = diff_augment(x, policy, _gen(1))
    b = diff_augment(x, policy, _gen(1))
    c = diff_augment(x, policy, _gen(2))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)


def test_probability_zero_or_empty_policy_returns_input():
    x = _batch()
    assert diff_augment(x, ALL, _gen(), probability=0.0) is x
    assert diff_augment(x, (), _gen(), probability=1.0) is x


def test_probability_applies_per_image():
    x = _batch(n=400, size=8)
    out = diff_augment(x, ("color",), _gen(3), probability=0.3)
    changed = (out != x).flatten(1).any(dim=1).float().mean().item()
    assert 0.2 < changed < 0.4
    unchanged = ~(out != x).flatten(1).any(dim=1)
    assert torch.equal(out[unchanged], x[unchanged])  # skipped images are untouched


@pytest.mark.parametrize("policy", [("color",), ("translation",), ("cutout",), ALL])
def test_gradients_flow_to_input(policy):
    x = _batch().requires_grad_(True)
    weights = torch.randn(x.shape, generator=_gen(9))
    (diff_augment(x, policy, _gen(4)) * weights).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0


def test_translation_moves_a_single_pixel():
    n, size = 64, 16
    x = torch.zeros(n, 1, size, size)
    x[:, 0, 8, 8] = 1.0
    out = diff_augment(x, ("translation",), _gen(5))
    assert torch.equal(out.flatten(1).sum(dim=1), torch.ones(n))  # still exactly one lit pixel
    positions = out.flatten(1).argmax(dim=1)
    dy, dx = positions // size - 8, positions % size - 8
    assert dy.abs().max() <= 2 and dx.abs().max() <= 2  # at most 1/8 of 16 px
    assert (dy != 0).any() and (dx != 0).any()
    assert len(set(zip(dy.tolist(), dx.tolist()))) > 10  # many different shifts


def test_translation_is_a_zero_filled_shift():
    x = _batch(n=6, size=16) * 0.5 + 0.6  # strictly positive, so zeros mark the fill
    out = diff_augment(x, ("translation",), _gen(6))
    for img, src in zip(out, x):
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                expected = torch.zeros_like(src)
                ys, yd = slice(max(0, -dy), 16 - max(0, dy)), slice(max(0, dy), 16 - max(0, -dy))
                xs, xd = slice(max(0, -dx), 16 - max(0, dx)), slice(max(0, dx), 16 - max(0, -dx))
                expected[:, yd, xd] = src[:, ys, xs]
                found = found or torch.equal(img, expected)
        assert found


def test_cutout_zeroes_one_square_of_the_expected_size():
    n, size = 64, 16
    x = torch.ones(n, 3, size, size)
    out = diff_augment(x, ("cutout",), _gen(7))
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 0], out[:, 2])  # all channels
    holes = out[:, 0] == 0
    full = 0
    for hole in holes:
        rows = hole.any(dim=1).nonzero().flatten()
        cols = hole.any(dim=0).nonzero().flatten()
        height, width = len(rows), len(cols)
        assert hole.sum() == height * width  # one solid rectangle...
        assert hole[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()
        assert 4 <= height <= 8 and 4 <= width <= 8  # ...half the size, maybe clipped by an edge
        full += height == width == 8
    assert full > n // 5  # usually the whole square lands inside
    assert torch.equal(out[~holes.unsqueeze(1).expand_as(out)], x[~holes.unsqueeze(1).expand_as(x)])


def test_color_changes_are_per_image_and_in_range():
    grey = torch.zeros(32, 3, 4, 4)  # a flat mid-grey: only brightness can change it
    out = diff_augment(grey, ("color",), _gen(8))
    offsets = out[:, 0, 0, 0]
    assert torch.allclose(out, offsets.view(-1, 1, 1, 1).expand_as(out))  # still flat and grey
    assert offsets.abs().max() <= 0.5 and offsets.std() > 0.1


def test_color_strength_narrows_every_range():
    grey = torch.zeros(256, 3, 4, 4)
    half = diff_augment(grey, ("color",), _gen(8), color_strength=0.5)[:, 0, 0, 0]
    assert half.abs().max() <= 0.25 and half.abs().max() > 0.2  # brightness: U(-0.25, 0.25)
    assert torch.equal(diff_augment(grey, ("color",), _gen(8), color_strength=0.0), grey)
    # A saturated image: at half strength its colour is never washed out to grey, nor
    # pushed past 1.5x its distance from grey (brightness shifts all channels alike).
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1).expand(256, 3, 4, 4).contiguous()
    out = diff_augment(red, ("color",), _gen(9), color_strength=0.5)
    chroma = out[:, 0, 0, 0] - out[:, 1, 0, 0]  # 2.0 in the input
    assert chroma.min() >= 2.0 * 0.5 * 0.75 - 1e-5 and chroma.max() <= 2.0 * 1.5 * 1.25 + 1e-5
    full = diff_augment(red, ("color",), _gen(9))[:, 0, 0, 0] - diff_augment(red, ("color",), _gen(9))[:, 1, 0, 0]
    assert full.min() < 0.5  # at full strength the colour can go almost grey


@pytest.mark.parametrize("channels", [3, 1])
def test_color_is_brightness_then_saturation_then_contrast_with_their_gradients(channels):
    """The one-pass colour map gives what the three steps give one after the other,
    and the same gradient (its hand-written backward against autograd's, in float64)."""
    x = torch.rand(6, channels, 5, 7, dtype=torch.float64) * 2 - 1
    u = torch.rand((3, 6), generator=_gen(11), dtype=torch.float32).double() - 0.5
    b, s, c = (v.view(6, 1, 1, 1) for v in (u[0], 1 + 2 * u[1], 1 + u[2]))

    def three_steps(x):
        out = x + b
        grey = out.mean(dim=1, keepdim=True)
        out = (out - grey) * s + grey
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        return (out - mean) * c + mean

    x_ours, x_ref = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    ours = diff_augment(x_ours, ("color",), _gen(11))
    ref = three_steps(x_ref)
    assert torch.allclose(ours, ref, atol=1e-6)
    weights = torch.randn(ref.shape, dtype=torch.float64)
    (ours * weights).sum().backward()
    (ref * weights).sum().backward()
    assert torch.allclose(x_ours.grad, x_ref.grad, atol=1e-6)


def test_bf16_autocast_and_channels_last():
    x = _batch().contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = diff_augment(x, ALL, _gen(10))
        out_bf16 = diff_augment(x.to(torch.bfloat16), ALL, _gen(10))
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert out_bf16.dtype == torch.bfloat16 and torch.isfinite(out_bf16.float()).all()
    # The memory layout changes nothing but the summation order of the colour means.
    assert torch.allclose(out, diff_augment(x.contiguous(), ALL, _gen(10)), atol=1e-6)


def _logits(sign, n=16):
    return torch.full((n,), 3.0 * sign)


def test_ada_rises_when_d_is_overconfident_and_falls_otherwise():
    ada = AdaptiveAugment(target=0.6, speed_images=1000, interval=4)
    assert ada.probability == 0.0
    for _ in range(3):
        ada.accumulate(_logits(+1))
    ada.update()
    assert ada.probability == 0.0  # fewer than `interval` steps: nothing to adjust yet
    ada.accumulate(_logits(+1))
    ada.update()  # r_t = 1 > 0.6 after 4 steps x 16 images
    assert ada.probability == pytest.approx(64 / 1000)
    assert ada.last_rt == 1.0
    for _ in range(20):
        for _ in range(4):
            ada.accumulate(_logits(+1))
        ada.update()
    assert ada.probability == 1.0  # clipped
    for _ in range(4):
        ada.accumulate(_logits(-1))  # D calls every real image fake: r_t = -1
    ada.update()
    assert ada.probability == pytest.approx(1.0 - 64 / 1000)
    for _ in range(100):
        for _ in range(4):
            ada.accumulate(torch.tensor([3.0, -3.0, 3.0, -3.0]))  # r_t = 0 < 0.6
        ada.update()
    assert ada.probability == 0.0


def test_ada_state_round_trips_through_weights_only_load():
    ada = AdaptiveAugment(target=0.6, speed_images=500, interval=4, initial=0.25)
    for _ in range(6):
        ada.accumulate(_logits(+1, n=8))
    ada.update()
    ada.accumulate(_logits(-1, n=8))  # pending at save time
    buffer = io.BytesIO()
    torch.save({"augment": ada.state_dict()}, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)["augment"]

    restored = AdaptiveAugment(target=0.6, speed_images=500, interval=4)
    restored.load_state_dict(state)
    assert restored.probability == ada.probability and restored.last_rt == ada.last_rt
    for model in (ada, restored):  # both continue identically
        for _ in range(3):
            model.accumulate(_logits(+1, n=8))
        model.update()
    assert restored.probability == pytest.approx(ada.probability)
    # The pending step survived the save: r_t = (-8 + 24) / 32 = 0.5 < 0.6, so p went down.
    assert ada.last_rt == restored.last_rt == 0.5
    assert ada.probability == pytest.approx(0.25 + 48 / 500 - 32 / 500)
