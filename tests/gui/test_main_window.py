"""The real window driven as a user would: pick data, Start, watch, Pause, Stop, reopen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from ganstudio.config import DataConfig
from ganstudio.gui.app import create_main_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = create_main_window(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def _use_tiny_demo(win, qtbot):
    win.data_state.set_choice(DataConfig(source="demo:shapes:48", resolution=16))
    qtbot.waitUntil(lambda: win.data_state.images is not None and win.data_state.images.count == 48, timeout=30_000)
    page = win.train_page
    page.width_spin.setValue(8)
    page.batch_spin.setValue(16)
    page.minutes_spin.setValue(0)  # until stopped


def _step(win):
    report = win.training.last_report
    return report.step if report is not None else 0


def test_first_launch_selects_a_demo_set_so_start_works(window, qtbot):
    assert window.findChild(object, "datasetPathEdit").text().startswith("demo:")
    qtbot.waitUntil(lambda: window.data_state.images is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.findChild(object, "startButton").isEnabled(), timeout=10_000)
    qtbot.waitUntil(lambda: window.device_label.text().startswith("CPU"), timeout=30_000)


def test_quick_sketch_halves_its_batch_for_64_px_images(window, qtbot):
    page = window.train_page
    for resolution, batch in ((64, 32), (32, 64), (64, 32)):
        window.data_state.set_choice(DataConfig(source="demo:shapes:48", resolution=resolution))
        qtbot.waitUntil(
            lambda: window.data_state.images is not None and window.data_state.images.images.shape[1] == resolution,
            timeout=30_000,
        )
        assert page.preset_combo.currentData() == "quick-sketch"
        assert page.batch_spin.value() == batch
        assert page.build_config().train.batch == batch


def test_train_pause_resume_stop_and_reopen(window, qtbot, tmp_path):
    _use_tiny_demo(window, qtbot)
    start = window.findChild(object, "startButton")
    pause = window.findChild(object, "pauseButton")
    stop = window.findChild(object, "stopButton")
    assert start.isEnabled() and not pause.isEnabled() and not stop.isEnabled()

    qtbot.mouseClick(start, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "running", timeout=30_000)
    assert not start.isEnabled() and pause.isEnabled() and stop.isEnabled()
    plots = window.train_page.plots
    qtbot.waitUntil(lambda: plots.point_count() >= 20, timeout=60_000)
    preview = window.train_page.samples
    qtbot.waitUntil(lambda: preview.current_image() is not None, timeout=30_000)
    first_grid = preview.current_image().copy()
    first_step = preview.current_step()
    qtbot.waitUntil(lambda: preview.current_step() != first_step, timeout=60_000)
    assert not np.array_equal(preview.current_image(), first_grid)  # the samples changed as it learned
    assert window.findChild(object, "progressBar").text().startswith("Step") or "Step" in window.findChild(object, "progressBar").format()

    # Pause holds the step counter; Resume carries on.
    qtbot.mouseClick(pause, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "paused", timeout=30_000)
    assert pause.text() == "Resume"
    held = _step(window)
    qtbot.wait(600)
    assert _step(window) == held and window.training.state == "paused"
    qtbot.mouseClick(pause, Qt.LeftButton)
    qtbot.waitUntil(lambda: _step(window) > held, timeout=30_000)

    # Stop leaves a checkpoint.
    with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
        qtbot.mouseClick(stop, Qt.LeftButton)
    assert window.training.state == "stopped"
    run_dir = window.training.run_dir
    assert (run_dir / "checkpoints" / "latest.pt").is_file()
    final_step = _step(window)
    lines = [json.loads(l) for l in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert lines[-1]["step"] == final_step

    # Reopening the run shows the same curve: one point per tick from stats.jsonl.
    window.new_run()
    assert plots.point_count() == 0
    window.open_run(run_dir)
    qtbot.waitUntil(lambda: window.training.state == "viewing", timeout=30_000)
    steps, values = plots.series("d_loss")
    assert steps.tolist() == [l["step"] for l in lines if "d_loss" in l]
    assert np.allclose(values, [l["d_loss"] for l in lines if "d_loss" in l])
    assert preview.grid_count() == len(list((run_dir / "samples").glob("step-*.png")))

    # Start on an opened run resumes it from its checkpoint.
    qtbot.waitUntil(lambda: start.isEnabled(), timeout=30_000)
    qtbot.mouseClick(start, Qt.LeftButton)
    qtbot.waitUntil(lambda: _step(window) > final_step, timeout=60_000)
    assert window.training.run_dir == run_dir
    with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
        qtbot.mouseClick(stop, Qt.LeftButton)


def test_closing_while_training_asks_then_saves_a_checkpoint(window, qtbot, monkeypatch):
    _use_tiny_demo(window, qtbot)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: _step(window) > 0, timeout=60_000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
        window.close()
    assert asked and "checkpoint" in asked[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert (window.training.run_dir / "checkpoints" / "latest.pt").is_file()


def test_a_bad_run_folder_gets_a_plain_message(window, qtbot, tmp_path):
    (tmp_path / "not-a-run").mkdir()
    window.open_run(tmp_path / "not-a-run")
    qtbot.waitUntil(lambda: "not a GAN Studio run" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.training.state != "viewing"
    # A scan that ends afterwards does not wipe the message before it can be read.
    window.data_state.set_choice(DataConfig(source="demo:shapes:48", resolution=16))
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == 48, timeout=30_000)
    assert "not a GAN Studio run" in window.statusBar().currentMessage()


def test_a_run_trained_in_the_terminal_opens_with_its_curve_and_checkpoints(window, qtbot, tmp_path):
    from tiny_runs import tiny_config
    from ganstudio.cli.main import main

    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=8).to_json())
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "server-run"), "--quiet"]) == 0
    window.open_run(tmp_path / "server-run")
    qtbot.waitUntil(lambda: window.training.state == "viewing", timeout=30_000)
    steps, _ = window.train_page.plots.series("d_loss")
    assert steps.tolist() == [4, 8]
    assert "latest" in window.train_page.speed_label.text()
    assert window.train_page.samples.grid_count() >= 1


def test_warnings_appear_in_plain_words(window, qtbot):
    from ganstudio.training.report import Event, EventKind, TickReport

    n = 5
    report = TickReport(
        step=10, first_step=6, images_seen=80, d_loss=np.ones(n, np.float32), g_loss=np.ones(n, np.float32),
        d_real=np.full(n, 0.6, np.float32), d_fake=np.full(n, 0.4, np.float32), steps_per_second=1.0,
        images_per_second=8.0, elapsed=1.0, eta=None, progress=None, batch=8, lr_scale=0.5,
        augment_probability=0.0, state="running",
        events=(Event(EventKind.ROLLED_BACK, "The losses became invalid (NaN) near step 9: went back to step 4 and halved the learning rates (now x0.5)."),),
    )
    window.training.add_report(report)
    assert window.train_page.warning_titles() == ["Training hit an invalid value and recovered"]


def test_explorer_follows_training_and_a_saved_piece_reopens_exactly(window, qtbot, tmp_path):
    _use_tiny_demo(window, qtbot)
    explore = window.explore_page
    with qtbot.waitSignal(window.trainingFinished, timeout=120_000):
        qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
        qtbot.waitUntil(lambda: explore.current_image() is not None, timeout=60_000)  # the live EMA copy arrived
        window.stop_training()
    # After stopping, explore the run's checkpoint (loaded off the GUI thread) and save a piece.
    window.open_run(window.training.run_dir)
    qtbot.waitUntil(lambda: explore.current_image() is not None and explore.is_idle(), timeout=30_000)
    window.tabs.setCurrentWidget(explore)
    seed = window.findChild(object, "seedSpin")
    seed.setValue(7)
    qtbot.waitUntil(lambda: explore.is_idle() and explore.current_look().seed == 7, timeout=30_000)
    shown = explore.current_image().copy()
    with qtbot.waitSignal(explore.artworkSaved, timeout=30_000) as saved:
        explore.save_artwork(window.training.run_dir / "artwork" / "piece.png")
    piece = saved.args[0]
    seed.setValue(8)
    qtbot.waitUntil(lambda: explore.is_idle() and explore.current_look().seed == 8, timeout=30_000)
    assert not np.array_equal(explore.current_image(), shown)

    window.open_artwork(str(piece))
    qtbot.waitUntil(lambda: explore.is_idle() and explore.current_look().seed == 7, timeout=30_000)
    assert np.array_equal(explore.current_image(), shown)
    assert seed.value() == 7
    # The Gallery lists the run's saved pieces.
    window.gallery_page.refresh()
    qtbot.waitUntil(lambda: [Path(p).name for p in window.gallery_page.paths()] == ["piece.png"], timeout=10_000)


def test_open_artwork_without_a_recipe_says_so(window, qtbot, tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(tmp_path / "plain.png")
    window.open_artwork(str(tmp_path / "plain.png"))
    assert "has no GAN Studio recipe" in window.statusBar().currentMessage()


def test_explore_before_training_shows_the_bundled_model(window, qtbot):
    window.tabs.setCurrentWidget(window.explore_page)
    qtbot.waitUntil(lambda: window.explore_page.current_image() is not None, timeout=30_000)
    image = window.explore_page.current_image()
    assert image.shape[0] >= 32 and image.std() > 5  # a real picture, not a blank


def test_a_piece_from_a_moved_run_reopens_with_its_own_model(window, qtbot, tmp_path, monkeypatch):
    """The run copied into this machine's runs folder, the piece dropped from somewhere else,
    another model on show: the window finds the run by name, loads the piece's generator off
    the GUI thread, and shows exactly the saved pixels."""
    import shutil

    from PIL import Image

    from tiny_runs import tiny_config
    from ganstudio.cli.main import main

    made = tmp_path / "made-elsewhere"
    made.mkdir()
    (made / "tiny.json").write_text(tiny_config(train__steps=3).to_json())
    assert main(["train", "--config", str(made / "tiny.json"), "--out", str(made / "sunsets"), "--quiet"]) == 0
    assert main(["generate", str(made / "sunsets"), "--n", "1", "--seed", "5", "--out", str(made / "gen")]) == 0
    runs = tmp_path / "runs"  # the window fixture's GANSTUDIO_RUNS_DIR
    shutil.copytree(made / "sunsets", runs / "sunsets")
    piece = tmp_path / "Downloads" / "sunset.png"
    piece.parent.mkdir()
    shutil.copy(made / "gen" / "seed-000005.png", piece)
    shutil.rmtree(made)  # nothing left where it was made

    window.open_bundled_model()
    qtbot.waitUntil(lambda: window.explore_page.current_image() is not None, timeout=30_000)
    window.open_artwork(str(piece))
    explore = window.explore_page
    expected = np.asarray(Image.open(piece).convert("RGB"))
    qtbot.waitUntil(lambda: explore.is_idle() and explore.current_look() is not None
                    and explore.current_look().seed == 5 and explore.current_image().shape == expected.shape,
                    timeout=30_000)
    assert np.array_equal(explore.current_image(), expected)


def test_renamed_directions_are_kept_with_the_model(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    settings_path = str(tmp_path / "settings.ini")
    names_seen = []
    for attempt in range(2):
        win = create_main_window(QSettings(settings_path, QSettings.IniFormat))
        qtbot.addWidget(win)
        win.tabs.setCurrentWidget(win.explore_page)
        qtbot.waitUntil(lambda: win.explore_page.current_image() is not None, timeout=30_000)
        qtbot.wait(50)
        if attempt == 0:
            win.explore_page.rename_direction(0, "Sun height")
        names_seen.append(list(win.explore_page.model.direction_names[:2]))
        win.shutdown()
        win.close()
    assert names_seen[1][0] == "Sun height"


def test_closing_mid_scan_and_mid_export_leaves_no_thread_and_no_half_file(qtbot, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    win = create_main_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.tabs.setCurrentWidget(win.explore_page)  # the bundled model
    qtbot.waitUntil(lambda: win.explore_page.current_image() is not None, timeout=30_000)
    add = win.findChild(object, "addKeyframeButton")
    seed = win.findChild(object, "seedSpin")
    for s in (1, 2):
        seed.setValue(s)
        add.click()
    out = tmp_path / "walk.gif"
    win.explore_page.export_animation(out, frames=400, fps=24, loop=True, size=256)
    win.data_state.set_choice(DataConfig(source="demo:shapes:20000", resolution=64))  # a long scan starts
    qtbot.waitUntil(lambda: win.data_state.scanning, timeout=10_000)
    win.close()  # not training: closes at once, cancelling the scan and the export
    assert not win.isVisible()
    assert not win.scanner.is_running()
    # Either the export finished before the close, whole, or it left nothing at all.
    if out.exists():
        with Image.open(out) as gif:
            assert gif.n_frames > 1
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_training_from_the_window_leaves_a_core_to_the_window_unless_told(window, qtbot, tmp_path):
    from ganstudio import threads

    _use_tiny_demo(window, qtbot)
    spin = window.findChild(object, "threadsSpin")
    assert spin.value() == 0 and spin.specialValueText() == "automatic"
    start = window.findChild(object, "startButton")
    stop = window.findChild(object, "stopButton")

    def train_once() -> str:
        qtbot.mouseClick(start, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.training.state == "running", timeout=30_000)
        shown = window.device_label.text()
        qtbot.mouseClick(stop, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.training_controller.thread is None or not window.training_controller.thread.isRunning(), timeout=30_000)
        return shown

    import torch

    from ganstudio.device import resolve_precision

    expected = threads.training_threads_beside_window(threads.remember_torch_default(1))
    automatic = train_once()
    number_format = resolve_precision(window.training.config.train.precision, torch.device("cpu")).name
    assert automatic == f"CPU ({expected} thread{'' if expected == 1 else 's'})  ·  {number_format}"
    assert window.device_label.toolTip().startswith(f"Training in {number_format}")
    assert expected <= max(1, threads.cpu_cores() - 1) or threads.cpu_cores() <= 2

    spin.setValue(threads.cpu_cores())  # the user wants every core
    qtbot.waitUntil(lambda: start.isEnabled(), timeout=30_000)
    every = train_once()
    cores = threads.cpu_cores()
    assert every == f"CPU ({cores} thread{'' if cores == 1 else 's'})  ·  {number_format}"
    assert window.train_page.save_settings()["threads"] == cores


def test_the_status_bar_says_which_number_format_a_run_trains_in_and_why(window, qtbot):
    _use_tiny_demo(window, qtbot)
    combo = window.findChild(object, "precisionCombo")
    combo.setCurrentIndex(combo.findData("fp16"))  # a format this machine cannot use
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "running", timeout=30_000)
    assert window.device_label.text().endswith("  ·  fp32")
    assert window.device_label.toolTip() == "Training in fp32 (fp16 needs an NVIDIA GPU)"
    qtbot.mouseClick(window.findChild(object, "stopButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training_controller.thread is None or not window.training_controller.thread.isRunning(), timeout=30_000)


def test_stop_then_start_at_once_keeps_the_new_run(window, qtbot):
    # Start comes back with the stopped run's last report, which can arrive before its
    # thread's `finished` signal is handled. That late signal once took the new run's thread
    # away with it: Qt destroyed a running thread and the whole app aborted (about one in
    # five times over these eight quick restarts when run with `pytest -s`; under pytest's
    # output capture the race did not show in five tries, so the next test makes it certain).
    _use_tiny_demo(window, qtbot)
    start = window.findChild(object, "startButton")
    stop = window.findChild(object, "stopButton")
    combo = window.findChild(object, "precisionCombo")
    for i in range(8):
        combo.setCurrentIndex(i % combo.count())
        qtbot.waitUntil(lambda: start.isEnabled(), timeout=30_000)
        qtbot.mouseClick(start, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.training.state == "running", timeout=30_000)
        assert window.training_controller.thread is not None and window.training_controller.thread.isRunning()
        assert window.device_label.text().split("  ·  ")[-1] in ("fp32", "bf16")
        qtbot.wait(300)
        qtbot.mouseClick(stop, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.training_controller.thread is None or not window.training_controller.thread.isRunning(), timeout=30_000)
    qtbot.waitUntil(lambda: window.training_controller.thread is None, timeout=30_000)
    assert window.training.state in ("stopped", "finished")


def test_a_late_finished_signal_of_the_previous_run_leaves_the_new_one_running(window, qtbot, tmp_path):
    # The same race, made certain: a thread that is not the current one reports its end.
    from ganstudio.gui.workers.training import TrainingThread

    _use_tiny_demo(window, qtbot)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "running", timeout=30_000)
    current = window.training_controller.thread
    earlier = TrainingThread(window.training.config, None, tmp_path / "earlier", parent=window)  # never started
    window.training_controller._on_thread_finished(earlier)
    assert window.training_controller.thread is current and current.isRunning() and window.training.state == "running"
    qtbot.mouseClick(window.findChild(object, "stopButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training_controller.thread is None, timeout=30_000)
    assert window.training.state in ("stopped", "finished")


def test_automatic_augmentation_says_what_it_picked_for_the_set(window, qtbot):
    page = window.train_page
    combo = window.findChild(object, "augmentCombo")
    for spec, text, policy in (
        ("demo:shapes:48", "Automatic: shift as needed", "translation"),
        ("demo:shapes:3000", "Automatic: shift", "translation"),
    ):
        count = int(spec.rsplit(":", 1)[1])
        window.data_state.set_choice(DataConfig(source=spec, resolution=16))
        qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == count, timeout=60_000)
        qtbot.waitUntil(lambda: combo.itemText(0) == text, timeout=5_000)
        assert combo.currentIndex() == 0
        assert page.build_config().augment.policy == policy
        # Quick sketch's one joint D batch goes with every image shifted (presets.joint_batch_suits),
        # not with shifting as needed (adaptive, for sets under 2,000).
        config = page.build_config()
        assert config.augment.adaptive is (count < 2000)
        assert config.loss.joint_batch is (count >= 2000)
    # The user picks colour jitter for the 3,000 shapes: the joint batch goes with it.
    combo.setCurrentIndex(combo.findData("color,translation"))
    config = page.build_config()
    assert config.augment.policy == "color,translation" and config.loss.joint_batch is False


def test_only_training_uses_every_core_while_the_window_is_open(qtbot, tmp_path, monkeypatch):
    """The window's own threads run torch on one thread, so training keeps its speed.

    A thread that has run multi-threaded torch work keeps OpenMP helpers, and with more of
    them than cores, training's helpers sleep between operations: about half speed in the
    window (threads.leave_the_cores_to_training).
    """
    import os
    import sys
    import threading

    import torch

    from ganstudio import threads

    monkeypatch.setattr(threads, "_torch_default", None)
    torch.set_num_threads(2)  # torch's own choice on a 2-core machine (the suite runs on one)
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    win = create_main_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.device_label.text().startswith("CPU"), timeout=30_000)
        assert win.device_label.text() == "CPU (2 threads)"  # what training will use
        assert torch.get_num_threads() == 1  # the GUI thread
        seen: list[int] = []
        fresh = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        fresh.start()
        fresh.join()
        assert seen == [1]  # any thread the window starts later

        win.tabs.setCurrentWidget(win.explore_page)
        qtbot.waitUntil(lambda: win.explore_page.current_image() is not None, timeout=30_000)
        assert win.explore_controller.renderer.torch_threads == 1

        _use_tiny_demo(win, qtbot)
        qtbot.mouseClick(win.findChild(object, "startButton"), Qt.LeftButton)
        qtbot.waitUntil(lambda: win.training.state == "running", timeout=30_000)
        assert win.device_label.text().startswith("CPU (2 threads)")  # training still gets both
        if sys.platform.startswith("linux"):  # and yields to the window's thread for a core
            own = os.getpriority(os.PRIO_PROCESS, 0)
            assert win.training_controller.thread.niceness == min(19, own + threads.TRAINING_NICENESS)
            assert os.getpriority(os.PRIO_PROCESS, win.training_controller.thread.native_id) == win.training_controller.thread.niceness
        qtbot.mouseClick(win.findChild(object, "stopButton"), Qt.LeftButton)
        qtbot.waitUntil(lambda: win.training_controller.thread is None or not win.training_controller.thread.isRunning(), timeout=30_000)
    finally:
        win.shutdown()


# ---------------------------------------------------------------- late results of superseded work
def _tiny_run(tmp_path, name: str) -> Path:
    from tiny_runs import tiny_config
    from ganstudio.cli.main import main

    config = tmp_path / f"{name}.json"
    config.write_text(tiny_config(train__steps=8).to_json())
    assert main(["train", "--config", str(config), "--out", str(tmp_path / name), "--quiet"]) == 0
    return tmp_path / name


def _hold_until(monkeypatch, module, name: str, held_roots, gate):
    """Make module.name wait for `gate` (a threading.Event) when its first argument lies in one of held_roots."""
    real = getattr(module, name)

    def held(target, *args, **kwargs):
        if any(Path(root) in (Path(target), *Path(target).parents) for root in held_roots):
            assert gate.wait(30), "the test never let the held call go"
        return real(target, *args, **kwargs)

    monkeypatch.setattr(module, name, held)


def test_a_model_load_that_lands_late_does_not_replace_the_one_asked_for_since(window, qtbot, tmp_path, monkeypatch):
    # Loads run in their own threads and land in the order they end, not the order they
    # were asked for: a big checkpoint asked for first must not push out the bundled model
    # the user opened after it.
    import threading

    from ganstudio import checkpoint

    run = _tiny_run(tmp_path, "big-run")
    gate = threading.Event()
    _hold_until(monkeypatch, checkpoint, "load_generator", [run], gate)
    explore = window.explore_page
    try:
        window.load_generator(run, prefer="latest")  # held: a slow read
        window.open_bundled_model()
        qtbot.waitUntil(lambda: explore.current_image() is not None and explore.is_idle(), timeout=30_000)
        assert explore.model_label.text() == "Bundled demo model"
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)  # the earlier load ended, its result handled
    qtbot.waitUntil(explore.is_idle, timeout=30_000)
    assert explore.model_label.text() == "Bundled demo model"


def test_a_run_that_opens_late_does_not_replace_the_run_opened_since_or_a_new_run(window, qtbot, tmp_path, monkeypatch):
    import shutil
    import threading

    from ganstudio.runs import history

    first = _tiny_run(tmp_path, "first-run")
    second = tmp_path / "second-run"
    shutil.copytree(first, second)
    gate = threading.Event()
    _hold_until(monkeypatch, history, "read_run", [first], gate)
    try:
        window.open_run(first)  # held: a long stats file
        window.open_run(second)
        qtbot.waitUntil(lambda: window.training.state == "viewing", timeout=30_000)
        assert window.training.run_dir == second
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)
    assert window.training.run_dir == second and window.history.root == second

    # File → New run while a run is still being read: the new run stays.
    gate.clear()
    try:
        window.open_run(first)
        window.new_run()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)
    assert window.training.state == "idle" and window.history is None and window.training.run_dir is None


def test_closing_while_a_run_opens_starts_no_thread_after_the_window_has_gone(window, qtbot, tmp_path, monkeypatch):
    # The close waits for the run reader; its result is still queued and lands after the
    # window has shut its threads down. It must not start a model load then: a thread
    # running when the app exits takes the whole process down.
    import threading

    from PySide6.QtCore import QThread

    from ganstudio import checkpoint

    run = _tiny_run(tmp_path, "a-run")
    gate = threading.Event()
    _hold_until(monkeypatch, checkpoint, "load_generator", [run], gate)
    try:
        window.open_run(run)
        window.close()
        assert not window.isVisible()
        qtbot.wait(200)  # the reader's queued result is handled
        running = [type(t).__name__ for t in window.findChildren(QThread) if t.isRunning()]
        assert running == []
    finally:
        gate.set()


def _start_when_stopped(window):
    """Press Start the moment the stopping run's last report says "stopped": before its
    thread's `finished` is handled, as a quick user can."""
    pressed = []

    def on_state(state: str) -> None:
        if state == "stopped" and not pressed:
            pressed.append(window.train_page.start_button.isEnabled())
            window.train_page.start_button.click()

    window.training.stateChanged.connect(on_state)
    return pressed


