"""Seeds, truncation, interpolation and rendering."""

import numpy as np
import pytest
import torch
from torch import nn

from ganstudio.explore.latent import lerp, render, slerp, to_uint8, truncate, z_batch_from_seeds, z_from_seed

Z_DIM = 16


class TinyGenerator(nn.Module):
    """z -> (N, C, 8, 8) in [-1, 1]; a dropout layer makes train/eval mode visible."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.channels = channels
        self.fc = nn.Linear(Z_DIM, channels * 8 * 8)
        self.drop = nn.Dropout(0.5)

    def forward(self, z):
        return torch.tanh(self.drop(self.fc(z))).view(-1, self.channels, 8, 8)


@pytest.fixture
def gen():
    torch.manual_seed(0)
    return TinyGenerator()


# --- seeds --------------------------------------------------------------------


def test_same_seed_same_vector_different_seed_different():
    a = z_from_seed(42, Z_DIM)
    assert a.shape == (Z_DIM,) and a.dtype == torch.float32 and a.device.type == "cpu"
    assert torch.equal(a, z_from_seed(42, Z_DIM))
    assert not torch.equal(a, z_from_seed(43, Z_DIM))


def test_seed_does_not_touch_global_rng():
    torch.manual_seed(5)
    state = torch.get_rng_state()
    z_from_seed(1, Z_DIM)
    z_batch_from_seeds([1, 2, 3], Z_DIM)
    assert torch.equal(state, torch.get_rng_state())


def test_seed_vector_is_standard_normal():
    z = z_from_seed(7, 100_000)
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02


def test_batch_rows_match_single_seeds():
    batch = z_batch_from_seeds([3, 1, 3], Z_DIM)
    assert batch.shape == (3, Z_DIM)
    assert torch.equal(batch[0], z_from_seed(3, Z_DIM))
    assert torch.equal(batch[1], z_from_seed(1, Z_DIM))
    assert torch.equal(batch[0], batch[2])
    assert z_batch_from_seeds([], Z_DIM).shape == (0, Z_DIM)


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, "3", True])
def test_rejects_bad_seeds(seed):
    with pytest.raises((ValueError, TypeError)):
        z_from_seed(seed, Z_DIM)


def test_accepts_the_largest_seed_and_numpy_ints():
    assert z_from_seed(2**64 - 1, Z_DIM).shape == (Z_DIM,)
    assert torch.equal(z_from_seed(np.int64(9), Z_DIM), z_from_seed(9, Z_DIM))


# --- truncation and paths -----------------------------------------------------


def test_truncation():
    z = z_batch_from_seeds([1, 2], Z_DIM)
    assert torch.equal(truncate(z, 0.0), torch.zeros_like(z))
    assert torch.equal(truncate(z, 1.0), z)
    assert torch.allclose(truncate(z, 0.5), z * 0.5)
    center = z_from_seed(9, Z_DIM)
    assert torch.allclose(truncate(z, 0.0, center), center.expand_as(z))
    assert torch.allclose(truncate(z, 0.25, center), center + 0.25 * (z - center))


def test_lerp_endpoints_and_path():
    a, b = z_from_seed(1, Z_DIM), z_from_seed(2, Z_DIM)
    assert torch.equal(lerp(a, b, 0.0), a) and torch.equal(lerp(a, b, 1.0), b)
    path = lerp(a, b, torch.linspace(0, 1, 5))
    assert path.shape == (5, Z_DIM)
    assert torch.allclose(path[2], (a + b) / 2)


def test_slerp_endpoints_are_exact():
    a, b = z_from_seed(1, Z_DIM), z_from_seed(2, Z_DIM) * 3
    assert torch.equal(slerp(a, b, 0.0), a)
    assert torch.equal(slerp(a, b, 1.0), b)


def test_slerp_preserves_norm_for_equal_norm_vectors():
    a = z_from_seed(1, Z_DIM)
    b = z_from_seed(2, Z_DIM)
    b = b * (a.norm() / b.norm())
    path = slerp(a, b, torch.linspace(0, 1, 11))
    assert path.shape == (11, Z_DIM)
    assert torch.allclose(path.norm(dim=1), a.norm().expand(11), rtol=1e-5)
    # ...where lerp cuts through the inside of the sphere.
    assert lerp(a, b, 0.5).norm() < 0.9 * a.norm()


def test_slerp_follows_the_great_circle():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = slerp(a, b, 0.5)
    assert torch.allclose(mid, torch.tensor([1.0, 1.0]) / 2**0.5)


def test_slerp_falls_back_to_lerp_when_parallel_or_zero():
    a = z_from_seed(1, Z_DIM)
    for b in (2 * a, -a, torch.zeros(Z_DIM)):
        out = slerp(a, b, 0.3)
        assert torch.isfinite(out).all()
        assert torch.allclose(out, lerp(a, b, 0.3), atol=1e-6)


def test_slerp_is_batched():
    a = z_batch_from_seeds([1, 2, 3], Z_DIM)
    b = z_batch_from_seeds([4, 5, 6], Z_DIM)
    b[1] = a[1] * 2  # one parallel pair inside the batch
    t = torch.tensor([0.25, 0.5, 0.75])
    out = slerp(a, b, t)
    assert out.shape == (3, Z_DIM)
    for i in range(3):
        assert torch.allclose(out[i], slerp(a[i], b[i], float(t[i])), atol=1e-6)


# --- pixels -------------------------------------------------------------------


def test_to_uint8_mapping_and_rounding():
    x = torch.tensor([-1.0, 0.0, 1.0, -2.0, 2.0, float("nan"), 1 / 255 - 1]).view(1, 1, 1, -1)
    out = to_uint8(x)
    assert out.dtype == np.uint8 and out.shape == (1, 1, 7, 1) and out.flags["C_CONTIGUOUS"]
    # (x+1)*127.5 rounded half up: 0 -> 127.5 -> 128; out of range clamps; NaN -> grey;
    # 1/255 - 1 -> 0.5 -> 1.
    assert out.ravel().tolist() == [0, 128, 255, 0, 255, 128, 1]


def test_to_uint8_layout_is_nhwc():
    x = torch.zeros(2, 3, 4, 5)
    x[:, 0] = 1.0  # red channel full
    out = to_uint8(x)
    assert out.shape == (2, 4, 5, 3)
    assert (out[..., 0] == 255).all() and (out[..., 1:] == 128).all()


def test_render_same_seed_same_pixels_and_different_seeds_differ(gen):
    z = z_batch_from_seeds([1, 2], Z_DIM)
    first = render(gen, z)
    assert first.dtype == np.uint8 and first.shape == (2, 8, 8, 3) and first.flags["C_CONTIGUOUS"]
    assert np.array_equal(first, render(gen, z_batch_from_seeds([1, 2], Z_DIM)))
    assert not np.array_equal(first[0], first[1])


def test_render_uses_eval_mode_and_restores_modes(gen):
    gen.train()
    z = z_batch_from_seeds([1], Z_DIM)
    # Dropout would make the two renders differ if render left train mode on.
    assert np.array_equal(render(gen, z), render(gen, z))
    assert gen.training and gen.fc.training and gen.drop.training
    # A submodule someone froze in eval mode stays frozen.
    gen.drop.eval()
    render(gen, z)
    assert gen.training and not gen.drop.training
    gen.eval()
    render(gen, z)
    assert not gen.training


def test_render_restores_mode_when_the_generator_fails(gen):
    gen.train()
    with pytest.raises(RuntimeError):
        render(gen, torch.zeros(2, Z_DIM + 1))  # wrong z size
    assert gen.training


def test_render_batches_give_the_same_result(gen):
    z = z_batch_from_seeds(range(10), Z_DIM)
    assert np.array_equal(render(gen, z, batch_size=3), render(gen, z, batch_size=64))


def test_render_grey_generator_and_float64_module():
    torch.manual_seed(0)
    grey = TinyGenerator(channels=1).double()  # z is cast to the module's dtype
    out = render(grey, z_batch_from_seeds([1, 2, 3], Z_DIM), device="cpu")
    assert out.shape == (3, 8, 8, 1) and out.dtype == np.uint8


def test_render_rejects_bad_arguments(gen):
    with pytest.raises(ValueError):
        render(gen, torch.zeros(Z_DIM))
    with pytest.raises(ValueError):
        render(gen, torch.zeros(2, Z_DIM), batch_size=0)
    with pytest.raises(ValueError):
        render(gen, torch.zeros(0, Z_DIM))
