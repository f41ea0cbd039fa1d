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
    monkeypatch.setenv("GANSTUDIO_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))


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


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests use tiny models: a second thread gains nothing, and on a busy 2-core machine
    torch's threads spin-waiting for each other run many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def stop_compile_workers():
    """Inductor compiles in pools of workers that live on; end them like an app exit would."""
    yield
    import torch
    from torch._inductor.async_compile import AsyncCompile, shutdown_compile_workers

    shutdown_compile_workers()  # the worker processes
    # A thread pool inductor uses while its processes start up (on a busy machine, say);
    # shutdown_compile_workers leaves it alone.
    thread_pool = getattr(AsyncCompile, "pool", None)
    if thread_pool is not None and hasattr(thread_pool, "cache_info") and thread_pool.cache_info().currsize:
        thread_pool().shutdown(wait=True)
        thread_pool.cache_clear()
    torch._dynamo.reset()
