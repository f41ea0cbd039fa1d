"""The app and the terminal never train in the same run folder at once."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from ganstudio.gui.app import create_main_window
from ganstudio.runs.folder import RunFolder


def _tiny_run(tmp_path, name: str):
    from tiny_runs import tiny_config

    from ganstudio.cli.main import main

    config = tmp_path / f"{name}.json"
    config.write_text(tiny_config(train__steps=8).to_json())
    assert main(["train", "--config", str(config), "--out", str(tmp_path / name), "--quiet"]) == 0
    return tmp_path / name


def test_start_on_a_run_a_terminal_is_training_says_so_and_leaves_it_alone(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    run = _tiny_run(tmp_path, "on-the-server")
    win = create_main_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    messages = []
    win.training.messagePosted.connect(lambda level, text: messages.append((level, text)))
    try:
        win.open_run(run)
        qtbot.waitUntil(lambda: win.training.state == "viewing", timeout=30_000)
        qtbot.waitUntil(lambda: win.data_state.images is not None, timeout=30_000)
        before = (run / "checkpoints" / "latest.pt").read_bytes()
        terminal = RunFolder(run).lock()  # what `ganstudio train --resume` holds while it trains
        try:
            start = win.findChild(object, "startButton")
            qtbot.waitUntil(start.isEnabled, timeout=30_000)
            with qtbot.waitSignal(win.trainingFinished, timeout=60_000):
                qtbot.mouseClick(start, Qt.LeftButton)
            assert win.training.state == "failed"
            errors = [text for level, text in messages if level == "error"]
            assert errors and "is training in" in errors[-1] and "Traceback" not in errors[-1]
            assert (run / "checkpoints" / "latest.pt").read_bytes() == before  # its work untouched
        finally:
            terminal.release()
        # Once the terminal's run has ended, Start resumes it here.
        qtbot.waitUntil(start.isEnabled, timeout=30_000)
        qtbot.mouseClick(start, Qt.LeftButton)
        qtbot.waitUntil(lambda: win.training.state == "running", timeout=60_000)
        assert win.training.run_dir == run  # the run the artist opened, not a new one
        # ...and while the app trains in it, the terminal is turned away in the same words.
        try:
            RunFolder(run).lock()
        except Exception as exc:  # RunFolderBusy
            assert "is training in" in str(exc)
        else:
            raise AssertionError("the app's run folder was not locked")
        with qtbot.waitSignal(win.trainingFinished, timeout=60_000):
            win.stop_training()
    finally:
        win.shutdown()
