"""Generators and discriminators: shapes, ranges, sizes, checkpoints, copies, precision."""

from __future__ import annotations

import copy
import io

import pytest
import torch

from ganstudio.training.losses import d_loss, g_loss
from ganstudio.models import ARCHITECTURES, build_discriminator, build_generator

RESOLUTIONS = (16, 32, 64, 128, 256)
Z_DIM = 16




def _small_width(resolution: int) -> int:
    return 4 if resolution >= 128 else 8  # keeps the 128/256 px models tiny and fast


def _pair(arch, resolution=16, width=8, channels=3, seed=0):
    torch.manual_seed(seed)
    G = build_generator(arch, resolution=resolution, channels=channels, z_dim=Z_DIM, width=width)
    D = build_discriminator(arch, resolution=resolution, channels=channels, width=width)
    return G, D


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_shapes_and_ranges(arch, resolution):
    G, D = _pair(arch, resolution, width=_small_width(resolution))
    assert (G.z_dim, G.resolution, G.channels) == (Z_DIM, resolution, 3)
    z = torch.randn(2, Z_DIM)
    with torch.no_grad():
        images = G(z)
        logits = D(images)
    assert images.shape == (2, 3, resolution, resolution)
    assert images.dtype == torch.float32
    assert images.abs().max() <= 1.0  # tanh output
    assert images.std() > 0  # not a constant image
    assert logits.shape == (2,)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_grayscale_and_rgba(arch):
    for channels in (1, 4):
        G, D = _pair(arch, 16, channels=channels)
        with torch.no_grad():
            images = G(torch.randn(3, Z_DIM))
            assert images.shape == (3, channels, 16, 16)
            assert D(images).shape == (3,)


def test_dcgan_at_64px_is_the_papers_network():
    # Counted from the architecture: z=100, width 64, RGB gives the classic DCGAN sizes.
    G = build_generator("dcgan", resolution=64, channels=3, z_dim=100, width=64)
    D = build_discriminator("dcgan", resolution=64, channels=3, width=64)
    convs = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [512, 256, 128, 64, 3]
    assert _n_params(G) == 3_576_704
    assert _n_params(D) == 2_765_568
    # The paper's initialisation: N(0, 0.02) weights, N(1, 0.02) batch-norm scales.
    w = torch.cat([c.weight.flatten() for c in convs])
    assert abs(w.mean().item()) < 1e-3 and abs(w.std().item() - 0.02) < 1e-3
    bn = torch.cat([m.weight for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)])
    assert abs(bn.mean().item() - 1.0) < 5e-3 and abs(bn.std().item() - 0.02) < 5e-3


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_parameter_count_grows_sensibly(arch):
    def sizes(resolution, width):
        G, D = _pair(arch, resolution, width=width)
        return _n_params(G), _n_params(D)

    by_resolution = [sizes(r, 8) for r in RESOLUTIONS]
    for (g0, d0), (g1, d1) in zip(by_resolution, by_resolution[1:]):
        assert g1 > g0 and d1 > d0  # more layers for more pixels
    g8, d8 = sizes(32, 8)
    g16, d16 = sizes(32, 16)
    assert 3 * g8 < g16 < 5 * g8 and 3 * d8 < d16 < 5 * d8  # doubling width ~ quadruples weights

    # The channel cap keeps the biggest models a sane size for a laptop.
    G = build_generator(arch, resolution=256, channels=3, z_dim=128, width=64)
    D = build_discriminator(arch, resolution=256, channels=3, width=64)
    assert 5e6 < _n_params(G) < 20e6 and 5e6 < _n_params(D) < 20e6
    assert max(m.out_channels for m in G.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)) <= 512


@pytest.mark.parametrize("bad", [100, 8, 512, 0, -64, 64.0, "64", True, None])
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_bad_resolution_raises_plain_error(arch, bad):
    with pytest.raises(ValueError, match="16, 32, 64, 128 or 256"):
        build_generator(arch, resolution=bad, channels=3, z_dim=8, width=8)
    with pytest.raises(ValueError, match="16, 32, 64, 128 or 256"):
        build_discriminator(arch, resolution=bad, channels=3, width=8)


def test_bad_arch_and_sizes_raise_plain_errors():
    with pytest.raises(ValueError, match="dcgan, resnet"):
        build_generator("stylegan9", resolution=32, channels=3, z_dim=8, width=8)
    with pytest.raises(ValueError, match="dcgan, resnet"):
        build_discriminator("", resolution=32, channels=3, width=8)
    with pytest.raises(ValueError, match="width"):
        build_generator("dcgan", resolution=32, channels=3, z_dim=8, width=0)
    with pytest.raises(ValueError, match="z_dim"):
        build_generator("resnet", resolution=32, channels=3, z_dim=-1, width=8)


def _exercise(G, D, steps=2):
    """Run a couple of train-mode passes so BN running stats and SN vectors move off init."""
    G.train()
    D.train()
    with torch.no_grad():
        for _ in range(steps):
            D(G(torch.randn(4, Z_DIM)))


