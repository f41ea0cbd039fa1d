"""A user's install, not a checkout: build the wheel, install it into a fresh venv outside the
repository, and open the explorer on the bundled model from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# Runs inside the venv, from a folder outside the checkout, with a screen that is not there.
OPEN_EXPLORER = r"""
import json, sys, time
from PySide6.QtWidgets import QApplication
app = QApplication(["ganstudio"])
import ganstudio
from ganstudio.gui.app import create_main_window
window = create_main_window()
window.show()
window.tabs.setCurrentWidget(window.explore_page)  # a new user's first look at Explore
deadline = time.monotonic() + 300
while window.explore_page.current_image() is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
image = window.explore_page.current_image()
window.close()  # as the user's Quit: threads stop and are waited for
print(json.dumps({
    "module": ganstudio.__file__,
    "version": ganstudio.__version__,
    "app_version": app.applicationVersion(),
    "shape": None if image is None else list(image.shape),
    "spread": None if image is None else float(image.std()),
    "icon": not app.windowIcon().isNull(),
    "desktop_file": app.desktopFileName(),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build needs setuptools, which this interpreter has, and no network.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("ganstudio-*.whl")
    return built


def test_the_wheel_carries_the_model_icon_licence_and_desktop_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ganstudio/assets/models/landscapes-32.pt" in names
    assert "ganstudio/assets/icons/ganstudio.png" in names
    assert "ganstudio/assets/icons/ganstudio.svg" in names
    assert "ganstudio/assets/ganstudio.desktop" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(n for n in names if "dist-info" in n)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    import ganstudio

    assert f"Version: {ganstudio.__version__}" in text
    entry_points = zipfile.ZipFile(wheel).read(metadata.replace("METADATA", "entry_points.txt")).decode()
    assert "[gui_scripts]" in entry_points and "[console_scripts]" in entry_points
    assert not any(n.startswith(("tests/", "resources/")) for n in names)


def test_the_installed_wheel_opens_the_bundled_model_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    # The venv sees this interpreter's torch and Qt (no network here) but not our checkout.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)]
        if _pip_has_python_option() else
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--prefix", str(env_dir), str(wheel)],
        check=True, capture_output=True, text=True,
    )
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)},
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "XDG_CACHE_HOME": str(tmp_path / "home" / ".cache"),
        "GANSTUDIO_RUNS_DIR": str(tmp_path / "runs"),
        "PYTHONNOUSERSITE": "1",
    }
    done = subprocess.run(
        [str(python), "-I", "-c", OPEN_EXPLORER], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(seen["module"]).resolve().is_relative_to(env_dir.resolve()), seen["module"]
    assert seen["app_version"] == seen["version"]
    assert seen["icon"] and seen["desktop_file"] == "ganstudio"
    assert seen["shape"] is not None, "the explorer stayed empty: no bundled model in the installed package"
    assert seen["shape"][0] >= 32 and seen["spread"] > 5.0, seen


def _pip_has_python_option() -> bool:
    """pip 22.3 and newer can install into another environment with --python. Asked in a
    subprocess: importing pip here would import the standard library's distutils into the test
    process, and torch.compile (later in the suite) then trips over setuptools' distutils shim."""
    done = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    major, minor = (int(x) for x in done.stdout.split()[1].split(".")[:2])
    return (major, minor) >= (22, 3)
