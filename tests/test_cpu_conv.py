"""The CPU training routes of the DCGAN's convolutions give PyTorch's own results."""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch
from torch import nn

from ganstudio.models import build_discriminator, build_generator
from ganstudio.accel import cpu_conv
from ganstudio.accel.cpu_conv import FastConv2d, FastConvTranspose2d, RoutePlan, plans, speed_up, use_stock_convolutions

# (layer, input shape): the DCGAN's shapes in small, plus a padded 3x3 conv with a bias.
LAYERS = {
    "strided conv": (lambda: FastConv2d(8, 16, 4, 2, 1, bias=False), (4, 8, 8, 8)),
    "first conv, 3 channels, bias": (lambda: FastConv2d(3, 16, 4, 2, 1, bias=True), (4, 3, 16, 16)),
    "last conv (dense)": (lambda: FastConv2d(16, 1, 4, 1, 0, bias=False), (4, 16, 4, 4)),
    "3x3 conv, bias": (lambda: FastConv2d(6, 5, 3, 1, 1, bias=True), (2, 6, 7, 7)),
    "first transposed (dense)": (lambda: FastConvTranspose2d(10, 16, 4, 1, 0, bias=False), (4, 10, 1, 1)),
    "strided transposed": (lambda: FastConvTranspose2d(16, 8, 4, 2, 1, bias=False), (4, 16, 4, 4)),
    "last transposed, bias": (lambda: FastConvTranspose2d(8, 3, 4, 2, 1, bias=True), (4, 8, 8, 8)),
}


@pytest.fixture
def forced_route(monkeypatch):
    """Force one route wherever it exists (the other computations keep PyTorch's)."""

    def force(route: str) -> None:
        monkeypatch.setattr(cpu_conv.RoutePlan, "choose", lambda plan, key, candidates: route if route in candidates() else "onednn")

    return force


def _train_once(layer: nn.Module, x: torch.Tensor, grad_seed: int, bf16: bool):
    x = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        y = layer(x)
    torch.manual_seed(grad_seed)
    (y.float() * torch.randn(y.shape)).sum().backward()
    grads = [x.grad, layer.weight.grad] + ([layer.bias.grad] if layer.bias is not None else [])
    return y, grads


@pytest.mark.parametrize("route", ["onednn", "matmul", "phase"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_each_route_gives_pytorchs_output_gradients_and_layout(name, route, forced_route):
    forced_route(route)
    make, shape = LAYERS[name]
    for channels_last, bf16 in itertools.product((True, False), (False, True)):
        torch.manual_seed(0)
        fast = make()
        stock = use_stock_convolutions(make())
        stock.load_state_dict(fast.state_dict())
        x = torch.randn(shape)
        if channels_last:
            fast, stock = fast.to(memory_format=torch.channels_last), stock.to(memory_format=torch.channels_last)
            x = x.to(memory_format=torch.channels_last)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a matrix product resizing its output
            y_fast, grads_fast = _train_once(fast, x, 1, bf16)
        y_stock, grads_stock = _train_once(stock, x, 1, bf16)
        tolerance = 2e-2 if bf16 else 1e-5
        case = f"{name}, {route}, channels_last={channels_last}, bf16={bf16}"
        assert y_fast.dtype == y_stock.dtype and y_fast.shape == y_stock.shape, case
        assert y_fast.is_contiguous(memory_format=torch.channels_last) == y_stock.is_contiguous(
            memory_format=torch.channels_last
        ), case
        for a, b in zip([y_fast] + grads_fast, [y_stock] + grads_stock):
            assert ((a.float() - b.float()).norm() / b.float().norm()).item() < tolerance, case


def test_an_in_place_activation_after_the_matrix_product_route_trains(forced_route):
    forced_route("matmul")
    torch.manual_seed(0)
    fast = nn.Sequential(FastConv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True))
    stock = use_stock_convolutions(nn.Sequential(FastConv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)))
    stock.load_state_dict(fast.state_dict())
    x = torch.randn(2, 3, 8, 8)
    fast(x).sum().backward()
    stock(x).sum().backward()
    assert torch.allclose(fast[0].weight.grad, stock[0].weight.grad, atol=1e-5)


