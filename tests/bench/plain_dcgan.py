"""The baseline every benchmark compares against: the classic PyTorch DCGAN example loop.

Textbook loss (BCE on D's logits), Adam 2e-4 with betas 0.5/0.999, batch 64, fp32, a
DataLoader over float images in host memory with each batch copied to the device, D's
weight gradients computed in the generator step, and one loss read back per step (the
example prints losses as it goes). On a GPU it sets `cudnn.benchmark`, as the example
does. It uses the same layers as GAN Studio so that any difference comes from how the
model is trained, with PyTorch's own convolutions (`use_stock_convolutions`): the
example's `nn.Conv2d` and `nn.ConvTranspose2d`, not the engine's faster CPU routes for
the same layers. `arch="resnet"` runs the same loop over the app's residual networks
(the GPU presets' kind), for the speed benchmark on a GPU.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ganstudio.explore.latent import render
from ganstudio.models import build_discriminator, build_generator
from ganstudio.accel.cpu_conv import use_stock_convolutions

WIDTH, Z_DIM, BATCH = 64, 100, 64


class PlainDCGAN:
    def __init__(
        self, images: np.ndarray, *, width: int = WIDTH, z_dim: int = Z_DIM, batch: int = BATCH, seed: int = 0,
        arch: str = "dcgan", device: str | torch.device = "cpu",
    ):
        torch.manual_seed(seed)
        self.device = torch.device(device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        resolution, channels = images.shape[1], images.shape[3]
        data = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        self.loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(data), batch_size=batch, shuffle=True, drop_last=len(data) >= batch
        )
        self.batches = iter(self.loader)
        self.z_dim = z_dim
        self.G = use_stock_convolutions(build_generator(arch, resolution=resolution, channels=channels, z_dim=z_dim, width=width))
        self.D = use_stock_convolutions(build_discriminator(arch, resolution=resolution, channels=channels, width=width))
        self.G.to(self.device)
        self.D.to(self.device)
        self.criterion = nn.BCEWithLogitsLoss()
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.steps = 0

    def _next_real(self) -> torch.Tensor:
        try:
            (real,) = next(self.batches)
        except StopIteration:  # a new epoch
            self.batches = iter(self.loader)
            (real,) = next(self.batches)
        return real.to(self.device)

    def step(self) -> float:
        """One textbook step; returns G's loss (reading it back is part of the example's cost)."""
        real = self._next_real()
        b = real.size(0)
        ones, zeros = torch.ones(b, device=self.device), torch.zeros(b, device=self.device)
        self.D.zero_grad()
        self.criterion(self.D(real), ones).backward()
        fake = self.G(torch.randn(b, self.z_dim, device=self.device))
        self.criterion(self.D(fake.detach()), zeros).backward()
        self.opt_d.step()
        self.G.zero_grad()
        err_g = self.criterion(self.D(fake), ones)
        err_g.backward()
        self.opt_g.step()
        self.steps += 1
        return float(err_g.detach())

    def samples(self, z: torch.Tensor) -> np.ndarray:
        """uint8 NHWC images from G for the given latents (the example has no EMA copy)."""
        return render(self.G, z)
