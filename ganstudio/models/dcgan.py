"""DCGAN: the deep convolutional GAN of Radford, Metz & Chintala (2015), sized to the image.

The paper's network works on 64x64 images. Its recipe is what made GANs train reliably
with plain convolutions, and it is the baseline every later architecture is compared
with:

* no pooling: the generator upsamples with stride-2 transposed convolutions and the
  discriminator downsamples with stride-2 convolutions, so both learn their own
  resampling;
* batch normalisation in both networks, except on the generator's output layer and on
  the discriminator's input layer (the paper found that normalising those two made the
  samples oscillate);
* ReLU in the generator, tanh on its output (images live in [-1, 1]); LeakyReLU with
  slope 0.2 in the discriminator;
* every weight drawn from N(0, 0.02), batch-norm scales from N(1, 0.02).

Here the same network is grown or shrunk to any power-of-two resolution from 16 to 256:
the generator always starts from a 4x4 map and doubles the size log2(R) - 2 times, and
the discriminator undoes that. Channel counts halve each time the resolution doubles,
so that at 64 px with width 64 the layers are exactly the paper's (512, 256, 128, 64);
at larger sizes they are capped at min(8 * width, 512) so that a 256 px model still has
a sane number of weights (about 12 M per network at width 64).

The layers are PyTorch's own; on a CPU the trainer may give them faster routes for
training (ganstudio/accel), which keep the same weights and state_dict.

This module also holds the two helpers that the ResNet models share:
`check_resolution` and `stage_channels`.
"""

from __future__ import annotations

import operator

import torch
from torch import nn


MIN_RESOLUTION = 16
MAX_RESOLUTION = 256
MAX_CHANNELS = 512


def check_resolution(resolution: int) -> int:
    """Return log2(resolution); raise ValueError unless it is a power of two in 16..256."""
    try:
        value = operator.index(resolution)  # accepts int and numpy ints, refuses 64.0 and "64"
    except TypeError:
        value = None
    if value is None or isinstance(resolution, bool) or not (
        MIN_RESOLUTION <= value <= MAX_RESOLUTION and value & (value - 1) == 0
    ):
        raise ValueError(
            f"Image size must be 16, 32, 64, 128 or 256 pixels; got {resolution!r}."
        )
    return value.bit_length() - 1


def check_positive(name: str, value: int) -> int:
    """Return value as an int; raise ValueError unless it is a whole number >= 1."""
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}.")
    return number


def stage_channels(resolution: int, width: int, size: int) -> int:
    """Number of feature channels the networks use at a `size` x `size` stage.

    Channels halve as the maps double in size: `width` at half the image size, so the
    64 px, width 64 case gives the paper's 512/256/128/64 at 4/8/16/32 px. Capped at
    min(8 * width, 512): without the cap a 256 px model would start from 2048 channels.
    """
    return max(1, min(width * resolution // (2 * size), 8 * width, MAX_CHANNELS))


def dcgan_init(module: nn.Module) -> None:
    """The paper's initialisation, applied to every layer of `module`.

    Conv / transposed-conv / linear weights ~ N(0, 0.02), biases 0; batch-norm scale
    ~ N(1, 0.02) and shift 0. (A spectrally normalised layer has its raw weight in
    `parametrizations.weight.original`; that is what gets initialised.)
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            parametrizations = getattr(layer, "parametrizations", None)
            weight = (
                parametrizations.weight.original
                if parametrizations is not None and "weight" in parametrizations
                else layer.weight
            )
            nn.init.normal_(weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class DCGANGenerator(nn.Module):
    """z (N, z_dim) -> image (N, channels, R, R) in [-1, 1]."""

    def __init__(self, resolution: int = 64, channels: int = 3, z_dim: int = 100, width: int = 64):
        super().__init__()
        check_resolution(resolution)
        self.resolution = resolution
        self.channels = check_positive("Number of image channels", channels)
        self.z_dim = check_positive("Latent size (z_dim)", z_dim)
        self.width = check_positive("Network width", width)

        # Shapes below are for the paper's case: R = 64, width = 64, z_dim = 100, 3 channels.
        # For another R the first and last layers stay the same, and the middle loop
        # just runs log2(R) - 3 times instead of 3 (once at 16 px, 5 times at 256 px).
        ch = stage_channels(resolution, width, 4)
        layers: list[nn.Module] = [
            # z seen as a 1x1 image: (N, 100, 1, 1). A 4x4 transposed conv on a 1x1 input
            # is a linear layer whose output is laid out as a 4x4 map.
            nn.ConvTranspose2d(z_dim, ch, kernel_size=4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ch),  # bias=False above: batch norm's shift does that job
            nn.ReLU(inplace=True),
            # -> (N, 512, 4, 4)
        ]
        size = 4
        while size < resolution // 2:
            # Each stride-2, 4x4 transposed conv (padding 1) doubles the size exactly;
            # the kernel (4) is a multiple of the stride (2), which avoids the
            # checkerboard pattern an odd kernel would leave.
            out_ch = stage_channels(resolution, width, 2 * size)
            layers += [
                nn.ConvTranspose2d(ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(out_ch),
                nn.ReLU(inplace=True),
            ]
            # -> (N, 256, 8, 8), then (N, 128, 16, 16), then (N, 64, 32, 32)
            ch, size = out_ch, 2 * size
        layers += [
            # Last doubling straight to image channels: no batch norm on the output layer.
            nn.ConvTranspose2d(ch, channels, kernel_size=4, stride=2, padding=1, bias=False),
            # -> (N, 3, 64, 64)
            nn.Tanh(),  # pixels in [-1, 1], the range the data loader scales images to
        ]
        self.main = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.z_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """image (N, channels, R, R) -> one raw logit per image, shape (N,)."""

    def __init__(self, resolution: int = 64, channels: int = 3, width: int = 64, batch_norm: bool = True):
        super().__init__()
        check_resolution(resolution)
        self.resolution = resolution
        self.channels = check_positive("Number of image channels", channels)
        self.width = check_positive("Network width", width)

        # The generator in reverse. Shapes for R = 64, width = 64, 3 channels; other sizes
        # run the middle loop log2(R) - 3 times.
        # input: (N, 3, 64, 64)
        ch = stage_channels(resolution, width, resolution // 2)
        layers: list[nn.Module] = [
            # No batch norm on the input layer (see module docstring).
            nn.Conv2d(channels, ch, kernel_size=4, stride=2, padding=1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # -> (N, 64, 32, 32)
        ]
        size = resolution // 2
        while size > 4:
            # stride-2, 4x4 conv, padding 1: halves the size exactly.
            out_ch = stage_channels(resolution, width, size // 2)
            layers += [
                # Without batch norm the convolution keeps its bias: nothing else shifts it.
                nn.Conv2d(ch, out_ch, kernel_size=4, stride=2, padding=1, bias=not batch_norm),
                nn.BatchNorm2d(out_ch) if batch_norm else nn.Identity(),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            # -> (N, 128, 16, 16), then (N, 256, 8, 8), then (N, 512, 4, 4)
            ch, size = out_ch, size // 2
        # A 4x4 conv without padding over the 4x4 map: one number per image.
        layers.append(nn.Conv2d(ch, 1, kernel_size=4, stride=1, padding=0, bias=False))
        # -> (N, 1, 1, 1); no sigmoid: the losses take raw logits (more stable in fp32/bf16)
        self.main = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).reshape(-1)  # (N, 1, 1, 1) -> (N,)