def test_start_in_the_moment_a_revert_stops_the_run_leaves_the_revert_to_that_run(window, qtbot, monkeypatch):
    # "Go back to the best checkpoint" stops the run and reverts it once its thread has
    # ended. A Start pressed as the last report says "stopped" once began a second run, the
    # revert was left pending, and that second run's Stop later threw its own progress away.
    _use_tiny_demo(window, qtbot)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: _step(window) > 0, timeout=60_000)
    first = window.training.run_dir
    ended = []
    # The controller's `ended`, not the thread's `finished`: the controller deletes the thread
    # object in its own `finished` handler, and under load the test's queued slot could be
    # posted after that deletion and dropped (the window had closed; the test waited 60 s).
    window.training_controller.ended.connect(lambda _then: ended.append(True))  # runs after the window's own handler
    pressed = _start_when_stopped(window)
    window.revert_to_best()
    qtbot.waitUntil(lambda: bool(ended), timeout=60_000)
    assert pressed == [True]
    qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)
    if window.training_controller.thread is not None:  # the Start began a second run: see what its Stop does
        second = window.training.run_dir
        qtbot.waitUntil(lambda: window.training.state == "running" and _step(window) > 0, timeout=60_000)
        with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
            window.stop_training()
        qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)
        assert not (second / "checkpoints" / "latest-before-going-back.pt").exists(), "its Stop went back to its best checkpoint"
    assert (first / "checkpoints" / "latest-before-going-back.pt").is_file()
    assert window.training.run_dir == first and window.training.state == "viewing"


