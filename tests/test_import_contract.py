"""The layer rule of DESIGN.md: only ganstudio/gui may import Qt or pyqtgraph."""

import ast
import subprocess
import sys
from pathlib import Path

import ganstudio

PACKAGE = Path(ganstudio.__file__).parent
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "ganstudio.gui")
# The command line opens the app when given no command: it may import ganstudio.gui, inside
# that one function only (the runtime test below proves importing it loads no Qt).
LAUNCHERS = {"ganstudio.cli": {"ganstudio.gui.app"}}


def _pure_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "gui":
            continue
        yield path, "ganstudio." + ".".join(rel.with_suffix("").parts).replace(".__init__", "")


def _imported_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module
            elif node.level > 0 and node.module and node.module.split(".")[0] == "gui":
                yield "ganstudio." + node.module
            elif node.level > 0 and not node.module:
                for alias in node.names:
                    if alias.name == "gui":
                        yield "ganstudio.gui"


def test_pure_modules_do_not_import_qt_in_source():
    offenders = []
    modules = list(_pure_modules())
    assert len(modules) >= 10  # the scan really found the package
    for path, name in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for imported in _imported_names(tree):
            if imported in LAUNCHERS.get(name, ()):
                continue
            if imported.split(".")[0] in FORBIDDEN or imported.startswith("ganstudio.gui"):
                offenders.append(f"{name} imports {imported}")
    assert offenders == []


def test_importing_every_pure_module_loads_no_qt():
    names = [name for _, name in _pure_modules() if not name.endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN[:3]!r} or m.startswith('ganstudio.gui')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_thread_files_cannot_touch_widgets():
    """DESIGN.md: a thread file imports QtCore and pure modules only."""
    for name in ("training_thread.py", "scan_thread.py", "workers.py"):
        tree = ast.parse((PACKAGE / "gui" / name).read_text(encoding="utf-8"))
        imported = set(_imported_names(tree))
        qt = {m for m in imported if m.startswith("PySide6")}
        assert qt <= {"PySide6.QtCore"}, f"{name} imports {qt}"
        assert not any(m.startswith("ganstudio.gui") and not m.endswith("state") for m in imported), name


def test_building_the_window_does_not_wait_for_torch():
    """torch takes about a second to import; the window must be usable before it has loaded
    (a background probe loads it). Importing every GUI module must not pull it in."""
    modules = sorted(
        f"ganstudio.gui.{p.stem}" for p in (Path(ganstudio.__file__).parent / "gui").glob("*.py") if p.stem != "__main__"
    )
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "a GUI module imports torch at import time"
