"""The app as a user starts it from a terminal or a file manager: a real process, not a window
built inside the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiny_runs import tiny_config
from ganstudio.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        PYTHONPATH=str(REPO), HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        GANSTUDIO_RUNS_DIR=str(tmp_path / "runs"), GANSTUDIO_LOG_DIR=str(tmp_path / "logs"),
    )
    env.update(extra)
    return env


def _wait_for_line(process: subprocess.Popen, wanted: str, timeout: float = 300) -> list[str]:
    """Lines of stdout up to the first that contains `wanted` (the process says when it is ready)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break  # the process ended
        seen.append(line.strip())
        if wanted in line:
            return seen
    raise AssertionError(f"never saw {wanted!r}; got {seen}; stderr: {process.stderr.read() if process.poll() is not None else ''}")


@pytest.mark.slow
def test_ganstudio_piece_png_opens_the_piece_and_ctrl_c_closes_the_app(tmp_path):
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=3).to_json())
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "runs" / "dawn"), "--quiet"]) == 0
    assert main(["generate", str(tmp_path / "runs" / "dawn"), "--n", "1", "--seed", "11", "--out", str(tmp_path / "gen")]) == 0
    piece = tmp_path / "gen" / "seed-000011.png"
    app = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", str(piece)], cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_env(tmp_path, QT_QPA_PLATFORM="offscreen", GANSTUDIO_REPORT_STARTUP="1"),
    )
    try:
        lines = _wait_for_line(app, "ganstudio-startup: explorer shows")
        assert "explorer shows seed 11 of dawn" in lines[-1]
        app.send_signal(signal.SIGINT)  # Ctrl+C in the terminal: the app quits, as File → Quit would
        app.wait(timeout=120)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, app.stderr.read()


def test_without_a_screen_the_app_says_what_to_do_instead_of_aborting(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ganstudio"], cwd=tmp_path, text=True, capture_output=True, timeout=120,
        env=_env(tmp_path, QT_QPA_PLATFORM=""),
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the screen check is for Linux; other systems always have a display")
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert "no screen" in done.stderr and "ganstudio train --help" in done.stderr
    assert "Aborted" not in done.stderr and "qt.qpa" not in done.stderr


def test_a_missing_qt_library_is_named_with_the_package_to_install():
    from ganstudio.gui.startup_check import debian_package, parse_ldd_missing

    # What `ldd libqxcb.so` prints on a stock Debian 12 (the lines that matter).
    ldd = (
        "\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\tlibxcb-keysyms.so.1 => not found\n"
        "\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
    )
    missing = parse_ldd_missing(ldd)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert [debian_package(m) for m in missing] == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"


def test_this_machines_qt_libraries_are_all_found_by_the_check():
    """The real check on the real plugin: where Qt can start (as here, offscreen and under Xvfb),
    it names nothing."""
    from ganstudio.gui.startup_check import missing_libraries, xcb_plugin

    plugin = xcb_plugin()
    if plugin is None or not sys.platform.startswith("linux"):
        pytest.skip("no X11 plugin in this Qt")
    missing = missing_libraries(plugin)
    if missing:  # then the app would really fail on X11 here: the message must name them all
        from ganstudio.gui.startup_check import why_qt_cannot_start

        os.environ["DISPLAY"] = ":99"
        try:
            message = why_qt_cannot_start(["ganstudio", "-platform", "xcb"])
        finally:
            del os.environ["DISPLAY"]
        assert all(name in message for name in missing)


def test_install_desktop_puts_a_valid_entry_and_icon_in_the_users_menu(tmp_path, monkeypatch, capsys):
    import shutil

    if not sys.platform.startswith("linux"):
        pytest.skip("desktop entries are a Linux convention")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["install-desktop"]) == 0
    entry = tmp_path / "share" / "applications" / "ganstudio.desktop"
    text = entry.read_text()
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert fields["Name"] == "GAN Studio" and fields["Icon"] == "ganstudio" and fields["Type"] == "Application"
    # A venv's bin is not on the desktop's PATH: Exec names this interpreter itself.
    assert fields["Exec"].split()[0].strip("'") == sys.executable and fields["Exec"].endswith("-m ganstudio %f")
    assert "image/png" in fields["MimeType"]
    icon = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "ganstudio.png"
    from PIL import Image

    with Image.open(icon) as image:
        assert image.size == (256, 256)
    validate = shutil.which("desktop-file-validate")
    if validate:  # Debian's desktop-file-utils, where installed
        checked = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    # The Exec line really starts the app (here: asks it for its version).
    exec_args = [a.strip("'") for a in fields["Exec"].replace("%f", "").split()]
    done = subprocess.run(exec_args + ["--version"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0 and "GAN Studio" in done.stdout
    assert main(["install-desktop", "--remove"]) == 0
    assert not entry.exists() and not icon.exists()