def test_start_in_the_moment_a_close_stops_the_run_still_closes_the_window(window, qtbot, monkeypatch):
    # Quitting while training stops the run and closes once its thread has ended. A Start
    # pressed as the last report says "stopped" once began a new run instead: the window
    # stayed open, and closed by itself whenever that run was stopped later.
    _use_tiny_demo(window, qtbot)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: _step(window) > 0, timeout=60_000)
    ended = []
    # The controller's `ended`, not the thread's `finished`: the controller deletes the thread
    # object in its own `finished` handler, and under load the test's queued slot could be
    # posted after that deletion and dropped (the window had closed; the test waited 60 s).
    window.training_controller.ended.connect(lambda _then: ended.append(True))  # runs after the window's own handler
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    pressed = _start_when_stopped(window)
    window.close()
    qtbot.waitUntil(lambda: bool(ended), timeout=60_000)
    assert pressed == [True]
    qtbot.wait(100)
    assert not window.isVisible()
    assert window.training_controller.thread is None


def test_a_second_new_run_in_the_same_second_gets_its_own_folder(window, qtbot, monkeypatch):
    # Run folders are named to the second. Start, Stop, File → New run and Start again
    # within one second used to give the second run the first one's folder, and a new
    # run clears its folder: the first run's curves, samples and checkpoints were gone.
    from ganstudio.runs import folder

    monkeypatch.setattr(folder, "_stamp", lambda now=None: "20261206-120000")  # the same second
    _use_tiny_demo(window, qtbot)
    folders, steps = [], []
    window.training.reportAdded.connect(lambda report: steps.append(report.step))
    for _ in range(2):
        steps.clear()
        qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
        qtbot.waitUntil(lambda: any(steps), timeout=60_000)  # this run's own first steps
        folders.append(window.training.run_dir)
        with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
            window.stop_training()
        qtbot.waitUntil(lambda: window.loading.idle(), timeout=30_000)
        if not folders[1:]:
            first_stats = (folders[0] / "stats.jsonl").read_bytes()
            window.new_run()
    assert [f.name for f in folders] == ["shapes-20261206-120000", "shapes-20261206-120000-2"]
    assert (folders[0] / "stats.jsonl").read_bytes() == first_stats  # the first run is untouched
    assert (folders[0] / "checkpoints" / "latest.pt").is_file()
    assert (folders[1] / "stats.jsonl").is_file()


