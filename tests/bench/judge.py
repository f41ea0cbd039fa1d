"""An independent judge of generated images: a classifier trained on labelled real images.

The app picks its 'best' generator by the sliced Wasserstein distance; judging it by the
same figure would flatter it. This judge is a small CNN trained, before any GAN runs, to
tell the classes of a real set apart (which letter, which emoji group, which photo) on
held-out real images that no GAN ever sees. Its penultimate layer is the feature space:

* Fréchet distance (FD) between the features of generated and real images, as FID does
  with Inception features (Heusel et al. 2017); lower is better. `floor` is the FD of
  other real images: what a perfect generator would score.
* Precision and recall (Kynkäänniemi et al. 2019, k = 3): the share of generated images
  inside the real images' k-NN balls, and of real images inside the generated ones'.
* Class coverage: the share of classes whose predicted share among the generated images
  is at least half their share among the real images (a generator that draws only "O"
  and "Q" covers 2 of 40 letters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

FEATURES = 128


class _Net(nn.Module):
    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),  # (32, 32, 32)
            nn.MaxPool2d(2),  # (32, 16, 16)
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),  # (64, 8, 8)
            nn.Conv2d(64, FEATURES, 3, padding=1), nn.BatchNorm2d(FEATURES), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),  # (128,)
        )
        self.head = nn.Linear(FEATURES, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


@dataclass(frozen=True)
class Score:
    fd: float
    precision: float
    recall: float
    coverage: float

    def __str__(self) -> str:
        return f"FD {self.fd:.2f} P {self.precision:.2f} R {self.recall:.2f} cov {self.coverage:.2f}"


class Judge:
    """Train once on labelled held-out reals; then score any batch of generated images."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, reference: np.ndarray, *, epochs: int = 15,
                 seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.channels = images.shape[-1]
        self.classes = int(labels.max()) + 1
        self.net = _Net(self.channels, self.classes)
        opt = torch.optim.Adam(self.net.parameters(), lr=2e-3)
        x, y = _tensor(images), torch.from_numpy(labels.astype(np.int64))
        gen = torch.Generator().manual_seed(seed)
        self.net.train()
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=gen)
            for start in range(0, len(x), 64):
                idx = order[start : start + 64]
                batch = x[idx]
                # A pixel or two of shift: the judge must not hinge on exact placement.
                shift = torch.randint(-2, 3, (2,), generator=gen).tolist()
                batch = torch.roll(batch, shifts=shift, dims=(2, 3))
                loss = nn.functional.cross_entropy(self.net(batch), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.net.eval()
        self.accuracy = float((self.predict(images) == labels).mean())  # on its own training images
        ref_feat = self.features(reference)
        self.ref_feat = ref_feat
        self.ref_mu, self.ref_cov = ref_feat.mean(0), np.cov(ref_feat, rowvar=False)
        self.ref_radii = _knn_radii(ref_feat)
        self.ref_share = np.bincount(self.predict(reference), minlength=self.classes) / len(reference)

    @torch.no_grad()
    def features(self, images: np.ndarray) -> np.ndarray:
        images = _channels(images, self.channels)
        out = [self.net.body(_tensor(images[i : i + 256])).numpy() for i in range(0, len(images), 256)]
        return np.concatenate(out).astype(np.float64)

    @torch.no_grad()
    def predict(self, images: np.ndarray) -> np.ndarray:
        images = _channels(images, self.channels)
        out = [self.net(_tensor(images[i : i + 256])).argmax(1).numpy() for i in range(0, len(images), 256)]
        return np.concatenate(out)

    def score(self, images: np.ndarray) -> Score:
        feat = self.features(images)
        fd = _frechet(feat.mean(0), np.cov(feat, rowvar=False), self.ref_mu, self.ref_cov)
        gen_radii = _knn_radii(feat)
        dist = _pairwise(feat, self.ref_feat)  # (gen, real)
        precision = float(np.mean((dist <= self.ref_radii[None, :]).any(axis=1)))
        recall = float(np.mean((dist <= gen_radii[:, None]).any(axis=0)))
        share = np.bincount(self.predict(images), minlength=self.classes) / len(images)
        present = self.ref_share > 0
        coverage = float(np.mean(share[present] >= 0.5 * self.ref_share[present]))
        return Score(fd=fd, precision=precision, recall=recall, coverage=coverage)


def _channels(images: np.ndarray, channels: int) -> np.ndarray:
    if images.shape[-1] == channels:
        return images
    if channels == 1:  # colour samples judged as gray: Pillow's luma weights
        rgb = images.astype(np.float32)
        return (rgb @ np.array([0.299, 0.587, 0.114], np.float32))[..., None].round().astype(np.uint8)
    return np.repeat(images, 3, axis=-1)


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(d, 0))


def _knn_radii(feat: np.ndarray, k: int = 3) -> np.ndarray:
    d = _pairwise(feat, feat)
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _frechet(mu1, cov1, mu2, cov2) -> float:
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^1/2), the square root through eigenvalues."""
    diff = mu1 - mu2
    # (C1 C2)^1/2 has the eigenvalues of the symmetric C1^1/2 C2 C1^1/2: take its square root's trace.
    w, v = np.linalg.eigh(cov1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root1 @ cov2 @ root1)
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())
