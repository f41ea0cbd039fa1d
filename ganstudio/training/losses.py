"""GAN objectives and regularisers.

All functions take raw discriminator outputs ("logits", any real number; shape (N,))
and return scalar tensors averaged over the batch. Nothing here reads a value back to
the host (.item(), float(), printing), so a training step never waits for the GPU.

Logits are cast to float32 before any arithmetic: under bf16 autocast the
discriminator's output has about 3 significant digits, which is fine for the
forward pass but not for summing a loss or squaring a gradient norm.

Objectives (d = discriminator loss, g = generator loss; r, f = real, fake logits):

  ns       non-saturating cross-entropy, the textbook GAN loss (Goodfellow 2014):
           d = softplus(-r) + softplus(f),  g = softplus(-f).
           softplus(t) = log(1 + e^t) is the same as -log(sigmoid(-t)) but never
           overflows or takes log(0), however large the logits get.
  hinge    (Lim & Ye 2017; SNGAN, BigGAN):  d = relu(1 - r) + relu(1 + f),  g = -f.
           D stops pushing once an image is classified with a margin of 1.
  lsgan    least squares (Mao et al. 2017), targets 1 for real and 0 for fake:
           d = ((r - 1)^2 + f^2) / 2,  g = (f - 1)^2 / 2.
  rpgan    relativistic pairing (Jolicoeur-Martineau 2018; R3GAN, Huang et al. 2024): each
           real image is paired with a fake one and D judges which of the two is real:
           d = softplus(f - r),  g = softplus(r - f)  (r, f of the same pair).
           R3GAN adds zero-centred gradient penalties on both sides, R1 on reals and R2
           on fakes (`r1_penalty` on either), which the trainer applies with this loss.
  wgan-gp  Wasserstein critic (Arjovsky 2017; Gulrajani 2017):  d = f - r,  g = -f.
           Only meaningful with `gradient_penalty` added to d (weight 10 in the paper);
           the caller adds it, so that it can run it less often or skip it.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import Tensor

LOSSES = ("ns", "hinge", "lsgan", "wgan-gp", "rpgan")

# One-line explanations for the settings panel.
DESCRIPTIONS = {
    "ns": "Standard GAN loss (non-saturating). A safe default.",
    "hinge": "Hinge loss. Usually the best partner for the ResNet architecture.",
    "lsgan": "Least-squares loss. Smooth gradients; can help when training is jumpy.",
    "wgan-gp": "Wasserstein loss with gradient penalty. Very stable, but each step is "
    "about twice as slow.",
    "rpgan": "Relativistic pairing with R1 and R2 penalties (R3GAN): each real image is "
    "judged against a fake one. Best with a discriminator without batch norm.",
}


def _check_kind(kind: str) -> None:
    if kind not in LOSSES:
        raise ValueError(f"Unknown loss {kind!r}; choose one of: {', '.join(LOSSES)}.")


def d_loss(kind: str, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Discriminator loss (to minimise): a scalar, averaged over the batch."""
    _check_kind(kind)
    r, f = real_logits.float(), fake_logits.float()
    if kind == "ns":
        # -log sigmoid(r) - log(1 - sigmoid(f))
        return F.softplus(-r).mean() + F.softplus(f).mean()
    if kind == "hinge":
        return F.relu(1.0 - r).mean() + F.relu(1.0 + f).mean()
    if kind == "lsgan":
        return 0.5 * (r - 1.0).square().mean() + 0.5 * f.square().mean()
    if kind == "rpgan":
        return F.softplus(f - r).mean()  # -log sigmoid(r - f), pair by pair
    return f.mean() - r.mean()  # wgan-gp (add gradient_penalty * 10)


def g_loss(kind: str, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """Generator loss (to minimise): a scalar, averaged over the batch.

    `real_logits` (D's judgement of as many real images, no gradient needed) only for rpgan.
    """
    _check_kind(kind)
    f = fake_logits.float()
    if kind == "rpgan":
        if real_logits is None:
            raise ValueError("The rpgan loss judges fakes against reals: pass real_logits.")
        return F.softplus(real_logits.detach().float() - f).mean()
    if kind == "ns":
        # -log sigmoid(f): the "non-saturating" form. The minimax form log(1 - sigmoid(f))
        # has a vanishing gradient exactly when G is losing badly, early in training.
        return F.softplus(-f).mean()
    if kind == "lsgan":
        return 0.5 * (f - 1.0).square().mean()
    return -f.mean()  # hinge and wgan-gp


def _input_gradient(logits: Tensor, inputs: Tensor) -> Tensor:
    """d(sum of logits)/d(inputs) in float32, kept in the graph for a second backward.

    Summing the logits gives each image's own gradient in one backward pass, because
    each logit depends only on its own image (true for any D without batch norm; with
    batch norm in train mode the images interact and the result is an approximation).
    The backward runs with autocast off, as PyTorch recommends: the forward ops keep
    the precision they ran in, but the penalty maths on top runs in float32.
    """
    with _autocast_off(inputs.device.type):
        (grad,) = torch.autograd.grad(logits.float().sum(), inputs, create_graph=True)
    return grad.float()


def _autocast_off(device_type: str):
    available = getattr(torch.amp, "is_autocast_available", None)  # torch >= 2.4
    if available(device_type) if available else device_type in ("cpu", "cuda"):
        return torch.autocast(device_type=device_type, enabled=False)
    return contextlib.nullcontext()


def gradient_penalty(
    D, real: Tensor, fake: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): mean over the batch of (||grad D(x_hat)|| - 1)^2.

    x_hat = alpha * real + (1 - alpha) * fake with one alpha ~ U[0, 1) per image, drawn
    from `generator` (which may live on the CPU or on real's device). Pulls the critic
    toward gradient norm 1 on the lines between real and fake images, a soft version
    of the 1-Lipschitz constraint the Wasserstein loss needs. Multiply by the weight
    (10 in the paper) and add it to the critic's loss. D is run once more, here.
    """
    n = real.shape[0]
    rng_device = generator.device if generator is not None else real.device
    alpha = torch.rand((n,) + (1,) * (real.dim() - 1), generator=generator, device=rng_device)
    alpha = alpha.to(real.device)
    # Detached: the penalty trains D only; G gets no gradient from it.
    x_hat = torch.lerp(fake.detach().float(), real.detach().float(), alpha)  # fake + alpha*(real-fake)
    x_hat.requires_grad_(True)
    grad = _input_gradient(D(x_hat), x_hat)
    norm = grad.flatten(1).norm(2, dim=1)
    return (norm - 1.0).square().mean()


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """R1 penalty (Mescheder et al. 2018): mean over the batch of ||grad_x D(x)||^2 on reals.

    Usage:  real = real.detach().requires_grad_(True); logits = D(real);
            loss = d_loss(...) + gamma / 2 * r1_penalty(logits, real)
    Penalising D's slope at the real images stops it from sharpening around them,
    which is what makes GAN training oscillate instead of converge.
    """
    grad = _input_gradient(real_logits, real)
    return grad.square().flatten(1).sum(dim=1).mean()


@torch.no_grad()
def d_accuracy_stats(real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """Mean D(x) and D(G(z)) as probabilities in [0, 1], as 0-dim tensors on the device.

    D(x) near 1 and D(G(z)) near 0 means the discriminator is winning easily (often a
    sign of overfitting on a small data set); both near 0.5 is the balanced state.
    Read them back once per tick, not per step.
    """
    return torch.sigmoid(real_logits.float()).mean(), torch.sigmoid(fake_logits.float()).mean()