def _outputs(G, D, seed=123):
    G.eval()
    D.eval()
    z = torch.randn(3, Z_DIM, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        images = G(z)
        return images, D(images)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_state_dict_round_trip_is_exact(arch):
    G, D = _pair(arch, 32, seed=1)
    _exercise(G, D)
    for sd in (G.state_dict(), D.state_dict()):
        assert all(isinstance(v, torch.Tensor) for v in sd.values())
    if arch == "resnet":  # spectral norm's power-iteration vectors are saved too
        assert any(k.endswith("._u") for k in D.state_dict())

    G2, D2 = _pair(arch, 32, seed=2)  # different initial weights
    before = _outputs(G2, D2)
    G2.load_state_dict(G.state_dict())
    D2.load_state_dict(D.state_dict())
    expected, after = _outputs(G, D), _outputs(G2, D2)
    assert not torch.equal(before[0], expected[0])
    assert torch.equal(after[0], expected[0])
    assert torch.equal(after[1], expected[1])


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_weights_only_checkpoint_round_trip(arch):
    G, D = _pair(arch, 16, seed=3)
    _exercise(G, D)
    buffer = io.BytesIO()
    torch.save({"G": G.state_dict(), "D": D.state_dict(), "step": 7}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    G2, D2 = _pair(arch, 16, seed=4)
    G2.load_state_dict(loaded["G"])
    D2.load_state_dict(loaded["D"])
    for a, b in zip(_outputs(G, D), _outputs(G2, D2)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_deepcopy_is_independent(arch):
    G, D = _pair(arch, 16, seed=5)
    _exercise(G, D)
    G_copy, D_copy = copy.deepcopy(G), copy.deepcopy(D)
    for a, b in zip(_outputs(G, D), _outputs(G_copy, D_copy)):
        assert torch.equal(a, b)
    assert G_copy.z_dim == G.z_dim and G_copy.resolution == G.resolution
    # Training the original must not touch the copy (the EMA generator relies on it).
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
        for p in D.parameters():
            p.add_(1.0)
    G_copy_images, D_copy_logits = _outputs(G_copy, D_copy)
    images, logits = _outputs(G, D)
    assert not torch.equal(G_copy_images, images)
    assert not torch.equal(D_copy_logits, logits)


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("channels_last", [False, True])
def test_bf16_autocast_and_channels_last_train_step(arch, channels_last):
    G, D = _pair(arch, 32, seed=6)
    if channels_last:
        G.to(memory_format=torch.channels_last)
        D.to(memory_format=torch.channels_last)
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    if channels_last:
        real = real.contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fake = G(torch.randn(4, Z_DIM))
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_d = d_loss("hinge", real_logits, fake_logits)
    assert fake.shape == (4, 3, 32, 32) and real_logits.shape == (4,) and fake_logits.shape == (4,)
    assert torch.isfinite(fake.float()).all() and torch.isfinite(real_logits.float()).all()
    assert fake.float().abs().max() <= 1.0
    loss_d.backward()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss_g = g_loss("hinge", D(fake))
    loss_g.backward()
    for model in (G, D):
        grads = [p.grad for p in model.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


def _toy_training(arch: str, loss: str, steps: int, width: int, lr: float, seed: int = 0) -> tuple[float, float]:
    """Train on images that are each one solid colour near a target colour.

    Returns the distance of G's mean colour from the target before and after training.
    (The colours vary a little from image to image: with identical real images the
    batch norm in DCGAN's discriminator would see zero variance and learn nothing.)
    """
    torch.manual_seed(seed)
    G = build_generator(arch, resolution=16, channels=3, z_dim=Z_DIM, width=width)
    D = build_discriminator(arch, resolution=16, channels=3, width=width)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    target = torch.tensor([0.8, -0.6, 0.2])  # an orange-ish colour, in [-1, 1] pixel units
    colours = torch.Generator().manual_seed(seed + 1)
    fixed_z = torch.randn(64, Z_DIM)

    def colour_error():
        G.eval()
        with torch.no_grad():
            mean = G(fixed_z).mean(dim=(0, 2, 3))
        G.train()
        return (mean - target).norm().item()

    start = colour_error()
    for _ in range(steps):
        jitter = 0.2 * (2 * torch.rand(16, 3, generator=colours) - 1)
        real = (target + jitter).view(16, 3, 1, 1).expand(16, 3, 16, 16)
        fake = G(torch.randn(16, Z_DIM))
        loss_d = d_loss(loss, D(real), D(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = g_loss(loss, D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return start, colour_error()


def test_dcgan_learns_a_solid_colour():
    start, end = _toy_training("dcgan", "ns", steps=200, width=16, lr=1e-3)
    assert end < 0.3 * start, (start, end)


def test_resnet_learns_a_solid_colour():
    start, end = _toy_training("resnet", "hinge", steps=100, width=8, lr=2e-3)
    assert end < 0.5 * start, (start, end)
