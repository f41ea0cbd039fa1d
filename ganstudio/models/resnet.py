"""Residual GAN in the style of SNGAN (Miyato et al. 2018) and BigGAN (Brock et al. 2019).

Stronger than DCGAN on small data sets, mainly because of the discriminator: every
one of its layers is spectrally normalised, which bounds how sharply it can react to a
small change in the image (its Lipschitz constant). That keeps its gradients useful to
the generator and makes it much harder for it to memorise 200 training images.

Generator: a linear layer makes a 4x4 map from z, then log2(R) - 2 residual up-blocks
double it to R x R, then batch norm, ReLU, a 3x3 conv to image channels and tanh.

Discriminator: log2(R) - 2 residual down-blocks take the image to 4x4, then ReLU,
a sum over the 4x4 positions and a linear layer to one logit. Spectral norm on every
conv and linear layer; no batch norm (it would couple the images of a batch, which
spectral norm and the gradient penalties do not want).

Channel counts follow the same schedule as DCGAN (`stage_channels`), so width 64 at
32 px gives 256/128/64/32 channels at 4/8/16/32 px. Both networks keep their widest
layers at the smallest maps and are narrowest (width / 2) at full resolution, where a
3x3 conv costs the most; this is what keeps a 32 px model trainable on a laptop CPU.
Measured on a 2-core CPU at 32 px, width 64, batch 64, a training step takes about
2.5-3x as long as the DCGAN's (the published CIFAR networks use 128-256 channels at
every size and would be many times slower). The discriminator is the leaner of the
two (0.3 M weights vs 1.0 M at 32 px): giving it the generator's channel counts
doubles the step time; raise `width` for a stronger one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganstudio.models.dcgan import check_positive, check_resolution, stage_channels


def _init(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Xavier-uniform weights, zero bias, as in SNGAN.

    A gain of sqrt(2) on convs that feed a ReLU keeps the activation scale steady
    through the residual branch; 1 for shortcuts and the final layers.
    Must run before spectral_norm wraps the layer (it re-parametrises `weight`).
    """
    nn.init.xavier_uniform_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


class UpBlock(nn.Module):
    """(N, in_ch, s, s) -> (N, out_ch, 2s, 2s).

    Residual branch: BN, ReLU, nearest 2x upsample, 3x3 conv, BN, ReLU, 3x3 conv.
    Shortcut: upsample, plus a 1x1 conv when the channel count changes.
    """

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        # No bias: bn2 right after it adds its own shift.
        self.conv1 = _init(nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), math.sqrt(2))
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = _init(nn.Conv2d(out_ch, out_ch, 3, padding=1), math.sqrt(2))
        self.shortcut = _init(nn.Conv2d(in_ch, out_ch, 1)) if in_ch != out_ch else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(x))                             # (N, in_ch, s, s)
        h = F.interpolate(h, scale_factor=2, mode="nearest")  # (N, in_ch, 2s, 2s)
        h = self.conv1(h)                                   # (N, out_ch, 2s, 2s)
        h = self.conv2(F.relu(self.bn2(h)))                 # (N, out_ch, 2s, 2s)
        # A 1x1 conv and nearest upsampling commute (one mixes channels per pixel, the
        # other copies pixels), so do the conv on the small map: 4x fewer operations.
        s = x if self.shortcut is None else self.shortcut(x)  # (N, out_ch, s, s)
        return h + F.interpolate(s, scale_factor=2, mode="nearest")


