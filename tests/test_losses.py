"""GAN objectives and penalties: known values, gradient directions, dtype handling."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganstudio.training.losses import LOSSES, d_accuracy_stats, d_loss, g_loss, gradient_penalty, r1_penalty
from ganstudio.models import build_discriminator

BIG = 30.0  # a logit D is certain about: sigmoid(30) = 1 - 1e-13




def _logits(*values):
    return torch.tensor(values, dtype=torch.float32)


def test_ns_known_values():
    # D certain and right: loss ~ 0. D undecided (logit 0): log 2 for each half.
    assert d_loss("ns", _logits(BIG, BIG), _logits(-BIG, -BIG)).item() == pytest.approx(0.0, abs=1e-9)
    assert d_loss("ns", _logits(0.0), _logits(0.0)).item() == pytest.approx(2 * math.log(2))
    assert g_loss("ns", _logits(0.0)).item() == pytest.approx(math.log(2))
    assert g_loss("ns", _logits(BIG)).item() == pytest.approx(0.0, abs=1e-9)
    # D certain and wrong: no overflow, loss grows linearly with the logit (softplus).
    assert d_loss("ns", _logits(-1000.0), _logits(1000.0)).item() == pytest.approx(2000.0)
    assert g_loss("ns", _logits(-1000.0)).item() == pytest.approx(1000.0)


def test_hinge_known_values():
    assert d_loss("hinge", _logits(0.0, 0.0), _logits(0.0, 0.0)).item() == pytest.approx(2.0)
    # Beyond the margin of 1 nothing more is asked of D.
    assert d_loss("hinge", _logits(1.0, 5.0), _logits(-1.0, -7.0)).item() == 0.0
    assert d_loss("hinge", _logits(0.5), _logits(0.5)).item() == pytest.approx(0.5 + 1.5)
    assert g_loss("hinge", _logits(2.0, -4.0)).item() == pytest.approx(1.0)


def test_lsgan_known_values():
    assert d_loss("lsgan", _logits(1.0), _logits(0.0)).item() == 0.0  # on target
    assert d_loss("lsgan", _logits(0.0), _logits(0.0)).item() == pytest.approx(0.5)
    assert d_loss("lsgan", _logits(3.0), _logits(-2.0)).item() == pytest.approx(0.5 * 4 + 0.5 * 4)
    assert g_loss("lsgan", _logits(1.0)).item() == 0.0
    assert g_loss("lsgan", _logits(0.0, 2.0)).item() == pytest.approx(0.5)


def test_wgan_known_values():
    assert d_loss("wgan-gp", _logits(3.0, 1.0), _logits(-1.0, 0.0)).item() == pytest.approx(-0.5 - 2.0)
    assert g_loss("wgan-gp", _logits(3.0, 1.0)).item() == pytest.approx(-2.0)


@pytest.mark.parametrize("kind", LOSSES)
def test_gradients_point_the_right_way(kind):
    # Starting from an undecided D (logits between LSGAN's targets 0 and 1), a gradient
    # descent step on the D loss raises real logits and lowers fake ones; on the G loss
    # it raises fake logits.
    real = _logits(0.1, 0.4, 0.3).requires_grad_(True)
    fake = _logits(0.1, 0.2, 0.05).requires_grad_(True)
    d_loss(kind, real, fake).backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()
    fake_g = _logits(0.1, 0.2, 0.05).requires_grad_(True)
    g_loss(kind, fake_g, _logits(0.1, 0.4, 0.3)).backward()
    assert (fake_g.grad < 0).all()


@pytest.mark.parametrize("kind", LOSSES)
def test_scalar_float32_from_bf16_logits(kind):
    real = torch.randn(8).to(torch.bfloat16)
    fake = torch.randn(8).to(torch.bfloat16)
    for loss in (d_loss(kind, real, fake), g_loss(kind, fake, real)):
        assert loss.shape == () and loss.dtype == torch.float32 and torch.isfinite(loss)


def test_rpgan_judges_each_fake_against_its_real_pair():
    # Only the gap within a pair counts: shifting both by the same amount changes nothing.
    real, fake = _logits(2.0, -1.0), _logits(0.0, -3.0)
    assert d_loss("rpgan", real, fake).item() == pytest.approx(math.log1p(math.exp(-2.0)))
    assert d_loss("rpgan", real + 5, fake + 5).item() == pytest.approx(d_loss("rpgan", real, fake).item())
    assert g_loss("rpgan", fake, real).item() == pytest.approx(math.log1p(math.exp(2.0)))
    with pytest.raises(ValueError, match="pass real_logits"):
        g_loss("rpgan", fake)


def test_unknown_kind_lists_choices():
    for fn, args in ((d_loss, (_logits(0.0), _logits(0.0))), (g_loss, (_logits(0.0),))):
        with pytest.raises(ValueError, match="ns, hinge, lsgan, wgan-gp"):
            fn("minimax", *args)


class LinearCritic(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere."""

    def __init__(self, scale: float, shape=(3, 8, 8)):
        super().__init__()
        w = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        self.w = nn.Parameter(w / w.norm() * scale)

    def forward(self, x):
        return (x * self.w).flatten(1).sum(dim=1)


