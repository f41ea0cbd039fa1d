"""ganstudio.data is a pure layer: no Qt, no GUI, importable without torch."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import ganstudio.data

PACKAGE = pathlib.Path(ganstudio.data.__file__).parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "ganstudio.gui")


def imported_modules(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_gui_imports_in_data_package():
    offenders = [(p.name, m) for p in PACKAGE.glob("*.py") for m in imported_modules(p)
                 if m.startswith(FORBIDDEN)]
    assert offenders == []


def test_import_does_not_pull_in_torch_or_qt():
    code = ("import sys, ganstudio.data as d; d.load_images; d.list_demo_sets(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