class DownBlock(nn.Module):
    """(N, in_ch, s, s) -> (N, out_ch, s/2, s/2), every layer spectrally normalised.

    Residual branch: ReLU, 3x3 conv, ReLU, 3x3 conv, 2x2 average pool.
    The first block sees the image itself, so it skips the leading ReLU (it would
    throw away the negative half of the pixel range).
    Shortcut: average pool, plus a 1x1 conv when the channel count changes.
    """

    def __init__(self, in_ch: int, out_ch: int, first: bool = False):
        super().__init__()
        self.first = first
        self.conv1 = spectral_norm(_init(nn.Conv2d(in_ch, out_ch, 3, padding=1), math.sqrt(2)))
        self.conv2 = spectral_norm(_init(nn.Conv2d(out_ch, out_ch, 3, padding=1), math.sqrt(2)))
        self.shortcut = (
            spectral_norm(_init(nn.Conv2d(in_ch, out_ch, 1))) if in_ch != out_ch else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)  # not in-place: x is still needed for the shortcut
        h = self.conv1(h)                   # (N, out_ch, s, s)
        h = self.conv2(F.relu(h))           # (N, out_ch, s, s)
        h = F.avg_pool2d(h, 2)              # (N, out_ch, s/2, s/2)
        # Average pooling and a 1x1 conv commute too: pool first, convolve 4x fewer pixels.
        s = F.avg_pool2d(x, 2)              # (N, in_ch, s/2, s/2)
        if self.shortcut is not None:
            s = self.shortcut(s)            # (N, out_ch, s/2, s/2)
        return h + s


class ResNetGenerator(nn.Module):
    """z (N, z_dim) -> image (N, channels, R, R) in [-1, 1]."""

    def __init__(self, resolution: int = 32, channels: int = 3, z_dim: int = 128, width: int = 64):
        super().__init__()
        check_resolution(resolution)
        self.resolution = resolution
        self.channels = check_positive("Number of image channels", channels)
        self.z_dim = check_positive("Latent size (z_dim)", z_dim)
        self.width = check_positive("Network width", width)

        # Shapes for R = 32, width = 64, z_dim = 128, 3 channels. Other sizes add or
        # remove up-blocks: there are always log2(R) - 2 of them (2 at 16 px, 6 at 256 px).
        self.start_channels = stage_channels(resolution, width, 4)
        # z: (N, 128) -> (N, 256 * 4 * 4), viewed as (N, 256, 4, 4)
        self.fc = _init(nn.Linear(z_dim, self.start_channels * 16))
        blocks = []
        size, ch = 4, self.start_channels
        while size < resolution:
            out_ch = stage_channels(resolution, width, 2 * size)
            blocks.append(UpBlock(ch, out_ch))
            # -> (N, 128, 8, 8), then (N, 64, 16, 16), then (N, 32, 32, 32)
            size, ch = 2 * size, out_ch
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Sequential(
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            _init(nn.Conv2d(ch, channels, 3, padding=1)),  # -> (N, 3, 32, 32)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z.reshape(z.shape[0], self.z_dim))
        h = h.view(z.shape[0], self.start_channels, 4, 4)
        return self.out(self.blocks(h))


class ResNetDiscriminator(nn.Module):
    """image (N, channels, R, R) -> one raw logit per image, shape (N,)."""

    def __init__(self, resolution: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        check_resolution(resolution)
        self.resolution = resolution
        self.channels = check_positive("Number of image channels", channels)
        self.width = check_positive("Network width", width)

        # Shapes for R = 32, width = 64, 3 channels; log2(R) - 2 down-blocks in general.
        # Each block convolves at its input size with the channel count the generator
        # has at that size, so both networks are narrowest at full resolution.
        # input: (N, 3, 32, 32)
        blocks = []
        size, ch = resolution, channels
        while size > 4:
            out_ch = stage_channels(resolution, width, size)
            blocks.append(DownBlock(ch, out_ch, first=not blocks))
            # -> (N, 32, 16, 16), then (N, 64, 8, 8), then (N, 128, 4, 4)
            size, ch = size // 2, out_ch
        self.blocks = nn.Sequential(*blocks)
        self.fc = spectral_norm(_init(nn.Linear(ch, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(x))          # (N, 128, 4, 4)
        # Sum over positions, not mean (as SNGAN does): spectral norm already caps
        # every layer's gain at 1, and a mean would shrink the logits by another 16x.
        h = h.sum(dim=(2, 3))               # (N, 128)
        return self.fc(h).reshape(-1)       # (N, 1) -> (N,)