def test_resuming_a_run_killed_after_its_last_checkpoint_drops_the_steps_trained_again(window, qtbot, tmp_path):
    """stats.jsonl and samples/ went on past latest.pt (killed before the next checkpoint):
    the resumed run trains those steps again, so the curves and the timeline show them once,
    from the new training, and the preview never lands on a sample that is gone."""
    import shutil

    from tiny_runs import tiny_config
    from ganstudio.cli.main import main

    run = tmp_path / "killed-run"
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=8).to_json())
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(run), "--quiet"]) == 0
    lines = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    ghost = dict(lines[-1], step=13, images=13 * 8, swd=1.0, events=[])  # trained, logged, never checkpointed
    with open(run / "stats.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(ghost) + "\n")
    shutil.copy(run / "samples" / "step-000000008.png", run / "samples" / "step-000000013.png")

    window.open_run(run)
    qtbot.waitUntil(lambda: window.training.state == "viewing", timeout=30_000)
    page = window.train_page
    assert page.samples.current_step() == 13 and page.plots.series("quality")[0].tolist() == [8, 13]
    seen = []  # what the artist sees after each report of the resumed run


    def look(report):
        page.plots.flush()  # what the next redraw puts on screen
        seen.append(
            (report.step, page.samples.current_step(), page.samples.current_image() is not None,
             page.plots.series("quality")[0].tolist())
        )

    window.training.reportAdded.connect(look)
    page.minutes_spin.setValue(0)
    start = window.findChild(object, "startButton")
    qtbot.waitUntil(lambda: start.isEnabled(), timeout=30_000)
    qtbot.mouseClick(start, Qt.LeftButton)
    # An upper bound, not a guess: the training thread runs at a lower priority than the
    # window (threads.py), so on a machine busy with other programs it gets what is left.
    qtbot.waitUntil(lambda: _step(window) >= 16, timeout=180_000)
    with qtbot.waitSignal(window.trainingFinished, timeout=60_000):
        qtbot.mouseClick(window.findChild(object, "stopButton"), Qt.LeftButton)
    page.plots.flush()

    first = seen[0]
    assert first[0] == 12
    assert first[1] == 12 and first[2], f"training is at step 12 but the live preview shows the abandoned step {first[1]}"
    assert 13 not in first[3], f"the quality plot still shows the abandoned step 13: {first[3]}"
    slider = page.findChild(object, "sampleTimelineSlider")
    steps = []
    for i in range(page.samples.grid_count()):  # scrub through the whole timeline
        slider.setValue(i)
        steps.append(page.samples.current_step())
        assert page.samples.current_image() is not None, f"the grid of step {steps[-1]} cannot be shown"
    assert 13 not in steps and steps == sorted(set(steps)) and steps[:3] == [4, 8, 12]
    loss_steps = page.plots.series("d_loss")[0]
    assert loss_steps[:3].tolist() == [4, 8, 9] and np.all(np.diff(loss_steps) > 0)


def test_a_warning_leaves_the_panel_when_training_recovers_and_never_shows_twice(window, qtbot):
    from ganstudio.training.trainer import TickReport

    def tick(step, d_fake, n=100):
        return TickReport(
            step=step, first_step=step - n + 1, images_seen=step * 8, d_loss=np.ones(n, np.float32),
            g_loss=np.ones(n, np.float32), d_real=np.full(n, 0.9, np.float32), d_fake=np.full(n, d_fake, np.float32),
            steps_per_second=10.0, images_per_second=80.0, elapsed=1.0, eta=None, progress=None, batch=8,
            lr_scale=1.0, augment_probability=0.0, state="running",
        )

    page = window.train_page
    winning = "The discriminator is winning outright"
    step = 0
    for _ in range(4):  # 400 steps of D spotting every fake
        step += 100
        window.training.add_report(tick(step, 0.01))
    assert page.warning_titles() == [winning]
    for _ in range(3):  # balanced again: the warning no longer holds
        step += 100
        window.training.add_report(tick(step, 0.5))
    qtbot.wait(10)
    assert page.warning_titles() == []
    for _ in range(4):  # and D wins again: one card, not two
        step += 100
        window.training.add_report(tick(step, 0.01))
    qtbot.wait(10)
    assert page.warning_titles() == [winning]


def _window_from_settings(qtbot, tmp_path, monkeypatch, text: str):
    """A launch with a settings file written by hand (or by another version)."""
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    path = tmp_path / "edited.ini"
    path.write_text(text)
    win = create_main_window(QSettings(str(path), QSettings.IniFormat))
    qtbot.addWidget(win)
    return win


def test_a_hand_edited_window_size_still_launches_at_a_sane_size(qtbot, tmp_path, monkeypatch):
    for value in ("hello", "@ByteArray(not a geometry)", "-5"):
        win = _window_from_settings(qtbot, tmp_path, monkeypatch, f"[window]\ngeometry={value}\n")
        try:
            assert win.width() >= 800 and win.height() >= 500, value  # not the cramped size hint
        finally:
            win.shutdown()


def test_the_cpu_threads_setting_is_back_at_the_next_launch(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    path = str(tmp_path / "settings.ini")
    first = create_main_window(QSettings(path, QSettings.IniFormat))
    qtbot.addWidget(first)
    first.train_page.threads_spin.setValue(1)  # "1 thread", not "automatic"
    first.shutdown()  # saves the settings, as closing the window does
    second = create_main_window(QSettings(path, QSettings.IniFormat))
    qtbot.addWidget(second)
    try:
        assert second.train_page.threads_spin.value() == 1
    finally:
        second.shutdown()


def test_one_nonsense_data_setting_keeps_the_artists_folder_and_says_what_was_reset(qtbot, tmp_path, monkeypatch):
    from PIL import Image

    folder = tmp_path / "my drawings"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (40, 40), (i * 60, 10, 10)).save(folder / f"{i}.png")
    win = _window_from_settings(
        qtbot, tmp_path, monkeypatch,
        f"[data]\nsource={folder}\nresolution=33\nfit=pad\ncolor=gray\nflip=false\n",  # flip: settings of earlier versions
    )
    try:
        choice = win.data_state.choice
        assert choice.source == str(folder)  # the folder is not swapped for a demo set
        assert (choice.resolution, choice.fit, choice.color, choice.mirror) == (32, "pad", "gray", "off")
        assert "resolution" in win.statusBar().currentMessage().lower()
    finally:
        win.shutdown()


def _drop(win, *paths):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    win.dropEvent(QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def test_dropping_a_png_without_a_recipe_says_so_and_keeps_the_data_set(window, qtbot, tmp_path):
    from PIL import Image

    qtbot.waitUntil(lambda: window.data_state.images is not None, timeout=30_000)
    before = window.data_state.choice
    Image.new("RGB", (8, 8), "red").save(tmp_path / "holiday.png")
    _drop(window, tmp_path / "holiday.png")
    assert "has no GAN Studio recipe" in window.statusBar().currentMessage()
    assert window.data_state.choice == before and window.data_state.images is not None  # Start still works


def test_main_with_a_run_folder_argument_opens_that_run(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    import ganstudio.gui.app as app_module
    from tiny_runs import tiny_config
    from ganstudio.cli.main import main as cli_main

    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=4).to_json())
    assert cli_main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "my-run"), "--quiet"]) == 0
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    made = []
    real = app_module.create_main_window

    def create(settings=None):
        made.append(real(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)))
        qtbot.addWidget(made[-1])
        return made[-1]

    monkeypatch.setattr(app_module, "create_main_window", create)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)  # the event loop is qtbot's
    assert app_module.main(["ganstudio", str(tmp_path / "my-run")]) == 0
    win = made[0]
    try:
        qtbot.waitUntil(lambda: win.training.state == "viewing", timeout=30_000)
        assert win.training.run_dir == tmp_path / "my-run"
    finally:
        win.shutdown()