@pytest.mark.parametrize("route", ["matmul", "phase"])
def test_r1_penalty_differentiates_twice_through_the_fast_routes(route, forced_route):
    forced_route(route)
    torch.manual_seed(0)
    fast = build_discriminator("dcgan", resolution=16, channels=3, width=8)
    assert speed_up(fast, RoutePlan()) == 3  # the models are plain torch: the trainer adds the routes
    stock = build_discriminator("dcgan", resolution=16, channels=3, width=8)
    stock.load_state_dict(fast.state_dict())
    x = torch.randn(4, 3, 16, 16)
    grads = []
    for model in (fast, stock):
        real = x.clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(model(real).sum(), real, create_graph=True)
        slope.pow(2).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert ((grads[0] - grads[1]).norm() / grads[1].norm()).item() < 1e-5


def test_rendering_takes_pytorchs_own_convolutions_bit_for_bit():
    """Artwork re-rendered after this change must give the same pixels as before it."""
    torch.manual_seed(0)
    fast = build_generator("dcgan", resolution=16, channels=3, z_dim=8, width=8).eval()
    plan = RoutePlan()
    speed_up(fast, plan)
    stock = build_generator("dcgan", resolution=16, channels=3, z_dim=8, width=8).eval()
    stock.load_state_dict(fast.state_dict())
    z = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.equal(fast(z), stock(z))
    assert plan.routes == {}  # nothing was timed: the fast routes never ran


def test_the_layers_keep_pytorchs_state_dict():
    fast = FastConvTranspose2d(10, 16, 4, 1, 0, bias=False)
    plain = nn.ConvTranspose2d(10, 16, 4, 1, 0, bias=False)
    assert list(fast.state_dict()) == list(plain.state_dict())
    fast.load_state_dict(plain.state_dict())
    assert torch.equal(fast.weight, plain.weight)


def test_layers_whose_patch_matrix_is_too_large_keep_onednn(monkeypatch):
    """A 256 px model's first layers would need 0.5-1 GB of patches: that route is not tried."""
    layer = FastConv2d(8, 16, 4, 2, 1, bias=False)
    x = torch.randn(4, 8, 16, 16)
    patch_bytes = 4 * 8 * 8 * 16 * 8 * 4  # N * OH * OW * k * k * C * 4 bytes
    monkeypatch.setattr(cpu_conv, "PATCH_LIMIT_BYTES", patch_bytes - 1)
    cpu_conv.PROCESS_PLAN.routes.clear()
    layer(x.requires_grad_(True)).sum().backward()
    assert {key[0]: route for key, route in plans().items()} == {
        "forward": "onednn", "weight grad": "onednn", "input grad": "onednn"
    }
    # Just within the limit, the matrix-product route is a candidate again.
    monkeypatch.setattr(cpu_conv, "PATCH_LIMIT_BYTES", patch_bytes)
    timed = []
    monkeypatch.setattr(cpu_conv.RoutePlan, "choose", lambda plan, key, candidates: timed.append((key[0], sorted(candidates()))) or "onednn")
    layer(x).sum().backward()
    assert ("forward", ["matmul", "onednn"]) in timed and ("weight grad", ["matmul", "onednn"]) in timed


