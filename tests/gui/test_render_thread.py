"""RenderThread: newest request wins, uint8 NHWC out, clean stop (its imports: test_import_contract)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from ganstudio.explore.latent import render, z_batch_from_seeds
from ganstudio.gui.workers.render import RenderThread
from ganstudio.models import build_generator

def tiny_generator(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_generator("dcgan", resolution=16, channels=3, z_dim=16, width=8).eval()


class Slow(nn.Module):
    """A real generator that takes a few ms longer, like a big model would."""

    def __init__(self, inner: nn.Module, seconds: float = 0.01) -> None:
        super().__init__()
        self.inner, self.seconds = inner, seconds
        self.z_dim, self.resolution, self.channels = inner.z_dim, inner.resolution, inner.channels

    def forward(self, z):
        time.sleep(self.seconds)
        return self.inner(z)


@pytest.fixture
def renderer(qtbot):
    thread = RenderThread()
    yield thread
    assert thread.stop(5000)


def test_renders_uint8_nhwc_identical_to_latent_render(qtbot, renderer):
    g = tiny_generator()
    renderer.set_generator(g)
    renderer.start()
    z = z_batch_from_seeds([1, 2, 3], 16)
    with qtbot.waitSignal(renderer.rendered, timeout=5000) as blocker:
        renderer.request(7, z)
    request_id, images = blocker.args
    assert request_id == 7
    assert images.dtype == np.uint8 and images.shape == (3, 16, 16, 3) and images.flags.c_contiguous
    assert np.array_equal(images, render(g, z))
    assert not g.training and not any(p.requires_grad for p in g.parameters())


def test_one_latent_gives_a_batch_of_one(qtbot, renderer):
    renderer.set_generator(tiny_generator())
    renderer.start()
    with qtbot.waitSignal(renderer.rendered, timeout=5000) as blocker:
        renderer.request(1, torch.zeros(16))
    assert blocker.args[1].shape == (1, 16, 16, 3)


def test_stale_requests_are_dropped_and_the_newest_wins(qtbot, renderer):
    renderer.set_generator(Slow(tiny_generator(), 0.01))
    got: list[int] = []
    renderer.rendered.connect(lambda i, _images: got.append(i))
    renderer.start()
    for i in range(1, 51):
        renderer.request(i, torch.randn(16))
        time.sleep(0.001)  # a fast drag: a new value every millisecond
    qtbot.waitUntil(lambda: bool(got) and got[-1] == 50, timeout=5000)
    qtbot.wait(50)
    assert got[-1] == 50
    assert len(got) < 25, got  # far fewer renders than requests: no queue built up
    assert got == sorted(got)
    assert renderer.dropped >= 50 - len(got) - 1


def test_lanes_do_not_drop_each_other(qtbot, renderer):
    renderer.set_generator(Slow(tiny_generator(), 0.005))
    got: list[int] = []
    renderer.rendered.connect(lambda i, _images: got.append(i))
    renderer.start()
    renderer.request(1, torch.randn(16))
    renderer.request(2, torch.randn(9, 16), lane="grid")
    renderer.request(3, torch.randn(16))
    qtbot.waitUntil(lambda: 2 in got and 3 in got, timeout=5000)


def test_requests_wait_for_a_generator(qtbot, renderer):
    renderer.start()
    renderer.request(5, torch.randn(16))
    qtbot.wait(30)
    assert renderer.renders == 0
    with qtbot.waitSignal(renderer.rendered, timeout=5000) as blocker:
        renderer.set_generator(tiny_generator())
    assert blocker.args[0] == 5


def test_a_failing_render_reports_and_keeps_going(qtbot, renderer):
    renderer.set_generator(tiny_generator())
    renderer.start()
    with qtbot.waitSignal(renderer.failed, timeout=5000) as blocker:
        renderer.request(1, torch.randn(5))  # wrong latent size
    assert blocker.args[0] == 1 and "render" in blocker.args[1]
    with qtbot.waitSignal(renderer.rendered, timeout=5000):
        renderer.request(2, torch.randn(16))


def test_stop_is_clean_with_work_pending(qtbot):
    thread = RenderThread()
    thread.set_generator(Slow(tiny_generator(), 0.05))
    thread.start()
    thread.request(1, torch.randn(16))
    thread.request(2, torch.randn(16))
    assert thread.stop(5000)
    assert not thread.isRunning()
    assert thread.stop(10)  # twice is fine