def _capture_started_configs(monkeypatch) -> list:
    """Replace the training thread by one that records the RunConfig it is given and trains nothing."""
    from PySide6.QtCore import QThread, Signal

    from ganstudio.gui.controllers import training as training_controller

    configs = []

    class RecordingThread(QThread):
        started_training = Signal(str, object, object)
        report = Signal(object)
        failed = Signal(str)

        def __init__(self, config, images, run_dir, **kwargs):
            super().__init__(kwargs.get("parent"))
            configs.append(config)

        def run(self):
            pass

    monkeypatch.setattr(training_controller, "TrainingThread", RecordingThread)
    return configs


def test_a_new_data_set_updates_the_automatic_choices_but_keeps_the_artists_own(window, qtbot, monkeypatch):
    configs = _capture_started_configs(monkeypatch)
    page = window.train_page
    combo = window.findChild(object, "augmentCombo")
    window.data_state.set_choice(DataConfig(source="demo:shapes:48", resolution=16))
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == 48, timeout=30_000)
    qtbot.waitUntil(lambda: window.device_label.text().startswith("CPU"), timeout=30_000)
    # On this CPU the automatic preset is Quick sketch; the artist picks Balanced and a smaller batch.
    page.preset_combo.setCurrentIndex(page.preset_combo.findData("balanced"))
    page.batch_spin.setValue(16)
    page.lr_g_spin.setValue(0.0001)
    # A bigger set: "automatic" augmentation follows it, the artist's own choices stay.
    window.data_state.set_choice(DataConfig(source="demo:shapes:3000", resolution=16))
    qtbot.waitUntil(lambda: window.data_state.images is not None and window.data_state.images.count == 3000, timeout=60_000)
    qtbot.waitUntil(lambda: combo.itemText(0) == "Automatic: shift", timeout=5_000)
    assert page.preset_combo.currentData() == "balanced"
    assert page.arch_combo.currentData() == "resnet"
    assert page.batch_spin.value() == 16
    assert page.lr_g_spin.value() == pytest.approx(0.0001)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(configs) == 1, timeout=5_000)
    config = configs[0]
    assert config.preset == "balanced" and config.model.arch == "resnet"
    assert config.train.batch == 16 and config.train.lr_g == pytest.approx(0.0001)
    assert config.augment.policy == "translation"
    qtbot.waitUntil(lambda: not window.training.busy, timeout=5_000)