def test_training_a_step_chooses_each_layers_routes_once_and_keeps_them():
    from ganstudio.config import RunConfig
    from ganstudio.data import make_demo_set
    from ganstudio.training.trainer import Trainer

    cfg = RunConfig()
    cfg.data.resolution = 16
    cfg.model.arch, cfg.model.width, cfg.model.z_dim = "dcgan", 8, 8
    cfg.train.batch = 8
    cfg.train.precision = "fp32"
    trainer = Trainer(cfg.validate(), make_demo_set("shapes", 16, 16, seed=0), None, device="cpu")
    trainer.step()
    chosen = dict(trainer.routes.routes)
    # G: 3 transposed layers at 16 px; D: 3 convolutions, each with a forward and a weight
    # gradient, plus input gradients where they flow on to another layer.
    assert {key[0] for key in chosen} == {"forward", "weight grad", "input grad"}
    assert len({key for key in chosen if key[0] == "forward"}) == 6
    assert set(chosen.values()) <= {"onednn", "matmul", "phase"}
    trainer.step()
    assert trainer.routes.routes == chosen  # chosen once, then kept


def test_the_off_switch_trains_with_pytorchs_own_layers():
    from ganstudio.config import RunConfig
    from ganstudio.data import make_demo_set
    from ganstudio.training.trainer import Trainer

    cfg = RunConfig()
    cfg.data.resolution = 16
    cfg.model.arch, cfg.model.width, cfg.model.z_dim = "dcgan", 8, 8
    cfg.train.batch, cfg.train.precision, cfg.train.cpu_routes = 8, "fp32", False
    trainer = Trainer(cfg.validate(), make_demo_set("shapes", 16, 16, seed=0), None, device="cpu")
    trainer.step()
    assert trainer.routes.routes == {}
    assert not any(isinstance(m, (FastConv2d, FastConvTranspose2d)) for m in [*trainer.G.modules(), *trainer.D.modules()])


def test_a_plan_saved_in_a_checkpoint_is_taken_without_timing_again(monkeypatch):
    """A resumed process must take the routes the run trained with, or its numbers drift."""
    layer = FastConv2d(8, 16, 4, 2, 1, bias=False, plan=RoutePlan())
    x = torch.randn(4, 8, 8, 8, requires_grad=True)
    layer(x).sum().backward()
    saved = layer.plan.state_dict()
    assert len(saved) == 3 and all(isinstance(k, str) for k in saved)
    forced = {k: ("matmul" if "weight grad" in k else v) for k, v in saved.items()}  # as if chosen otherwise
    fresh = RoutePlan()
    fresh.load_state_dict(forced)
    monkeypatch.setattr(cpu_conv, "_rule_route", lambda *a: pytest.fail("chosen again"))
    again = FastConv2d(8, 16, 4, 2, 1, bias=False, plan=fresh)
    again(x).sum().backward()
    assert {key[0]: route for key, route in fresh.routes.items()}["weight grad"] == "matmul"


def test_the_routes_are_the_same_in_every_process():
    """Fixed by rule, not by timing: the generator's and discriminator's routes at 32 px."""
    from ganstudio.models import build_discriminator, build_generator

    plan = RoutePlan()
    G = build_generator("dcgan", resolution=32, channels=3, z_dim=16, width=8)
    D = build_discriminator("dcgan", resolution=32, channels=3, width=8)
    speed_up(G, plan), speed_up(D, plan)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        D(G(torch.randn(4, 16))).float().sum().backward()
    by_layer = {(key[0], "G" if key[1].transposed else "D", tuple(key[3])): route for key, route in plan.routes.items()}
    assert by_layer[("forward", "G", (16, 32, 4, 4))] == "matmul"  # G's first layer: a matrix product
    assert by_layer[("weight grad", "G", (32, 16, 4, 4))] == "matmul"  # G 4->8 px: few pixels
    assert by_layer[("forward", "G", (8, 3, 4, 4))] == "phase"  # G's last layer, to RGB
    assert by_layer[("forward", "D", (1, 32, 4, 4))] == "matmul"  # D's last layer
    assert by_layer[("weight grad", "D", (32, 16, 4, 4))] == "matmul"  # D 8->4 px
    assert by_layer[("forward", "D", (16, 8, 4, 4))] == "onednn"  # D 16->8 px
    assert by_layer[("forward", "D", (8, 3, 4, 4))] == "onednn"  # D's first layer
