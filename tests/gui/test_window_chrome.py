"""The window's menus and its manners: Edit menu, a Pause key that clashes with nothing,
the About box, and what happens when something inside goes wrong."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QSettings, QThread
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMessageBox

from ganstudio.gui.app import create_main_window
from ganstudio.gui.crashes import report_crashes_in
from ganstudio.gui.window_chrome import PAUSE_KEY, about_text


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GANSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    win = create_main_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def _menu_texts(win, title):
    menu = next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == title)
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_edit_menu_undoes_redoes_and_copies_the_explorers_picture(window, qtbot):
    assert _menu_texts(window, "Edit") == ["Undo", "Redo", "Copy image"]
    window.open_bundled_model()
    explore = window.explore_page
    qtbot.waitUntil(lambda: explore.current_image() is not None and explore.is_idle(), timeout=30_000)
    first_seed = explore.current_look().seed
    window.findChild(object, "seedSpin").setValue(first_seed + 3)
    qtbot.waitUntil(lambda: explore.current_look().seed == first_seed + 3, timeout=10_000)
    window._update_edit_menu()
    assert window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: explore.current_look().seed == first_seed, timeout=10_000)
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: explore.current_look().seed == first_seed + 3, timeout=10_000)

    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    qtbot.waitUntil(lambda: explore.is_idle(), timeout=10_000)
    window.copy_action.trigger()
    qtbot.waitUntil(lambda: not clipboard.image().isNull(), timeout=30_000)
    assert clipboard.image().width() >= explore.current_image().shape[1]


def test_pause_has_a_key_that_no_platform_uses_for_something_else(window):
    assert window.pause_action.shortcut() == QKeySequence(PAUSE_KEY)
    taken = set()
    for key in QKeySequence.StandardKey:
        for sequence in QKeySequence.keyBindings(key):
            taken.add(sequence.toString())
    assert PAUSE_KEY not in taken and "Ctrl+P" in taken  # Ctrl+P is Print: why Pause moved
    assert "F8" in window.train_page.pause_button.toolTip()


def test_about_names_the_versions_the_licence_and_the_work_it_builds_on():
    import torch

    text = about_text("CPU (2 threads)")
    for needed in ("GAN Studio", torch.__version__, "PySide6", "MIT", "DCGAN", "R3GAN", "SeFa", "CPU (2 threads)"):
        assert needed in text


class _Broken(QThread):
    def run(self) -> None:
        raise RuntimeError("planted in a thread")


def test_an_error_in_a_thread_shows_one_message_and_writes_a_report(window, qtbot, tmp_path, monkeypatch):
    """A bug in a worker thread must reach the user (and a file), not only a terminal that an
    icon-started app does not have; the window stays up."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    import threading

    previous, previous_threading = sys.excepthook, threading.excepthook
    try:
        report_crashes_in(window)
        thread = _Broken(window)
        thread.start()
        qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
        thread.wait()
    finally:
        sys.excepthook, threading.excepthook = previous, previous_threading
    title, text = shown[0]
    assert title == "Something went wrong" and "RuntimeError: planted in a thread" in text
    (report,) = (tmp_path / "logs").glob("app-crash-*.txt")
    assert str(report) in text and "planted in a thread" in report.read_text()
    assert "Your runs and saved pieces are safe" in text
    assert window.isVisible()


def test_a_dropped_safetensors_model_opens_in_the_explorer(window, qtbot, tmp_path):
    pytest.importorskip("safetensors")
    from ganstudio.bundled import bundled_model_path
    from ganstudio.share import write_safetensors

    model = write_safetensors(bundled_model_path(), tmp_path / "shared.safetensors")
    window.open_path(str(model))  # what dropping the file or `ganstudio shared.safetensors` does
    qtbot.waitUntil(lambda: window.explore_page.current_image() is not None, timeout=30_000)
    assert window.tabs.currentWidget() is window.explore_page
    assert window.explore_page.current_image().std() > 5
    assert window.data_state.choice.source != str(model)  # a model is not a data set
