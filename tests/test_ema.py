"""The averaged generator: its decay per step, its weights, and its batch-norm statistics."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tiny_runs import tiny_config
from ganstudio.checkpoint import load_checkpoint
from ganstudio.training.ema import ema_beta, make_ema_copy, recalibrate_batch_norm, update_ema
from ganstudio.training.trainer import Trainer
from ganstudio.models import build_generator


def _generator(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_generator("dcgan", resolution=16, channels=3, z_dim=16, width=8)


def _norms(module: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def test_half_life_is_measured_in_images_and_ramps_up():
    # After half_life images the old weights count half, whatever the batch.
    for batch in (8, 64):
        beta = ema_beta(batch, images_seen=10**6, half_life_images=5_000, rampup=0.0)
        assert beta ** (5_000 / batch) == pytest.approx(0.5)
    # Early on the ramp-up caps the half-life at a fraction of the images seen.
    early = ema_beta(64, images_seen=6_400, half_life_images=5_000, rampup=0.05)
    assert early == pytest.approx(0.5 ** (64 / 320))
    assert ema_beta(64, images_seen=0, half_life_images=5_000, rampup=0.05) == 0.0


def test_update_moves_each_weight_by_one_minus_beta():
    generator = _generator()
    ema = make_ema_copy(generator)
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(1.0)
    before = [p.clone() for p in ema.parameters()]
    update_ema(ema, generator, beta=0.75)
    for old, new in zip(before, ema.parameters()):
        torch.testing.assert_close(new, old + 0.25)
    assert not any(p.requires_grad for p in ema.parameters())


def test_recalibrated_statistics_are_the_generators_own():
    """Each BN's running mean and variance become those of its inputs over the latents."""
    generator = make_ema_copy(_generator())
    with torch.no_grad():  # weights that no longer fit the statistics, as after averaging
        for m in generator.modules():
            if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
                m.weight.mul_(3.0)
    z = torch.randn(128, 16, generator=torch.Generator().manual_seed(1))
    weights = [p.clone() for p in generator.parameters()]
    norms = _norms(generator)
    assert norms, "the DCGAN generator has batch norm"
    momenta = [m.momentum for m in norms]

    assert recalibrate_batch_norm(generator, z, batch_size=64)

    # What each BN layer now sees in eval mode, over the same latents.
    seen: dict[nn.Module, list[torch.Tensor]] = {m: [] for m in norms}
    hooks = [m.register_forward_pre_hook(lambda mod, args: seen[mod].append(args[0].detach())) for m in norms]
    with torch.no_grad():
        for start in (0, 64):
            generator(z[start : start + 64])
    for h in hooks:
        h.remove()
    # The first layer's inputs do not depend on any statistics: its figures are exact
    # (the average of the two batches' means and unbiased variances).
    first = seen[norms[0]]
    torch.testing.assert_close(norms[0].running_mean, torch.stack([b.mean(dim=(0, 2, 3)) for b in first]).mean(0))
    torch.testing.assert_close(norms[0].running_var, torch.stack([b.var(dim=(0, 2, 3)) for b in first]).mean(0))
    # Every layer normalises what it sees to about zero mean and unit variance.
    for m in norms:
        x = torch.cat(seen[m])
        normalised = (x - m.running_mean.view(1, -1, 1, 1)) / torch.sqrt(m.running_var.view(1, -1, 1, 1) + m.eps)
        assert normalised.mean(dim=(0, 2, 3)).abs().max() < 0.1
        assert ((normalised.std(dim=(0, 2, 3)) - 1).abs() < 0.1).all()
    # Nothing else changed: weights, modes (still eval), momenta.
    for old, new in zip(weights, generator.parameters()):
        assert torch.equal(old, new)
    assert not any(m.training for m in generator.modules())
    assert [m.momentum for m in norms] == momenta


def test_recalibration_restores_contrast_that_copied_statistics_lose():
    """With weights that drifted from the statistics, the images fade; re-measured, they come back."""
    generator = make_ema_copy(_generator())
    z = torch.randn(256, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        fitted = make_ema_copy(generator)
        recalibrate_batch_norm(fitted, z)
        reference = fitted(z).std().item()
        # The last hidden layer's weights shrink (as averaging many noisy updates does),
        # but its statistics still describe the old weights: activations come out faint.
        convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
        convs[-2].weight.mul_(0.2)
        recalibrate_batch_norm(fitted, z)  # statistics of the fitted copy stay matched
        stale = make_ema_copy(generator)
        for src, dst in zip(_norms(fitted), _norms(stale)):  # statistics from before the change
            dst.running_mean.copy_(src.running_mean)
            dst.running_var.copy_(src.running_var)
        faded = stale(z).std().item()
        recalibrate_batch_norm(stale, z)
        restored = stale(z).std().item()
    assert faded < 0.7 * reference
    assert restored == pytest.approx(reference, rel=0.25)


def test_a_generator_without_batch_norm_is_left_alone():
    plain = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    before = [p.clone() for p in plain.parameters()]
    assert recalibrate_batch_norm(plain, torch.randn(8, 4)) is False
    assert all(torch.equal(a, b) for a, b in zip(before, plain.parameters()))


def test_trainer_saves_and_shows_the_averaged_generators_own_statistics(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    trainer = Trainer(tiny_config(), tiny_images, run_dir, device="cpu")
    reports = list(trainer.run())
    assert reports[-1].state == "finished"

    saved = load_checkpoint(run_dir / "checkpoints" / "latest.pt")["G_ema"]
    shown = reports[-1].ema_generator
    check = make_ema_copy(trainer.G_ema)
    recalibrate_batch_norm(check, trainer._norm_z)
    names = [name for name, _ in check.named_buffers() if name.endswith("running_mean")]
    assert names
    trained = dict(trainer.G.named_buffers())
    for name in names:
        torch.testing.assert_close(saved[name], dict(check.named_buffers())[name])
        torch.testing.assert_close(dict(shown.named_buffers())[name], saved[name])
        # ...which are not the trained generator's: its weights differ from the average.
        assert not torch.allclose(saved[name], trained[name])
    assert math.isfinite(float(saved[names[0]].sum()))
