"""Training batches straight from a device-resident uint8 tensor.

A whole artist's data set (thousands of images at <= 256 px) fits in memory as
uint8, so there is no need for a DataLoader, worker processes or pinned-memory
copies per step: the set is moved to the device once and each batch is one
random gather. Keeping it uint8 (4x smaller than float) and converting only the
gathered batch keeps GPU memory for the models.
"""

from __future__ import annotations

import numpy as np
import torch


class ImageBank:
    def __init__(self, images: np.ndarray, device: torch.device | str = "cpu", *,
                 flip: bool = False, channels_last: bool = False):
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError("ImageBank needs a uint8 array shaped (N, H, W, C).")
        n, h, w, c = images.shape
        if n == 0:
            raise ValueError("ImageBank needs at least one image.")
        if h != w or c not in (1, 3):
            raise ValueError(f"ImageBank needs square images with 1 or 3 channels (got {h}x{w}x{c}).")
        self._images = np.ascontiguousarray(images)
        self.device = torch.device(device)
        # NHWC, as decoded. On the CPU this shares memory with the numpy array.
        self._data = torch.from_numpy(self._images).to(self.device)
        self.flip = flip
        self.channels_last = channels_last
        self.resolution = h
        self.channels = c

    def __len__(self) -> int:
        return self._images.shape[0]

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n images drawn with replacement, float32 (n, C, H, W) in [-1, 1].

        All randomness comes from `generator` (which must live on the bank's
        device), so the same generator state always gives the same batch.
        """
        idx = torch.randint(0, len(self), (n,), generator=generator, device=self.device)
        batch = self._data.index_select(0, idx)  # (n, H, W, C) uint8, a fresh tensor
        if self.flip:
            mirror = torch.rand(n, generator=generator, device=self.device) < 0.5
            # Flip the width axis (dim 2 in NHWC) for the chosen images only.
            batch = torch.where(mirror[:, None, None, None], batch.flip(2), batch)
        # NHWC -> NCHW as a view: its strides are exactly channels_last.
        x = batch.permute(0, 3, 1, 2)
        x = x.contiguous(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)
        # 255 / 127.5 is exactly 2.0, so the range is exactly [-1, 1].
        return x.float().div_(127.5).sub_(1.0)

    def all_images(self) -> np.ndarray:
        """The whole set as uint8 (N, H, W, C), e.g. for metrics."""
        return self._images
