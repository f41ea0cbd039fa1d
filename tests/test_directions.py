"""SeFa directions: orthonormal, deterministic, strongest first, and actually strong."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ganstudio.explore.directions import DEFAULT_SPAN, find_directions, first_layer_matrix
from ganstudio.explore.latent import render, z_from_seed
from ganstudio.models import build_generator

Z = 16


def _generator(arch: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_generator(arch, resolution=16, channels=3, z_dim=Z, width=8)


def _like_trained(g: nn.Module, seed: int) -> torch.Tensor:
    """Give the first layer a decaying spectrum and realistic batch-norm statistics.

    At initialisation the first layer is a random Gaussian matrix, nearly isotropic,
    so there is little for SeFa to find (and an untrained DCGAN renders flat grey in
    eval mode).  Trained generators develop a few dominant input directions; we impose
    that (singular values 1 .. 0.03, random singular vectors) and let batch norm
    measure its statistics, as training would.  Returns the true top direction.
    """
    layer = next(m for m in g.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d)))
    out, zd = first_layer_matrix(g).shape
    gen = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(out, zd, generator=gen, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(zd, zd, generator=gen, dtype=torch.float64))
    a = u @ torch.diag(torch.logspace(0.0, -1.5, zd, dtype=torch.float64)) @ v.T
    with torch.no_grad():
        weight = a if isinstance(layer, nn.Linear) else a.T
        layer.weight.copy_(weight.reshape(layer.weight.shape).float())
        for m in g.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()
                m.momentum = None  # a plain average over the calibration batch
        g.train()
        g(torch.randn(256, zd, generator=gen))
    g.eval()
    return v[:, 0]


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_vectors_are_orthonormal_sorted_and_deterministic(arch):
    g = _generator(arch)
    d = find_directions(g, k=12)
    assert d.vectors.shape == (12, Z) and d.vectors.dtype == np.float32
    assert np.allclose(d.vectors @ d.vectors.T, np.eye(12), atol=1e-5)
    assert np.all(np.diff(d.strengths) <= 0) and d.strengths[-1] >= 0
    assert d.names[0] == "Direction 1" and len(d.names) == 12 and d.span == DEFAULT_SPAN
    # Sign convention: the largest component of each vector is positive.
    assert np.all(d.vectors[np.arange(12), np.abs(d.vectors).argmax(1)] > 0)
    again = find_directions(_generator(arch))
    assert np.array_equal(d.vectors, again.vectors) and np.array_equal(d.strengths, again.strengths)


def test_strengths_are_the_first_layers_gains():
    g = _generator("resnet")
    d = find_directions(g, k=4)
    a = first_layer_matrix(g)
    for v, s in zip(d.vectors, d.strengths):
        gain = (a @ torch.from_numpy(v).double()).norm() ** 2  # |A v|^2 = eigenvalue
        assert float(gain) == pytest.approx(s, rel=1e-5)


def test_k_is_capped_at_z_dim_and_must_be_positive():
    assert len(find_directions(_generator("dcgan"), k=100)) == Z
    with pytest.raises(ValueError):
        find_directions(_generator("dcgan"), k=0)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_direction_one_changes_the_picture_more_than_a_random_direction(arch):
    """The point of SeFa: its top direction is where the generator is most sensitive."""
    ratios = []
    for model_seed in range(3):
        g = _generator(arch, model_seed)
        true_top = _like_trained(g, model_seed)
        d = find_directions(g)
        assert abs(float(torch.from_numpy(d.vectors[0]).double() @ true_top)) > 0.999
        z = torch.stack([z_from_seed(s, Z) for s in range(6)])
        rng = np.random.default_rng(model_seed)
        random_dirs = torch.from_numpy(rng.standard_normal((6, Z)).astype(np.float32))
        random_dirs /= random_dirs.norm(dim=1, keepdim=True)
        before = render(g, z).astype(np.float64)
        along_top = np.abs(render(g, z + d.span * torch.from_numpy(d.vectors[0])) - before).mean()
        along_random = np.abs(render(g, z + d.span * random_dirs) - before).mean()
        # Visible (more than a couple of grey levels on average), yet not noise.
        assert 2.0 < along_top < 100.0
        ratios.append(along_top / along_random)
    assert np.mean(ratios) > 1.2, ratios
