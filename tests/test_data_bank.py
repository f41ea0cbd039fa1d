"""ImageBank: batches of the right shape and range, reproducible, with real flips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganstudio.data import ImageBank


def images(n=5, res=16, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, res, res, c), dtype=np.uint8)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_shape_range_dtype_device():
    bank = ImageBank(images(), "cpu")
    assert len(bank) == 5 and bank.resolution == 16 and bank.channels == 3
    x = bank.sample(8, gen())
    assert x.shape == (8, 3, 16, 16) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.is_contiguous()


def test_exact_endpoints_and_pixel_mapping():
    data = np.zeros((1, 16, 16, 3), np.uint8)
    data[0, 0, 0] = (255, 0, 128)
    x = ImageBank(data).sample(1, gen())
    assert x[0, :, 0, 0].tolist() == [1.0, -1.0, pytest.approx(128 / 127.5 - 1, abs=1e-6)]
    assert x[0, :, 5, 5].tolist() == [-1.0, -1.0, -1.0]


def test_same_generator_state_same_batch():
    bank = ImageBank(images(20), flip=True)
    a = bank.sample(16, gen(7))
    b = bank.sample(16, gen(7))
    assert torch.equal(a, b)
    assert not torch.equal(a, bank.sample(16, gen(8)))
    g = gen(7)
    first, second = bank.sample(16, g), bank.sample(16, g)
    assert torch.equal(first, a) and not torch.equal(first, second)


def test_small_set_large_batch():
    data = images(3)
    x = ImageBank(data).sample(8, gen())
    assert x.shape == (8, 3, 16, 16)
    # Every sample is one of the three images.
    as_u8 = ((x + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for img in as_u8:
        assert any(np.array_equal(img, d) for d in data)


def test_flip_really_mirrors():
    data = images(1)
    bank = ImageBank(data, flip=True)
    x = bank.sample(64, gen(1))
    as_u8 = ((x + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    original = [np.array_equal(img, data[0]) for img in as_u8]
    mirrored = [np.array_equal(img, data[0][:, ::-1]) for img in as_u8]
    assert all(o or m for o, m in zip(original, mirrored))
    assert 10 < sum(mirrored) < 54  # about half
    no_flip = ImageBank(data).sample(64, gen(1))
    assert torch.equal(no_flip, no_flip[:1].expand_as(no_flip))


def test_channels_last_and_grayscale():
    x = ImageBank(images(4, c=3), channels_last=True).sample(4, gen())
    assert x.is_contiguous(memory_format=torch.channels_last)
    g = ImageBank(images(4, c=1)).sample(4, gen())
    assert g.shape == (4, 1, 16, 16)


def test_all_images_is_the_uint8_set():
    data = images(4)
    bank = ImageBank(data)
    out = bank.all_images()
    assert out.dtype == np.uint8 and np.array_equal(out, data)


@pytest.mark.parametrize("bad", [
    np.zeros((2, 16, 16, 3), np.float32),
    np.zeros((16, 16, 3), np.uint8),
    np.zeros((0, 16, 16, 3), np.uint8),
    np.zeros((2, 16, 8, 3), np.uint8),
    np.zeros((2, 16, 16, 4), np.uint8),
])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError):
        ImageBank(bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bank_deterministic():
    bank = ImageBank(images(10), "cuda", flip=True, channels_last=True)
    a = bank.sample(8, torch.Generator("cuda").manual_seed(3))
    b = bank.sample(8, torch.Generator("cuda").manual_seed(3))
    assert a.device.type == "cuda" and torch.equal(a, b)
    assert a.is_contiguous(memory_format=torch.channels_last)
