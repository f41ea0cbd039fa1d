"""The copy check (data/copies.py): a model that hands back its training images is caught, a
fresh one is not, and a run measures, records, plots and warns about it."""

from __future__ import annotations

import json

import numpy as np
import torch
from torch import nn

from ganstudio.cli.main import main
from ganstudio.data import load_images
from ganstudio.data.copies import COPY_WARNING, CopyBank
from ganstudio.explore.latent import render
from ganstudio.models import build_generator, init_weights
from ganstudio.training.health import HealthMonitor
from ganstudio.training.report import Event, EventKind


class Parrot(nn.Module):
    """A 'generator' that returns its training images verbatim, one per latent."""

    def __init__(self, images: np.ndarray) -> None:
        super().__init__()
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        self.register_buffer("images", x)
        self.z_dim = 16

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        pick = (z[:, 0].abs() * 1e6).long() % len(self.images)
        return self.images[pick]


def _training_set(tmp_path):
    return load_images("demo:landscapes:200", resolution=16, cache_dir=tmp_path)


def test_a_model_that_returns_its_training_images_is_flagged_and_a_fresh_one_is_not(tmp_path):
    images = _training_set(tmp_path).images
    bank = CopyBank.from_images(images)
    assert 0 < bank.line < bank.usual
    z = torch.randn(128, 16, generator=torch.Generator().manual_seed(0))
    parrot = render(Parrot(images), z)
    assert bank.copy_share(parrot) == 1.0
    fresh = build_generator("dcgan", resolution=16, channels=3, z_dim=16, width=8)
    init_weights(fresh)
    assert bank.copy_share(render(fresh, z)) == 0.0
    # New pictures of the same kind: other landscapes from the same generator, not in the set.
    others = load_images("demo:landscapes:400", resolution=16, cache_dir=tmp_path).images[200:]
    assert bank.copy_share(others) < COPY_WARNING / 2


def test_nearest_training_images_come_back_nearest_first_with_words(tmp_path):
    images = _training_set(tmp_path).images
    bank = CopyBank.from_images(images)
    index, dist = bank.nearest(images[[7, 42]], k=3)
    assert index[:, 0].tolist() == [7, 42] and (dist[:, 0] < 1e-3).all()  # float rounding
    assert (np.diff(dist, axis=1) >= 0).all()
    assert bank.describe(0.0) == "the same as a training image"
    assert bank.describe(1.0) == "unlike any one training image"


def test_a_run_records_the_copy_share_and_info_reports_it(tmp_path, capsys):
    from tiny_runs import tiny_config

    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=4).to_json())
    run = tmp_path / "run"
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(run), "--quiet"]) == 0
    lines = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    measured = [line for line in lines if "swd" in line]
    assert measured and all(0.0 <= line["copies"] <= 1.0 for line in measured)
    capsys.readouterr()
    assert main(["info", str(run)]) == 0
    assert "Copy check:" in capsys.readouterr().out
    assert main(["info", str(run), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["copies"]["latest"] == measured[-1]["copies"] and summary["copies"]["copying"] is False


def test_the_copying_event_becomes_a_plain_warning_that_clears_when_it_eases():
    from ganstudio.training.metrics import QualityFigure
    from ganstudio.training.report import RunState, TickReport

    def report(step, copies, events=()):
        empty = np.zeros(0)
        return TickReport(step=step, first_step=step, images_seen=step, d_loss=empty, g_loss=empty, d_real=empty,
                          d_fake=empty, steps_per_second=1, images_per_second=1, elapsed=step, eta=None,
                          progress=None, batch=1, lr_scale=1, augment_probability=0, state=RunState.RUNNING,
                          quality=QualityFigure(swd=1.0, per_level=(1.0,), images=2, copies=copies),
                          events=tuple(events))

    monitor = HealthMonitor()
    warned = monitor.update(report(10, 0.9, [Event(EventKind.COPYING, "90% of the samples ...")]))
    assert [w.kind for w in warned] == ["copying"] and warned[0].title == "The model is copying your images"
    assert "copying" in monitor.active
    monitor.update(report(20, 0.1))
    assert "copying" not in monitor.active
