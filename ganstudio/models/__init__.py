"""Generators and discriminators.

The engine builds models only through `build_generator` / `build_discriminator`, so a
new architecture is one module plus one line in `_REGISTRY`.

Every generator has `z_dim`, `resolution` and `channels` attributes and maps
z (N, z_dim) to images (N, channels, R, R) in [-1, 1]. Every discriminator maps such
images to raw logits of shape (N,). Builders return initialised models whose
`state_dict()` holds only tensors (safe for `torch.load(weights_only=True)`).
"""

from __future__ import annotations

from torch import nn

from ganstudio.models.dcgan import DCGANDiscriminator, DCGANGenerator, check_resolution, dcgan_init, stage_channels
from ganstudio.models.resnet import ResNetDiscriminator, ResNetGenerator

ARCHITECTURES = ("dcgan", "resnet")

# One-line explanations for the settings panel, so nobody has to read a paper.
DESCRIPTIONS = {
    "dcgan": "Classic and fast (DCGAN). A good first try, and the quickest on a CPU.",
    "resnet": "Residual networks with a spectrally normalised critic (SNGAN-style). "
    "Usually steadier, and often better on small image sets; about 3x slower per step.",
}

_REGISTRY = {
    "dcgan": (DCGANGenerator, DCGANDiscriminator),
    "resnet": (ResNetGenerator, ResNetDiscriminator),
}


def _classes(arch: str):
    try:
        return _REGISTRY[arch]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown architecture {arch!r}; choose one of: {', '.join(ARCHITECTURES)}."
        ) from None


def build_generator(arch: str, *, resolution: int, channels: int, z_dim: int, width: int) -> nn.Module:
    """An initialised generator: z (N, z_dim) -> (N, channels, resolution, resolution)."""
    generator_cls, _ = _classes(arch)
    return generator_cls(resolution=resolution, channels=channels, z_dim=z_dim, width=width)


def build_discriminator(arch: str, *, resolution: int, channels: int, width: int, batch_norm: bool = True) -> nn.Module:
    """An initialised discriminator: (N, channels, resolution, resolution) -> logits (N,).

    `batch_norm=False` drops the DCGAN discriminator's batch norm (the residual one has none).
    """
    _, discriminator_cls = _classes(arch)
    if arch == "dcgan":
        return discriminator_cls(resolution=resolution, channels=channels, width=width, batch_norm=batch_norm)
    return discriminator_cls(resolution=resolution, channels=channels, width=width)


def init_weights(module: nn.Module) -> None:
    """Re-apply the DCGAN initialisation (N(0, 0.02) weights, N(1, 0.02) BN scales).

    The builders already initialise their models (the ResNet ones with the Xavier init
    SNGAN uses); this is for callers that want to reset a DCGAN model in place.
    """
    dcgan_init(module)


__all__ = [
    "ARCHITECTURES",
    "DESCRIPTIONS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_discriminator",
    "build_generator",
    "check_resolution",
    "init_weights",
    "stage_channels",
]
