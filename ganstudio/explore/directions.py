"""Meaningful slider directions in latent space, found from the weights alone (SeFa).

Closed-form factorisation (Shen & Zhou, CVPR 2021): the generator's first layer maps
z to features as y = A z (+ bias).  Moving z by d changes y by A d, so the unit
vectors d that change the first layer most are the top eigenvectors of A^T A.  They
cost one small eigen-decomposition, need no sampling and no training, and in
practice they line up with visible attributes (pose, colour, layout).  Because they
are derived from the weights, the same generator always gives the same directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["Directions", "find_directions", "first_layer_matrix", "DEFAULT_SPAN"]

# Offsets are in units of z's standard deviation: z ~ N(0, I), so its projection on
# any unit vector is N(0, 1).  +-3 reaches the edge of what the generator saw during
# training (99.7 % of training latents lie inside), which changes the picture clearly;
# much further and the first layer gets inputs it never learned, and images turn to
# noise or saturate.
DEFAULT_SPAN = 3.0


@dataclass(frozen=True)
class Directions:
    vectors: np.ndarray  # (k, z_dim) float32, unit length, mutually orthogonal
    strengths: np.ndarray  # (k,) eigenvalues of A^T A, descending
    names: tuple[str, ...]  # "Direction 1", ...; user renames live in ExplorerModel
    span: float = DEFAULT_SPAN  # sliders go from -span to +span

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def z_dim(self) -> int:
        return int(self.vectors.shape[1])


def first_layer_matrix(generator: nn.Module) -> torch.Tensor:
    """The first layer's weight as A (out_features, z_dim), so that layer(z) = A z + b.

    Finds the first Linear or 1x1-input ConvTranspose2d that reads z_dim inputs.
    A ConvTranspose2d weight is (in=z_dim, out_ch, kh, kw): on a 1x1 input each
    output pixel is a linear map of z, so (z_dim, out_ch*kh*kw).T is the matrix.
    """
    z_dim = int(generator.z_dim)
    for module in generator.modules():
        if isinstance(module, nn.Linear) and module.in_features == z_dim:
            return module.weight.detach().to("cpu", torch.float64).reshape(-1, z_dim)
        if isinstance(module, nn.ConvTranspose2d) and module.in_channels == z_dim:
            return module.weight.detach().to("cpu", torch.float64).reshape(z_dim, -1).T
    raise ValueError(f"{type(generator).__name__} has no first layer that reads z (z_dim={z_dim}); cannot find directions.")


def find_directions(generator: nn.Module, k: int = 12) -> Directions:
    """The top-k SeFa directions of `generator`, strongest first.  Deterministic."""
    if isinstance(k, bool) or int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k!r}")
    a = first_layer_matrix(generator)
    z_dim = a.shape[1]
    k = min(int(k), z_dim)
    # float64 and a symmetric solver: eigh is exact enough that near-equal strengths
    # still give orthonormal vectors, and it has no random start (unlike power methods).
    values, vectors = torch.linalg.eigh(a.T @ a)  # ascending
    order = torch.argsort(values, descending=True, stable=True)[:k]
    values = values[order].clamp_min(0.0)  # tiny negative round-off on a rank-deficient A
    vectors = vectors[:, order].T  # (k, z_dim)
    # An eigenvector's sign is arbitrary and solvers differ in it; fix it so the largest
    # component is positive, so "+" on a slider means the same on every machine.
    biggest = vectors.abs().argmax(dim=1)
    signs = torch.sign(vectors.gather(1, biggest[:, None]))
    signs[signs == 0] = 1.0
    vectors = vectors * signs
    return Directions(
        vectors=np.ascontiguousarray(vectors.numpy().astype(np.float32)),
        strengths=values.numpy().astype(np.float64),
        names=tuple(f"Direction {i + 1}" for i in range(k)),
        span=DEFAULT_SPAN,
    )
