"""The Trainer as its users see it: reports per tick, files in the run folder, exact resume."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from tiny_runs import tiny_config
from ganstudio.checkpoint import load_checkpoint
from ganstudio.training.trainer import EventKind, Trainer, TrainingError


def _train(config, images, run_dir, **kwargs):
    trainer = Trainer(config, images, run_dir, device="cpu", **kwargs)
    reports = list(trainer.run())
    return trainer, reports


def _stats_losses(run_dir):
    lines = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    return [(r["step"], r.get("d_loss"), r.get("g_loss")) for r in lines if "d_loss" in r]


def test_run_reports_every_step_and_writes_a_run_folder(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    trainer, reports = _train(tiny_config(), tiny_images, run_dir)

    assert reports[-1].state == "finished"
    assert reports[-1].step == 12
    # Every step's losses arrive exactly once, in order, across the ticks.
    steps = np.concatenate([np.arange(r.first_step, r.first_step + len(r.d_loss)) for r in reports])
    assert steps.tolist() == list(range(1, 13))
    for r in reports:
        for values in (r.d_loss, r.g_loss, r.d_real, r.d_fake):
            assert np.isfinite(values).all()
        assert ((r.d_real >= 0) & (r.d_real <= 1)).all()
    assert reports[-1].progress == 1.0
    assert reports[0].images_per_second > 0

    # The run folder: config, one stats line per tick, sample grids, a checkpoint.
    assert json.loads((run_dir / "config.json").read_text())["model"]["width"] == 8
    assert [s for s, _, _ in _stats_losses(run_dir)] == [4, 8, 12]
    grids = sorted((run_dir / "samples").glob("step-*.png"))
    assert grids[-1].name == "step-000000012.png"
    grid = np.asarray(Image.open(grids[-1]))
    assert grid.ndim == 3 and grid.shape[2] == 3 and grid.std() > 1  # real pixels, not a blank
    ckpt = load_checkpoint(run_dir / "checkpoints" / "latest.pt")
    assert ckpt["step"] == 12 and ckpt["images_seen"] == 12 * 8
    # The last report carries the sample grid and a CPU copy of the EMA generator.
    last = reports[-1]
    assert last.sample_grid is not None and last.sample_grid.dtype == np.uint8
    assert last.ema_generator is not None
    assert all(p.device.type == "cpu" and not p.requires_grad for p in last.ema_generator.parameters())
    assert last.ema_generator is not trainer.G_ema


def test_resume_continues_as_if_never_stopped(tiny_images, tmp_path):
    straight = tmp_path / "straight"
    _, reports_straight = _train(tiny_config(train__steps=16), tiny_images, straight)

    split = tmp_path / "split"
    _train(tiny_config(train__steps=8), tiny_images, split)
    resumed, reports_resumed = _train(tiny_config(train__steps=16), tiny_images, split, resume=True)

    assert reports_resumed[0].first_step == 9
    assert resumed.step_count == 16
    # Same losses at every step, to the bit: weights, optimisers, EMA and RNG all restored.
    assert _stats_losses(split) == _stats_losses(straight)
    a = np.asarray(Image.open(straight / "samples" / "step-000000016.png"))
    b = np.asarray(Image.open(split / "samples" / "step-000000016.png"))
    assert np.array_equal(a, b)


def test_a_checkpoint_saved_without_fused_adam_resumes_with_it(tiny_images, tmp_path):
    """Checkpoints from before fused Adam (or from an MPS machine) carry on, fused, here."""
    from ganstudio.checkpoint import save_checkpoint

    run = tmp_path / "run"
    first, _ = _train(tiny_config(train__steps=8), tiny_images, run)
    assert all(group["fused"] for group in first.opt_g.param_groups + first.opt_d.param_groups)
    latest = run / "checkpoints" / "latest.pt"
    state = load_checkpoint(latest)
    for key in ("opt_G", "opt_D"):
        for group in state[key]["param_groups"]:
            group["fused"], group["foreach"] = None, None  # as the unfused optimiser saved them
    save_checkpoint(latest, state)

    resumed, reports = _train(tiny_config(train__steps=12), tiny_images, run, resume=True)
    assert reports[0].first_step == 9 and resumed.step_count == 12
    assert all(group["fused"] for group in resumed.opt_g.param_groups + resumed.opt_d.param_groups)
    ticks = _stats_losses(run)
    assert [step for step, _, _ in ticks] == [4, 8, 12]
    assert all(np.isfinite([loss for _, d, g in ticks for loss in (d, g)]))


def test_resume_forgets_stats_written_after_the_checkpoint(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    _train(tiny_config(train__steps=8), tiny_images, run_dir)
    # A crash after the checkpoint leaves a stats line and a grid from the future.
    with open(run_dir / "stats.jsonl", "a") as handle:
        handle.write(json.dumps({"step": 10, "d_loss": 1.0, "g_loss": 1.0}) + "\n")
        handle.write('{"step": 11, "d_lo')  # torn line
    Image.new("RGB", (4, 4)).save(run_dir / "samples" / "step-000000010.png")
    trainer, reports = _train(tiny_config(train__steps=12), tiny_images, run_dir, resume=True)
    assert [s for s, _, _ in _stats_losses(run_dir)] == [4, 8, 12]
    assert not (run_dir / "samples" / "step-000000010.png").exists()


def test_stop_request_from_another_thread_saves_a_checkpoint(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    trainer = Trainer(tiny_config(train__steps=0), tiny_images, run_dir, device="cpu")  # no limit
    reports = []

    def consume():
        for report in trainer.run():
            reports.append(report)

    worker = threading.Thread(target=consume)
    worker.start()
    deadline = time.time() + 30
    while not reports and time.time() < deadline:
        time.sleep(0.01)
    trainer.request_stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert reports[-1].state == "stopped"
    assert load_checkpoint(run_dir / "checkpoints" / "latest.pt")["step"] == reports[-1].step == trainer.step_count


def test_pause_holds_the_step_counter_and_resume_continues(tiny_images, tmp_path):
    trainer = Trainer(tiny_config(train__steps=0), tiny_images, tmp_path / "run", device="cpu")
    states = []

    def consume():
        for report in trainer.run():
            states.append(report.state)

    worker = threading.Thread(target=consume)
    worker.start()
    try:
        while trainer.step_count < 4:
            time.sleep(0.01)
        trainer.request_pause()
        deadline = time.time() + 10
        while "paused" not in states and time.time() < deadline:
            time.sleep(0.01)
        held = trainer.step_count
        time.sleep(0.3)
        assert trainer.step_count == held
        trainer.request_resume()
        deadline = time.time() + 10
        while trainer.step_count <= held and time.time() < deadline:
            time.sleep(0.01)
        assert trainer.step_count > held
    finally:
        trainer.request_stop()
        worker.join(timeout=30)
    assert states[-1] == "stopped" and "paused" in states


def _run_poisoned_after_the_first_report(trainer) -> list:
    """All reports of trainer.run(), with D poisoned after the first: the next step's losses are NaN."""
    reports = []
    for report in trainer.run():
        reports.append(report)
        if len(reports) == 1:
            with torch.no_grad():
                next(trainer.D.parameters()).fill_(float("nan"))
    return reports


