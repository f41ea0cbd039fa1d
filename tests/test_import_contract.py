"""The layer rules of DESIGN.md, checked three ways.

1. import-linter's contracts in pyproject.toml (also run by .ci/run): pure code never imports
   the GUI; models are plain torch; pages and widgets never import workers or controllers;
   workers import no widgets, pages or state. Shown here to pass, and to fail on a broken rule.
2. What import-linter cannot see: which PySide6 modules a worker imports (QtCore only), and
   that the contract's list of pure modules names every one of them.
3. At run time: importing every pure module loads no Qt, and importing every GUI module loads
   no torch (the window must not wait for it).
"""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ganstudio

try:
    import tomllib
except ImportError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib

PACKAGE = Path(ganstudio.__file__).parent
REPO = PACKAGE.parent
QT = ("PySide6", "pyqtgraph", "shiboken6")


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _modules_under(folder: Path, prefix: str):
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        name = ".".join((prefix, *parts)).removesuffix(".__init__")
        yield path, name


def _pure_modules():
    return [(p, n) for p, n in _modules_under(PACKAGE, "ganstudio") if not n.startswith("ganstudio.gui")]


def _imported_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _lint_imports(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`lint-imports` as CI runs it, with this interpreter, on the package found from `cwd`."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


def test_the_contracts_hold():
    out = _lint_imports(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BROKEN" not in out.stdout and "KEPT" in out.stdout


def test_a_broken_rule_fails_the_check(tmp_path):
    """A page that imports a worker must turn the check red, or the check proves nothing."""
    shutil.copytree(PACKAGE, tmp_path / "ganstudio", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    page = tmp_path / "ganstudio" / "gui" / "pages" / "gallery.py"
    page.write_text(page.read_text(encoding="utf-8") + "\nfrom ganstudio.gui.workers import render  # noqa\n", encoding="utf-8")
    out = _lint_imports(tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode != 0
    assert "ganstudio.gui.pages.gallery -> ganstudio.gui.workers.render" in out.stdout


def test_the_pure_contract_names_every_pure_module():
    """A new top-level module outside gui/ must join the 'pure' contract, or nothing checks it."""
    listed = set(_contracts()["pure-code-has-no-gui"]["source_modules"])
    top_level = {".".join(name.split(".")[:2]) for _, name in _pure_modules() if name != "ganstudio"}
    assert top_level == listed


def test_pure_modules_do_not_import_qt_in_source():
    """Belt and braces beside import-linter: also imports inside functions, by any spelling."""
    launcher = {tuple(rule.split(" -> ")) for rule in _contracts()["pure-code-has-no-gui"]["ignore_imports"]}
    offenders = []
    modules = _pure_modules()
    assert len(modules) >= 30  # the scan really found the package
    for path, name in modules:
        for imported in _imported_names(ast.parse(path.read_text(encoding="utf-8"))):
            if (name, imported) in launcher:
                continue
            if imported.split(".")[0] in QT or imported.startswith("ganstudio.gui"):
                offenders.append(f"{name} imports {imported}")
    assert offenders == []


def test_workers_import_only_qtcore():
    """import-linter sees PySide6 as one package; which of its modules a worker takes is checked here."""
    workers = list(_modules_under(PACKAGE / "gui" / "workers", "ganstudio.gui.workers"))
    assert len(workers) >= 5
    for path, name in workers:
        qt = {m for m in _imported_names(ast.parse(path.read_text(encoding="utf-8"))) if m.split(".")[0] in QT}
        assert qt <= {"PySide6.QtCore"}, f"{name} imports {qt}"


def test_importing_every_pure_module_loads_no_qt():
    names = [name for _, name in _pure_modules() if not name.endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r} or m.startswith('ganstudio.gui')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_building_the_window_does_not_wait_for_torch():
    """torch takes about a second to import; the window must be usable before it has loaded
    (a background probe loads it). Importing every GUI module must not pull it in."""
    modules = [name for _, name in _modules_under(PACKAGE / "gui", "ganstudio.gui")]
    assert len(modules) >= 20
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "a GUI module imports torch at import time"
