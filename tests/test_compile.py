"""`train.compile`: torch.compile where it can run, and plain training wherever it cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tiny_runs import tiny_config
from ganstudio.device import compile_unavailable_reason
from ganstudio.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("stop_compile_workers")


def _events(reports):
    return [event.text for report in reports for event in report.events]


def _losses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    return [row["d_loss"] for row in rows if "d_loss" in row]


@pytest.mark.skipif(compile_unavailable_reason(torch.device("cpu")) is not None, reason="no C++ compiler here")
def test_compiled_training_matches_plain_training(tiny_images, tmp_path):
    config = tiny_config(train__steps=4, train__compile=True, schedule__tick_steps=1)
    compiled = Trainer(config, tiny_images, tmp_path / "compiled", device="cpu")
    reports = list(compiled.run())
    assert compiled.compiled, _events(reports)
    assert not [e for e in _events(reports) if "ompil" in e]
    plain = Trainer(tiny_config(train__steps=4, schedule__tick_steps=1), tiny_images, tmp_path / "plain", device="cpu")
    list(plain.run())
    # Same seeds, same maths: the compiled kernels only reorder float operations.
    assert _losses(tmp_path / "compiled") == pytest.approx(_losses(tmp_path / "plain"), rel=1e-3, abs=1e-4)
    assert (tmp_path / "compiled" / "checkpoints" / "latest.pt").is_file()


def test_a_compiler_that_fails_falls_back_to_plain_training(tiny_images, tmp_path, monkeypatch):
    """A broken toolchain (here: a C++ compiler that does not exist) costs speed, not the run."""
    from torch._inductor import config as inductor_config

    monkeypatch.setattr(inductor_config.cpp, "cxx", (str(tmp_path / "no-such-compiler"),))
    monkeypatch.setattr(inductor_config, "force_disable_caches", True)  # kernels built earlier must not hide it
    torch._dynamo.reset()
    config = tiny_config(train__steps=6, train__compile=True)
    trainer = Trainer(config, tiny_images, tmp_path / "run", device="cpu")
    reports = list(trainer.run())
    torch._dynamo.reset()
    events = _events(reports)
    assert not trainer.compiled
    assert any(e.startswith("Compiling the networks failed") and "carried on without it" in e for e in events), events
    assert reports[-1].state == "finished" and trainer.step_count == 6
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").is_file()


def test_cli_compile_without_a_compiler_says_so_and_trains(tmp_path):
    """No C++ compiler on PATH: one plain line, then an ordinary run."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=4).to_json())
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": str(empty_bin)}
    result = subprocess.run(
        [sys.executable, "-m", "ganstudio", "train", "--config", str(tmp_path / "tiny.json"),
         "--out", str(tmp_path / "run"), "--compile", "--quiet"],
        capture_output=True, text=True, timeout=240, env=env,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Compiling the networks is not possible here (no C++ compiler was found" in output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["compile"] is True
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").is_file()


def test_thread_count_beside_the_window_leaves_a_core_free():
    from ganstudio.threads import training_threads_beside_window

    assert training_threads_beside_window(8, cores=16) == 8  # torch's pick already skips hyper-threads
    assert training_threads_beside_window(8, cores=8) == 7
    assert training_threads_beside_window(4, cores=4) == 3
    # Two cores: half the machine is too much to give away (measured no smoother).
    assert training_threads_beside_window(2, cores=2) == 2
    assert training_threads_beside_window(1, cores=1) == 1  # never zero


def test_a_thread_that_leaves_the_cores_to_training_stays_on_one_thread(monkeypatch):
    """Its count holds even when another thread raises the default afterwards, and training
    still learns torch's own count from what it remembered."""
    import threading

    import torch

    from ganstudio import threads

    monkeypatch.setattr(threads, "_torch_default", None)
    torch.set_num_threads(2)  # torch's own choice on a 2-core machine
    pinned, raised, seen = threading.Event(), threading.Event(), []

    def window_thread():
        threads.leave_the_cores_to_training()
        pinned.set()
        raised.wait()
        x = torch.ones(2**20)
        (x * 2).sum()  # its first parallel operation: would reset an unpinned count
        seen.append(torch.get_num_threads())

    worker = threading.Thread(target=window_thread)
    worker.start()
    pinned.wait()
    torch.set_num_threads(2)  # training's thread sets its own count: the default goes back up
    raised.set()
    worker.join()
    assert seen == [1]
    assert threads.remember_torch_default(1) == 2