def test_the_preset_the_artist_picked_is_back_at_the_next_launch(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    path = str(tmp_path / "settings.ini")
    first = create_main_window(QSettings(path, QSettings.IniFormat))
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.data_state.images is not None, timeout=30_000)
    qtbot.waitUntil(lambda: first.device_label.text().startswith("CPU"), timeout=30_000)
    page = first.train_page
    page.preset_combo.setCurrentIndex(page.preset_combo.findData("balanced"))  # not the CPU's automatic one
    first.shutdown()
    second = create_main_window(QSettings(path, QSettings.IniFormat))
    qtbot.addWidget(second)
    try:
        # Once the data set is scanned and the device is known, the artist's preset is still shown.
        qtbot.waitUntil(lambda: second.data_state.images is not None, timeout=30_000)
        qtbot.waitUntil(lambda: second.device_label.text().startswith("CPU"), timeout=30_000)
        qtbot.wait(200)
        assert second.train_page.preset_combo.currentData() == "balanced"
        assert second.train_page.arch_combo.currentData() == "resnet"
        assert second.train_page.build_config().preset == "balanced"
    finally:
        second.shutdown()


def test_a_new_run_can_start_from_an_earlier_run(window, qtbot, tmp_path):
    """Start from → an earlier run: the new run takes its network and weights, and the
    earlier run is untouched; the size and colour follow that model."""
    import torch

    from ganstudio.checkpoint import load_checkpoint

    source = _tiny_run(tmp_path, "earlier")
    before = (source / "checkpoints" / "best.pt").read_bytes()
    _use_tiny_demo(window, qtbot)
    page = window.train_page
    page.use_start_from(str(source))
    assert page.start_from() == str(source) and "earlier" in page.start_from_combo.currentText()
    page.steps_spin.setValue(3)
    qtbot.mouseClick(window.findChild(object, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=60_000)
    run = window.training.run_dir
    trained = load_checkpoint(run / "checkpoints" / "latest.pt")
    origin = load_checkpoint(source / "checkpoints" / "best.pt")
    assert trained["config"]["train"]["init_from"] == "run 'earlier' at step 8"
    assert trained["config"]["model"] == origin["config"]["model"]
    assert torch.equal(trained["D"]["main.0.weight"], origin["D"]["main.0.weight"])  # FreezeD kept it
    assert (source / "checkpoints" / "best.pt").read_bytes() == before


def test_the_explorer_says_which_generator_of_a_run_it_shows_and_why(window, qtbot, tmp_path):
    run = _tiny_run(tmp_path, "shown")
    window.load_generator(run)
    label = window.explore_page.model_label
    qtbot.waitUntil(lambda: "best.pt (SWD" in label.text(), timeout=30_000)
    assert "step 8" in label.text() and "the lowest figure so far" in label.text()


def test_start_waits_for_the_images_of_a_new_choice(window, qtbot):
    """Right after the data choice changes (an opened run's data, another size) the previous
    images are still on show until the new scan starts: Start must not train on them."""
    _use_tiny_demo(window, qtbot)
    start = window.findChild(object, "startButton")
    qtbot.waitUntil(start.isEnabled, timeout=10_000)
    window.data_state.set_choice(DataConfig(source="demo:shapes:40", resolution=32))
    assert not start.isEnabled()  # within the scan's pause, before it even starts
    window.start_training(window.train_page.build_config())  # Ctrl+Return in that moment
    assert not window.training.busy
    qtbot.waitUntil(lambda: start.isEnabled() and window.data_state.images.count == 40, timeout=30_000)
