"""What Start does (runs/resume.py), without a window: continue the opened run or begin a new one."""

from __future__ import annotations

import pytest

from ganstudio.config import RunConfig
from ganstudio.runs.history import read_run
from ganstudio.runs.resume import CannotStart, plan_start
from ganstudio.training.trainer import Trainer
from tiny_runs import tiny_config


@pytest.fixture
def trained_run(tiny_images, tmp_path):
    run = tmp_path / "runs" / "old-run"
    list(Trainer(tiny_config(train__steps=4), tiny_images, run, device="cpu").run())
    return read_run(run)


def test_start_continues_a_stopped_run_for_the_minutes_asked_more(trained_run, tiny_images):
    shape = tiny_images.shape
    plan = plan_start(RunConfig(), history=trained_run, images_shape=shape, state="stopped", more_minutes=10)
    assert plan.resume and plan.run_dir == trained_run.root
    assert plan.config.train.minutes == pytest.approx(10 + trained_run.elapsed / 60) and plan.config.train.steps == 0
    assert trained_run.config.train.steps == 4  # the opened run's own settings are not changed by asking
    until_stopped = plan_start(RunConfig(), history=trained_run, images_shape=shape, state="viewing", more_minutes=0)
    assert until_stopped.resume and until_stopped.config.train.minutes == 0


def test_start_refuses_images_that_do_not_fit_the_run(trained_run, tiny_images):
    n, side, _, channels = tiny_images.shape
    with pytest.raises(CannotStart, match="don't match this run's size or colour"):
        plan_start(RunConfig(), history=trained_run, images_shape=(n, side * 2, side * 2, channels), state="finished",
                   more_minutes=5)
    with pytest.raises(CannotStart, match="Choose a data set first"):
        plan_start(RunConfig(), history=trained_run, images_shape=None, state="finished", more_minutes=5)


def test_start_without_an_opened_run_makes_a_new_folder_never_an_old_one(tmp_path, tiny_images):
    config = tiny_config()
    config.data.source = "demo:shapes:24"
    first = plan_start(config, history=None, images_shape=tiny_images.shape, state="idle", more_minutes=5,
                       runs_dir=tmp_path)
    assert not first.resume and first.run_dir.parent == tmp_path and first.run_dir.name.startswith("shapes-")
    first.run_dir.mkdir()
    second = plan_start(config, history=None, images_shape=tiny_images.shape, state="idle", more_minutes=5,
                        runs_dir=tmp_path)
    assert second.run_dir != first.run_dir  # the same second: a folder of its own


def test_a_run_still_training_is_not_resumed_but_left_alone(trained_run, tiny_images):
    plan = plan_start(tiny_config(), history=trained_run, images_shape=tiny_images.shape, state="running",
                      more_minutes=5, runs_dir=trained_run.root.parent)
    assert not plan.resume and plan.run_dir != trained_run.root
