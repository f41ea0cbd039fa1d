"""Device and number-format choices: what a CPU-only machine does with GPU settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from tiny_runs import tiny_config
from ganstudio.training import trainer as engine_module
from ganstudio.checkpoint import load_checkpoint
from ganstudio.device import DeviceError, Precision, cpu_bf16_is_faster, describe_device, pick_device, resolve_precision
from ganstudio.training.trainer import Trainer


def test_auto_precision_on_this_cpu_is_what_was_measured_fastest():
    expected = "bf16" if cpu_bf16_is_faster() else "fp32"
    assert resolve_precision("auto", torch.device("cpu")).name == expected


def test_a_cpu_that_can_only_emulate_bf16_trains_in_fp32():
    # AVX-512 without its BF16 extension (Skylake to Ice Lake, many cloud machines and
    # laptops) passes PyTorch's own bf16 check, yet runs bf16 convolutions about 4x slower
    # than fp32. ONEDNN_MAX_CPU_ISA holds oneDNN back to such a CPU's instructions; on a
    # CPU without AVX-512 it changes nothing and fp32 is chosen anyway.
    script = (
        "import torch; from ganstudio.device import cpu_supports_bf16, resolve_precision;"
        "chosen = resolve_precision('auto', torch.device('cpu'));"
        "print(chosen.name, cpu_supports_bf16(), chosen.why, sep='|')"
    )
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    name, pytorch_says_bf16, why = done.stdout.strip().split("|")
    assert name == "fp32"
    if pytorch_says_bf16 == "True":  # the case the timing is for: the run's log says why
        assert why == "bf16 is emulated on this CPU and measured slower than fp32"


@pytest.mark.parametrize(
    "request_, device, expected, scaler, why",
    [
        ("fp16", "cpu", "fp32", False, "fp16 needs an NVIDIA GPU"),  # slow on a CPU, and needs loss scaling
        ("bf16", "mps", "fp32", False, "bf16 is not supported on Apple MPS"),
        ("fp16", "cuda", "fp16", True, ""),  # older NVIDIA GPUs: fp16 with a gradient scaler
        ("bf16", "cuda", "bf16", False, ""),
        ("fp32", "cuda", "fp32", False, ""),
    ],
)
def test_unsupported_number_formats_fall_back(request_, device, expected, scaler, why):
    chosen = resolve_precision(request_, torch.device(device))
    assert (chosen.name, chosen.needs_grad_scaler, chosen.why) == (expected, scaler, why)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_a_gpu_that_is_not_there_says_so():
    with pytest.raises(DeviceError, match="no NVIDIA GPU is usable here; try --device cpu"):
        pick_device("cuda")
    assert pick_device("auto").type in ("cpu", "mps")


def test_a_run_asking_for_fp16_on_the_cpu_trains_in_fp32(tiny_images, tmp_path):
    trainer = Trainer(tiny_config(train__precision="fp16", train__steps=4), tiny_images, tmp_path / "run", device="cpu")
    reports = list(trainer.run())
    assert trainer.precision.name == "fp32" and reports[-1].state == "finished"
    assert "fp32 (fp16 needs an NVIDIA GPU) on cpu" in (tmp_path / "run" / "log.txt").read_text()


def test_the_gpu_fp16_path_with_a_gradient_scaler_trains_on_the_cpu(tiny_images, tmp_path, monkeypatch):
    """What an older NVIDIA GPU runs (fp16 autocast, scaled losses), exercised here on the CPU."""
    fp16 = Precision("fp16", torch.float16, True)
    monkeypatch.setattr(engine_module, "resolve_precision", lambda request, device: fp16)
    trainer = Trainer(tiny_config(train__steps=6), tiny_images, tmp_path / "run", device="cpu")
    assert trainer.scaler_d.is_enabled() and trainer.scaler_g.is_enabled()
    reports = list(trainer.run())
    assert reports[-1].state == "finished" and trainer.step_count == 6
    rows = [json.loads(line) for line in (tmp_path / "run" / "stats.jsonl").read_text().splitlines()]
    losses = [row["d_loss"] for row in rows if "d_loss" in row] + [row["g_loss"] for row in rows if "g_loss" in row]
    assert losses and all(loss == loss and abs(loss) < 100 for loss in losses)  # finite: the scaler unscaled them
    # The checkpoint carries the scalers' state, so a resume on the GPU continues exactly.
    saved = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")
    assert saved["scaler_D"]["scale"] == trainer.scaler_d.get_scale() > 0


def test_the_status_bar_names_the_cpu_and_its_threads():
    threads = torch.get_num_threads()
    assert describe_device(torch.device("cpu")) == f"CPU ({threads} thread{'' if threads == 1 else 's'})"


def test_the_bf16_probe_takes_turns_so_a_busy_stretch_slows_both_formats_alike():
    # A fake clock: each call takes its format's own time, three times as long while another
    # program holds the cores (the last ten of the 20 calls). Timed one format after the
    # other, every bf16 timing would fall in that stretch and bf16 would read 3.0, slower
    # than fp32; taking turns, both formats get quiet rounds before it.
    from ganstudio.timing import best_seconds_taking_turns

    now = [0.0]
    calls_made = []

    def call(name, seconds):
        def run():
            calls_made.append(name)
            busy = len(calls_made) > 10
            now[0] += seconds * (3 if busy else 1)
        return run

    best = best_seconds_taking_turns({"fp32": call("fp32", 2.0), "bf16": call("bf16", 1.0)}, 9, clock=lambda: now[0])
    assert best == {"fp32": 2.0, "bf16": 1.0}
    assert calls_made[:6] == ["fp32", "bf16", "fp32", "bf16", "fp32", "bf16"]  # one untimed call each, then turns
    assert len(calls_made) == 2 + 2 * 9


def test_the_bf16_probe_leaves_the_thread_count_as_it_was():
    from ganstudio import device

    before = torch.get_num_threads()
    device.cpu_bf16_is_faster.cache_clear()
    device.cpu_bf16_is_faster()
    assert torch.get_num_threads() == before
