"""Warnings in plain words, and run folders read back as they were."""

from __future__ import annotations


import numpy as np
import pytest

from tiny_runs import tiny_config
from ganstudio.training.trainer import Event, EventKind, TickReport, Trainer
from ganstudio.training.health import HealthMonitor
from ganstudio.runs.history import read_run
from ganstudio.training.metrics import QualityFigure
from ganstudio.runs.folder import RunFolderError


def _report(step, d_fake=0.4, n=10, **extra):
    base = dict(
        step=step, first_step=step - n + 1, images_seen=step * 8,
        d_loss=np.full(n, 1.0, np.float32), g_loss=np.full(n, 1.0, np.float32),
        d_real=np.full(n, 0.6, np.float32), d_fake=np.full(n, d_fake, np.float32),
        steps_per_second=10.0, images_per_second=80.0, elapsed=1.0, eta=None, progress=None,
        batch=8, lr_scale=1.0, augment_probability=0.0, state="running",
    )
    base.update(extra)
    return TickReport(**base)


def test_discriminator_winning_outright_is_reported_once_and_clears():
    monitor = HealthMonitor(d_wins_steps=50)
    raised = []
    for i in range(1, 5):
        raised += monitor.update(_report(i * 10, d_fake=0.01))
    assert raised == []  # 40 steps: not yet
    raised = monitor.update(_report(50, d_fake=0.01)) + monitor.update(_report(60, d_fake=0.01))
    assert [w.kind for w in raised] == ["d_wins"]
    assert "discriminator is winning" in raised[0].title and "D(G(z))" in raised[0].advice
    monitor.update(_report(70, d_fake=0.5))
    assert "d_wins" not in monitor.active


def test_mode_collapse_needs_two_low_diversity_readings():
    monitor = HealthMonitor()
    assert monitor.update(_report(5, diversity=0.8)) == []
    assert monitor.update(_report(10, diversity=0.1)) == []
    raised = monitor.update(_report(20, diversity=0.12))
    assert [w.kind for w in raised] == ["collapse"] and raised[0].action == "revert_best"
    monitor.update(_report(30, diversity=0.9))
    assert "collapse" not in monitor.active


def test_quality_getting_worse_offers_the_best_checkpoint():
    monitor = HealthMonitor()
    figures = [50.0, 40.0, 30.0, 36.0, 37.0, 38.0]
    raised = []
    for i, swd in enumerate(figures):
        raised += monitor.update(_report((i + 1) * 100, quality=QualityFigure(swd=swd, per_level=(swd,), images=16)))
    assert [w.kind for w in raised] == ["quality_worse"]
    assert "30.0 at step 300" in raised[0].advice and raised[0].action == "revert_best"


def test_rollback_and_divergence_events_become_warnings():
    monitor = HealthMonitor()
    raised = monitor.update(_report(10, events=(Event(EventKind.ROLLED_BACK, "The losses became invalid (NaN) near step 9: went back to step 0"),)))
    assert [w.kind for w in raised] == ["rollback"]
    raised = monitor.update(_report(20, state="diverged"))
    assert [w.kind for w in raised] == ["diverged"]


def test_diversity_is_relative_to_the_real_images(tiny_images):
    trainer = Trainer(tiny_config(train__steps=2), tiny_images, None, device="cpu")
    report = list(trainer.run())[-1]
    assert report.diversity is not None and report.diversity >= 0
    varied = trainer._diversity(tiny_images[8:12])  # as varied as the data itself
    collapsed = trainer._diversity(np.repeat(tiny_images[:1], 4, axis=0))  # one picture for every input
    assert 0.6 < varied < 1.6
    assert collapsed == 0.0


def test_no_collapse_warning_before_the_samples_ever_varied():
    monitor = HealthMonitor()
    # A fresh generator draws near-identical pictures: not "losing" variety it never had.
    assert monitor.update(_report(10, diversity=0.01)) + monitor.update(_report(20, diversity=0.01)) == []


def test_read_run_gives_back_curves_samples_and_checkpoints(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    reports = list(Trainer(tiny_config(schedule__metric_seconds=0.0), tiny_images, run_dir, device="cpu").run())
    history = read_run(run_dir)
    assert history.steps.tolist() == [4, 8, 12]
    means = [float(np.mean(r.d_loss)) for r in reports if len(r.d_loss)]
    assert np.allclose(history.series["d_loss"], means)
    assert len(history.quality) == len([r for r in reports if r.quality is not None])
    assert [s for s, _ in history.samples][-1] == 12 and history.samples[-1][1].is_file()
    assert history.can_resume and "best.pt" in history.checkpoints
    assert history.last_step == 12 and history.config.model.width == 8


def test_read_run_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(RunFolderError, match="not a GAN Studio run"):
        read_run(tmp_path)
    with pytest.raises(RunFolderError, match="not a folder"):
        read_run(tmp_path / "missing")


def test_a_run_with_damaged_stats_lines_still_opens_and_resumes_with_its_curve(tiny_images, tmp_path):
    """Disk trouble or a hand edit leaves bytes that are not UTF-8, JSON that is not a record,
    a record whose step is missing its number, and a torn last line: the run still opens with
    every good point of its curve, and resumes."""
    run_dir = tmp_path / "run"
    config = tiny_config(train__steps=8)
    list(Trainer(config, tiny_images, run_dir, device="cpu").run())
    good = read_run(run_dir).steps.tolist()
    assert good == [4, 8]
    with open(run_dir / "stats.jsonl", "ab") as handle:
        handle.write(b"\xff\xfe\x00garbage\x81\n[1, 2]\n\"text\"\n{\"step\": null, \"d_loss\": 1.0}\n{\"step\": \"x\"}\n{\"step\":9,\"d_lo")
    history = read_run(run_dir)
    assert history.steps.tolist() == good and history.last_step == 8
    trainer = Trainer(tiny_config(train__steps=12), tiny_images, run_dir, device="cpu", resume=True)
    list(trainer.run())
    assert read_run(run_dir).steps.tolist() == [4, 8, 12]


def test_a_run_that_diverged_is_not_said_to_have_recovered():
    monitor = HealthMonitor()
    message = (
        "Training diverged: the losses became invalid 4 times even after lowering the learning rates. "
        "Try a lower learning rate or another loss."
    )
    raised = monitor.update(_report(40, n=0, state="diverged", events=(Event(EventKind.DIVERGED, message),)))
    assert [w.kind for w in raised] == ["diverged"]
    assert not any("recovered" in w.title for w in raised)
    rollback = "The losses became invalid (NaN) near step 9: went back to step 4 and halved the learning rates (now x0.5)."
    assert [w.kind for w in HealthMonitor().update(_report(10, n=0, events=(Event(EventKind.ROLLED_BACK, rollback),)))] == ["rollback"]