def test_nan_loss_rolls_back_lowers_learning_rates_and_continues(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    trainer = Trainer(tiny_config(train__steps=16), tiny_images, run_dir, device="cpu")
    reports = _run_poisoned_after_the_first_report(trainer)
    events = [e.text for r in reports for e in r.events]
    assert any("NaN" in e and "halved the learning rates" in e for e in events)
    assert reports[-1].state == "finished" and reports[-1].step == 16
    assert reports[-1].lr_scale == 0.5
    assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(trainer.config.train.lr_d * 0.5)
    assert np.isfinite(reports[-1].d_loss).all() and len(reports[-1].d_loss) > 0
    assert "NaN" in (run_dir / "log.txt").read_text()
    # The curve on disk has no invalid points and its steps only go forward.
    steps = [s for s, d, g in _stats_losses(run_dir)]
    assert steps == sorted(steps) and all(d is not None for _, d, _ in _stats_losses(run_dir))


def test_quality_figure_is_logged_and_keeps_a_best_checkpoint(tiny_images, tmp_path):
    run_dir = tmp_path / "run"
    _, reports = _train(tiny_config(schedule__metric_seconds=0.0), tiny_images, run_dir)
    figures = [r.quality.swd for r in reports if r.quality is not None]
    assert len(figures) >= 2 and all(np.isfinite(figures))
    lines = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert sum("swd" in line for line in lines) == len(figures)
    best = load_checkpoint(run_dir / "checkpoints" / "best.pt")
    assert best["best_quality"] == pytest.approx(min(figures))


@pytest.mark.parametrize(
    "arch,loss,extra",
    [
        ("dcgan", "ns", {}),
        ("dcgan", "lsgan", {"augment__policy": "color,translation,cutout"}),
        ("resnet", "hinge", {"augment__policy": "color,translation", "augment__adaptive": True}),
        ("resnet", "wgan-gp", {}),
        ("dcgan", "hinge", {"loss__r1_gamma": 1.0, "loss__r1_every": 2}),
        ("dcgan", "ns", {"train__precision": "bf16", "loss__d_steps": 2}),
        ("dcgan", "ns", {"loss__joint_batch": True, "loss__r1_gamma": 1.0, "loss__r1_every": 1}),
        ("dcgan", "hinge", {"loss__joint_batch": True, "loss__d_steps": 2, "train__precision": "bf16"}),
        ("dcgan", "ns", {"loss__joint_batch": True, "loss__joint_g_step": "running", "loss__r1_gamma": 1.0, "loss__r1_every": 1}),
        ("resnet", "hinge", {"loss__joint_batch": True, "loss__joint_g_step": "running"}),
    ],
)
def test_every_architecture_and_objective_trains(tiny_images, tmp_path, arch, loss, extra):
    cfg = tiny_config(model__arch=arch, loss__kind=loss, train__steps=6, **extra)
    trainer, reports = _train(cfg, tiny_images, None)
    losses = np.concatenate([r.d_loss for r in reports] + [r.g_loss for r in reports])
    assert len(losses) == 12 and np.isfinite(losses).all()
    # The generator moved: its EMA differs from the initial weights.
    assert reports[-1].sample_grid.std() > 0


@pytest.mark.parametrize("joint", [False, True])
def test_a_joint_batch_shows_the_discriminator_reals_and_fakes_together(tiny_images, joint):
    """With joint_batch every D pass (its own step and the generator's) holds the reals
    beside the fakes, so its batch norm compares them; apart, each batch is on its own."""
    trainer = Trainer(tiny_config(loss__joint_batch=joint), tiny_images, None, device="cpu")
    seen = []
    hook = trainer.D.register_forward_hook(lambda module, args, out: seen.append(args[0].detach().clone()))
    try:
        trainer.step()
    finally:
        hook.remove()
    batch = trainer.config.train.batch
    if not joint:
        assert [len(x) for x in seen] == [batch] * 3  # reals, fakes, then fakes for G
        return
    assert [len(x) for x in seen] == [2 * batch] * 2
    d_pass, g_pass = seen
    # The same reals in both passes (first half), the fakes after them.
    assert torch.equal(d_pass[:batch], g_pass[:batch])
    # Reals come from the set (values on the uint8 grid), fakes from the generator (not).
    grid = (d_pass[:batch] + 1) * 127.5
    assert torch.allclose(grid, grid.round(), atol=1e-3)
    fakes = (d_pass[batch:] + 1) * 127.5
    assert not torch.allclose(fakes, fakes.round(), atol=1e-3)


def test_the_running_variant_judges_fakes_alone_on_the_joint_batches_statistics(tiny_images):
    """joint_g_step="running": D's step sees reals and fakes together, the generator's step
    the fakes alone, with D's batch norm on the running statistics the joint batches left
    (eval mode), which that pass must not move; afterwards D trains again."""
    trainer = Trainer(tiny_config(loss__joint_batch=True, loss__joint_g_step="running"), tiny_images, None, device="cpu")
    norms = [m for m in trainer.D.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms, "the tiny DCGAN discriminator should have batch norm"
    seen = []

    def record(module, args, out):
        seen.append((len(args[0]), module.training, [n.running_mean.clone() for n in norms]))

    hook = trainer.D.register_forward_hook(record)
    try:
        trainer.step()
    finally:
        hook.remove()
    batch = trainer.config.train.batch
    assert [(size, training) for size, training, _ in seen] == [(2 * batch, True), (batch, False)]
    after_d_pass = seen[0][2]
    assert any(m.abs().sum() > 0 for m in after_d_pass)  # the joint pass did update them
    assert all(torch.equal(a, n.running_mean) for a, n in zip(after_d_pass, norms))
    assert trainer.D.training and all(n.training for n in norms)


def test_a_set_smaller_than_the_batch_trains(tiny_images, tmp_path):
    _, reports = _train(tiny_config(train__batch=16, train__steps=4), tiny_images[:3], None)
    assert reports[-1].step == 4 and reports[-1].images_seen == 64


def test_tick_reports_are_frozen(tiny_images):
    _, reports = _train(tiny_config(train__steps=4), tiny_images, None)
    with pytest.raises(AttributeError):
        reports[0].step = 99  # type: ignore[misc]


def test_out_of_memory_halves_the_batch_and_training_continues(tiny_images, tmp_path):
    """A GPU running out of memory, simulated on the CPU: the batch shrinks until it fits."""
    run_dir = tmp_path / "run"
    trainer = Trainer(tiny_config(train__batch=16, train__steps=8), tiny_images, run_dir, device="cpu")
    real_sample = trainer.bank.sample

    def sample_that_needs_memory(n, generator):
        if n > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_sample(n, generator)

    trainer.bank.sample = sample_that_needs_memory
    reports = list(trainer.run())
    events = [e.text for r in reports for e in r.events]
    assert any("ran out of memory with 16 images per step: halved the batch to 8" in e for e in events)
    assert any("halved the batch to 4" in e for e in events)
    assert reports[-1].state == "finished" and reports[-1].step == 8 and reports[-1].batch == 4
    assert np.isfinite(np.concatenate([r.d_loss for r in reports])).all()
    assert load_checkpoint(run_dir / "checkpoints" / "latest.pt")["batch"] == 4
    # A resumed run keeps the batch that fitted.
    resumed = Trainer(tiny_config(train__batch=16, train__steps=10), tiny_images, run_dir, device="cpu", resume=True)
    assert resumed.batch == 4
    with pytest.raises(TrainingError, match="ran out of memory even at 1 images per step"):  # nothing left to halve
        resumed.local_batch = 1
        resumed.bank.sample = lambda n, g: (_ for _ in ()).throw(torch.OutOfMemoryError("still too big"))
        list(resumed.run())


def test_losses_that_stay_nan_halve_again_and_end_in_a_plain_message(tiny_images, tmp_path):
    """Each rollback halves the rates once more; after MAX_ROLLBACKS the run gives up, plainly."""
    from ganstudio.training.trainer import MAX_ROLLBACKS

    trainer = Trainer(tiny_config(train__steps=16), tiny_images, tmp_path / "run", device="cpu")
    reports = []
    for report in trainer.run():
        reports.append(report)
        if len(reports) > 3 * MAX_ROLLBACKS:
            trainer.request_stop()
            break  # never gave up: fail below rather than loop for ever
        with torch.no_grad():  # broken for good: every step's losses are NaN
            next(trainer.D.parameters()).fill_(float("nan"))
    scales = [r.lr_scale for r in reports if any("halved the learning rates" in e.text for e in r.events)]
    assert scales[:3] == [0.5, 0.25, 0.125]
    assert reports[-1].state == "diverged"
    assert len(scales) == MAX_ROLLBACKS
    assert any(e.kind is EventKind.DIVERGED and e.text.startswith("Training diverged") for e in reports[-1].events)


def test_a_rollback_keeps_the_best_quality_so_far(tiny_images, tmp_path):
    """The figures measured before the losses went NaN are not forgotten by going back to an
    older state: the lowest and the measured noise still judge every later generator, and
    best.pt holds the generator of the last figure that was judged best."""
    run_dir = tmp_path / "run"
    config = tiny_config(train__steps=16, schedule__metric_seconds=0.0)  # a quality figure every tick
    trainer = Trainer(config, tiny_images, run_dir, device="cpu")
    reports = _run_poisoned_after_the_first_report(trainer)
    assert any("halved the learning rates" in e.text for r in reports for e in r.events)
    figures = [r.quality.swd for r in reports if r.quality is not None]
    assert trainer.quality.lowest == pytest.approx(min(figures))
    # From the first figure on, every report shows the figure of a generator measured so far,
    # never blank; best.pt holds the one the last report names.
    first = next(i for i, r in enumerate(reports) if r.quality is not None)
    seen = []
    for r in reports[first:]:
        if r.quality is not None:
            seen.append(r.quality.swd)
        assert r.best_quality is not None and any(r.best_quality == pytest.approx(f) for f in seen)
    best = load_checkpoint(run_dir / "checkpoints" / "best.pt")
    assert best["best_quality"] == pytest.approx(reports[-1].best_quality)


def test_a_resume_keeps_a_best_checkpoint_newer_than_the_latest(tiny_images, tmp_path):
    """A stop between saving best.pt and latest.pt leaves best.pt the newer one: after the
    resume its figure is still the one to beat, so a worse model does not replace it."""
    from ganstudio.checkpoint import save_checkpoint

    run_dir = tmp_path / "run"
    config = tiny_config(train__steps=8, schedule__metric_seconds=0.0)  # a quality figure every tick
    for _ in Trainer(config, tiny_images, run_dir, device="cpu").run():
        pass
    best_path = run_dir / "checkpoints" / "best.pt"
    best = load_checkpoint(best_path)
    best["best_quality"] = 0.5  # a figure no tiny run reaches: as if measured just before a kill
    best["quality"]["second"]["lowest"] = 0.5  # in both views
    save_checkpoint(best_path, {k: v for k, v in best.items() if k not in ("format", "version")})
    before = best_path.read_bytes()
    resumed = Trainer(tiny_config(train__steps=16, schedule__metric_seconds=0.0), tiny_images, run_dir,
                      device="cpu", resume=True)
    reports = list(resumed.run())
    assert any(r.quality is not None for r in reports)
    assert all(r.best_quality == 0.5 for r in reports)
    assert best_path.read_bytes() == before


def test_r1_is_applied_once_per_due_step_whatever_the_discriminator_updates(tiny_images, monkeypatch):
    """Lazy R1 every 2 steps, weighted by 2: with 2 discriminator updates per step it must
    still be applied once per due step, not once per update (twice the strength asked for)."""
    import ganstudio.training.step as engine

    calls = []
    real = engine.r1_penalty

    def counting(logits, real_in):
        calls.append(1)
        return real(logits, real_in)

    monkeypatch.setattr(engine, "r1_penalty", counting)
    config = tiny_config(train__steps=8, loss__r1_gamma=1.0, loss__r1_every=2, loss__d_steps=2)
    trainer = Trainer(config, tiny_images, None, device="cpu")
    for _ in range(8):
        trainer.step()
    assert len(calls) == 4  # steps 0, 2, 4, 6


def test_the_r3gan_recipe_trains_without_batch_norm_in_d_and_penalises_both_sides(tiny_images, tmp_path):
    from ganstudio.presets import with_loss

    config = with_loss(tiny_config(train__steps=6, loss__r1_every=2), "rpgan")
    assert (config.loss.kind, config.model.d_batch_norm) == ("rpgan", False) and config.loss.r1_gamma > 0
    trainer = Trainer(config, tiny_images, tmp_path / "run", device="cpu")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in trainer.D.modules())
    reports = list(trainer.run())
    d = np.concatenate([r.d_loss for r in reports])
    assert len(d) == 6 and np.isfinite(d).all()
    # The penalties really are added: the same run with gamma 0 starts from the same weights and
    # batch, and its first D loss (a penalty step) is lower by the penalties.
    plain = with_loss(tiny_config(train__steps=6, loss__r1_every=2), "rpgan")
    plain.loss.r1_gamma = 0.0
    d_plain = np.concatenate([r.d_loss for r in Trainer(plain, tiny_images, tmp_path / "p", device="cpu").run()])
    assert d_plain[0] < d[0]