def _images(seed, n=4):
    return torch.rand(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_gradient_penalty_zero_for_unit_gradient_norm():
    gp = gradient_penalty(LinearCritic(1.0), _images(1), _images(2), torch.Generator().manual_seed(0))
    assert gp.dtype == torch.float32 and gp.shape == ()
    assert gp.item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_value_and_gradient_for_steep_critic():
    critic = LinearCritic(3.0)
    gp = gradient_penalty(critic, _images(1), _images(2), torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((3.0 - 1.0) ** 2, rel=1e-5)
    gp.backward()  # create_graph=True: the penalty trains the critic...
    assert critic.w.grad is not None
    # ...toward a gradient norm of 1, i.e. shrinking w: the gradient points along w.
    assert torch.nn.functional.cosine_similarity(critic.w.grad.flatten(), critic.w.flatten(), dim=0) > 0.999


def test_gradient_penalty_uses_the_generator_and_trains_only_d():
    D = build_discriminator("resnet", resolution=16, channels=3, width=8)
    D.eval()  # freeze spectral norm's power iteration so repeated calls see the same D
    real = _images(1).repeat(1, 1, 2, 2)
    fake = _images(2).repeat(1, 1, 2, 2).requires_grad_(True)
    a = gradient_penalty(D, real, fake, torch.Generator().manual_seed(5))
    b = gradient_penalty(D, real, fake, torch.Generator().manual_seed(5))
    c = gradient_penalty(D, real, fake, torch.Generator().manual_seed(6))
    assert a.item() == b.item() != c.item()
    assert a.item() > 0
    a.backward()
    assert fake.grad is None  # the penalty does not reach the generator
    weights = [p for name, p in D.named_parameters() if name.endswith("weight.original")]
    assert weights and all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_penalties_under_bf16_autocast_are_float32(arch):
    torch.manual_seed(0)
    D = build_discriminator(arch, resolution=16, channels=3, width=8)
    real = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_(True)
    fake = torch.rand(4, 3, 16, 16) * 2 - 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = D(real)
        r1 = r1_penalty(logits, real)
        gp = gradient_penalty(D, real, fake, torch.Generator().manual_seed(0))
    for value in (r1, gp):
        assert value.dtype == torch.float32 and value.shape == () and torch.isfinite(value)
        assert value.item() > 0
    (r1 + gp).backward()
    grads = [p.grad for p in D.parameters() if p.grad is not None]  # biases get none from a slope penalty
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_r1_zero_for_constant_d():
    x = _images(3).requires_grad_(True)
    bias = nn.Parameter(torch.tensor(0.7))
    logits = 0.0 * x.flatten(1).sum(dim=1) + bias  # D ignores its input
    assert r1_penalty(logits, x).item() == 0.0


def test_r1_equals_squared_gradient_norm():
    critic = LinearCritic(2.5)
    x = _images(4).requires_grad_(True)
    r1 = r1_penalty(critic(x), x)
    assert r1.item() == pytest.approx(2.5**2, rel=1e-5)
    r1.backward()  # differentiable w.r.t. D's weights (create_graph=True)
    assert torch.allclose(critic.w.grad, 2 * critic.w.detach(), rtol=1e-4)


def test_d_accuracy_stats_are_device_tensors():
    real, fake = d_accuracy_stats(_logits(BIG, BIG).requires_grad_(True), _logits(-BIG, 0.0))
    assert isinstance(real, torch.Tensor) and isinstance(fake, torch.Tensor)
    assert not real.requires_grad
    assert real.item() == pytest.approx(1.0) and fake.item() == pytest.approx(0.25)
    real, fake = d_accuracy_stats(torch.zeros(3, dtype=torch.bfloat16), torch.zeros(3))
    assert real.dtype == torch.float32 and real.item() == 0.5 and fake.item() == 0.5
