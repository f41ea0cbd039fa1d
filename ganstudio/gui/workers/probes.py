"""Small background jobs for the window: finding the device and reading a run folder.

QtCore and pure modules only: nothing here can touch a widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal


class DeviceProbe(QThread):
    """Imports torch and the engine off the GUI thread, then names the best device."""

    found = Signal(str, str)  # device type ("cuda", "mps", "cpu"), description for the status bar

    def run(self) -> None:
        try:
            from ganstudio.training import trainer as engine  # noqa: F401 - warm the import so Start is instant
            from ganstudio.device import describe_device, pick_device
            from ganstudio.threads import leave_the_cores_to_training

            device = pick_device("auto")
            description = describe_device(device)  # names torch's own thread count: training's
            # Before any other thread of the window runs torch: they all start on one
            # thread from here on, and only training takes every core.
            leave_the_cores_to_training()
            self.found.emit(device.type, description)
        except Exception as exc:  # torch missing or broken: the window still works for viewing
            self.found.emit("cpu", f"CPU (PyTorch problem: {type(exc).__name__})")


class RunReader(QThread):
    """Reads a run folder (stats can be long) off the GUI thread."""

    loaded = Signal(object)  # history.RunHistory
    failed = Signal(str)

    def __init__(self, root: str | Path, parent=None) -> None:
        super().__init__(parent)
        self.root = Path(root)

    def run(self) -> None:
        from ganstudio.runs.history import read_run
        from ganstudio.runs.folder import RunFolderError

        try:
            self.loaded.emit(read_run(self.root))
        except RunFolderError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            self.failed.emit(f"Could not open '{self.root}': {type(exc).__name__}: {exc}")


class GeneratorLoader(QThread):
    """Loads a run's or checkpoint's EMA generator off the GUI thread (files can be large)."""

    loaded = Signal(object)  # checkpoint.LoadedGenerator
    failed = Signal(str)

    def __init__(self, target: str | Path, prefer: str = "best", parent=None, *, piece_recipe=None) -> None:
        super().__init__(parent)
        self.target = Path(target)
        self.prefer = prefer
        self.piece_recipe = piece_recipe  # a Recipe: find the model that made it, near `target` (the piece)

    def run(self) -> None:
        import dataclasses

        from ganstudio.checkpoint import CheckpointError, load_generator
        from ganstudio.runs.folder import best_reason
        from ganstudio.threads import leave_the_cores_to_training

        try:
            leave_the_cores_to_training()
            if self.piece_recipe is not None:
                from ganstudio.explore.locate import find_model_for

                r = self.piece_recipe
                loaded = find_model_for(r.fingerprint, r.run, r.checkpoint, piece=self.target)
            else:
                loaded = load_generator(self.target, prefer=self.prefer)
            self.loaded.emit(dataclasses.replace(loaded, why=best_reason(loaded.path, loaded.step)))
        except CheckpointError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            self.failed.emit(f"Could not load a model from '{self.target}': {type(exc).__name__}: {exc}")
