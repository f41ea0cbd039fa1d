"""Shared fixtures: tiny configs and real (procedurally drawn) images, so tests take seconds."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never write the data cache into the user's home folder during tests."""
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _no_thread_left_behind():
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leftover:
        t.join(timeout=5)
    leftover = [t.name for t in leftover if t.is_alive()]
    assert leftover == [], f"test left threads running: {leftover}"


@pytest.fixture(scope="session")
def tiny_images() -> np.ndarray:
    from ganstudio.data import make_demo_set

    return make_demo_set("shapes", 24, 16, seed=0)


def tiny_config(**overrides):
    """A run that trains in well under a second per handful of steps on a 2-core CPU."""
    from ganstudio.config import RunConfig

    cfg = RunConfig()
    cfg.data.source = "demo:shapes:24"
    cfg.data.resolution = 16
    cfg.model.width = 8
    cfg.model.z_dim = 16
    cfg.train.batch = 8
    cfg.train.steps = 12
    cfg.train.precision = "fp32"
    cfg.schedule.tick_steps = 4
    cfg.schedule.sample_seconds = 0.0
    cfg.schedule.metric_seconds = 1e9
    cfg.schedule.metric_images = 16
    cfg.schedule.grid_images = 4
    for dotted, value in overrides.items():
        section, key = dotted.split("__")
        setattr(getattr(cfg, section), key, value)
    return cfg.validate()


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests use tiny models: a second thread gains nothing, and on a busy 2-core machine
    torch's threads spin-waiting for each other run many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
