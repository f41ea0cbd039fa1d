"""Before Qt starts: can it open a window here? Qt's own answer to a missing screen or a
missing system library is to abort the process (exit 134) with a message that often names
the wrong library. This says in plain words what to install or set instead.

Only QtCore is imported here (it loads without any display library)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Platforms that need no screen and no X or Wayland libraries.
_HEADLESS = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def qt_platform(argv: list[str]) -> str:
    """The platform Qt will use: `-platform NAME` on the command line, else $QT_QPA_PLATFORM."""
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-platform", "--platform"):
            return argv[i + 1].split(":")[0]
    return os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]


def why_qt_cannot_start(argv: list[str]) -> str | None:
    """None where Qt should start; else what to do, in words. Linux only: elsewhere Qt brings
    what it needs."""
    if not sys.platform.startswith("linux"):
        return None
    platform = qt_platform(argv)
    if platform in _HEADLESS:
        return None
    wayland, x11 = bool(os.environ.get("WAYLAND_DISPLAY")), bool(os.environ.get("DISPLAY"))
    if platform == "" and not wayland and not x11:
        return (
            "GAN Studio found no screen to open its window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Start it from a desktop session, or over SSH with X forwarding (ssh -X). On a server, train from "
            "the terminal instead: ganstudio train --help."
        )
    if platform == "xcb" or (platform == "" and x11 and not wayland):
        missing = missing_libraries(xcb_plugin())
        if missing:
            packages = " ".join(debian_package(name) for name in missing)
            return (
                "Qt cannot open a window: this system lacks libraries it needs for X11 ("
                + ", ".join(missing) + "). On Debian or Ubuntu: sudo apt install " + packages
                + ". On Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image "
                "xcb-util-renderutil libxkbcommon-x11."
            )
    return None


def xcb_plugin() -> Path | None:
    from PySide6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(library: Path | None) -> list[str]:
    """The shared libraries `library` needs that the system's loader cannot find (by `ldd`)."""
    ldd = shutil.which("ldd")
    if library is None or ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_ldd_missing(done.stdout)


def parse_ldd_missing(ldd_output: str) -> list[str]:
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def debian_package(soname: str) -> str:
    """libxcb-icccm.so.4 -> libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (Debian's
    rule for library packages: the name, then the so-version, with a dash after a digit)."""
    match = re.fullmatch(r"(lib[\w+.-]+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if not match:
        return soname
    name, version = match.group(1).lower(), match.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"
