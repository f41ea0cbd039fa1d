"""`ganstudio install-desktop`: GAN Studio in the desktop's app menu and "Open with" (Linux).

Writes the package's ganstudio.desktop and icon into the user's XDG data folder
(~/.local/share), with Exec pointing at this very interpreter: a venv's `bin` is not on the
desktop session's PATH, so a bare `ganstudio` there would not start. `--remove` takes both away.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from ganstudio.cli.common import FileProblem, UserError, say


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def desktop_targets() -> dict[str, Path]:
    home = data_home()
    return {
        "desktop": home / "applications" / "ganstudio.desktop",
        "png": home / "icons" / "hicolor" / "256x256" / "apps" / "ganstudio.png",
        "svg": home / "icons" / "hicolor" / "scalable" / "apps" / "ganstudio.svg",
    }


def desktop_entry(template: str, python: str) -> str:
    """The package's .desktop text with Exec and TryExec naming this interpreter."""
    exec_line = f"Exec={shlex.quote(python)} -m ganstudio %f"
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = exec_line
        elif line.startswith("TryExec="):
            line = f"TryExec={python}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def run_install_desktop(args: argparse.Namespace) -> int:
    from ganstudio.atomic import write_bytes_atomically, write_text_atomically
    from ganstudio.bundled import DESKTOP_NAME, ICON_NAME, ICON_SVG_NAME, asset_path

    if not sys.platform.startswith("linux"):
        raise UserError("install-desktop is for Linux desktops; on macOS and Windows start GAN Studio with "
                        "`ganstudio` (or the ganstudio-app launcher).")
    targets = desktop_targets()
    if args.remove:
        removed = [path for path in targets.values() if path.is_file()]
        for path in removed:
            path.unlink()
        _refresh_menus(targets["desktop"].parent)
        say(f"Removed {len(removed)} file(s): " + ", ".join(str(p) for p in removed) if removed else "Nothing to remove.")
        return 0
    sources = {"desktop": asset_path(DESKTOP_NAME), "png": asset_path("icons", ICON_NAME),
               "svg": asset_path("icons", ICON_SVG_NAME)}
    missing = [name for name, path in sources.items() if path is None]
    if missing:
        raise FileProblem(f"This installation lacks its desktop files ({', '.join(missing)}); reinstall GAN Studio.")
    try:
        write_text_atomically(targets["desktop"], desktop_entry(sources["desktop"].read_text(encoding="utf-8"),
                                                                sys.executable))
        for key in ("png", "svg"):
            write_bytes_atomically(targets[key], sources[key].read_bytes())
    except OSError as exc:
        raise FileProblem(f"Cannot write into '{data_home()}': {exc.strerror or exc}.") from None
    _refresh_menus(targets["desktop"].parent)
    say(f"GAN Studio is in your applications menu ({targets['desktop']}); it opens pieces, runs and "
        "folders from your file manager's \"Open with\".")
    return 0


def _refresh_menus(applications: Path) -> None:
    """Menus pick up new entries by themselves; the MIME cache for "Open with" needs a nudge."""
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, str(applications)], capture_output=True, timeout=60, check=False)
