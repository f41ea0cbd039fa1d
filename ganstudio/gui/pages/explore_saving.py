"""Saving from the explorer: pieces, the variations grid, the clipboard and keyframe walks.

A mixin of `ExplorePage` (explore.py). Every picture is rendered by explore/pieces.py in an
export worker, asked for through `ExploreState.export`; the result comes back through the
state's signals, so the window never waits for a render or an encoder.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QSpinBox

from ganstudio.gui.pages.explore_layout import SCALES
from ganstudio.gui.widgets.images import to_qimage
from ganstudio.runs.folder import RunFolder


class ExploreSaving:
    """Saving and exporting for ExplorePage (which holds model, generator, directions, state)."""

    def _fingerprint(self) -> str | None:
        """The shown generator's fingerprint (measured once for a live copy, which has none yet)."""
        if self.generator is None:
            return None
        source = self.state.source
        if not source.fingerprint:
            from dataclasses import replace

            from ganstudio.checkpoint import generator_fingerprint

            self.state.source = replace(source, fingerprint=generator_fingerprint(self.generator.state_dict()))
        return self.state.source.fingerprint

    def default_folder(self) -> Path:
        """The run's artwork/ folder, else ~/Pictures/GAN Studio (or home)."""
        checkpoint = self.state.source.checkpoint
        run = RunFolder.of_checkpoint(checkpoint) if checkpoint else None
        if run is not None and run.config_path.is_file():
            return run.artwork_dir
        if self.run_dir is not None:
            return RunFolder(self.run_dir).artwork_dir
        pictures = Path.home() / "Pictures"
        return (pictures if pictures.is_dir() else Path.home()) / "GAN Studio"

    def set_run_dir(self, run_dir: str | Path | None) -> None:
        """Where the shown model's run lives (its artwork/ folder is the default place to save)."""
        self.run_dir = Path(run_dir) if run_dir else None

    def _suggest(self, stem: str, suffix: str) -> str:
        folder = self.default_folder()
        name = f"{stem}-seed{self.model.look.seed}-step{self.state.source.step}"
        candidate = folder / f"{name}{suffix}"
        n = 2
        while candidate.exists():
            candidate = folder / f"{name}-{n}{suffix}"
            n += 1
        return self._reachable(candidate)

    @staticmethod
    def _reachable(candidate: Path) -> str:
        """The suggested file, in its folder when that folder exists or can be made, else
        the same name in the home folder (a read-only run must not stop the dialog)."""
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return str(Path.home() / candidate.name)
        return str(candidate)

    def _export(self, job, description: str, on_done=None) -> int:
        """Hand a job to the export worker; `on_done(result)` runs here when it is written."""
        number = self.state.export(job, description)
        self._export_done[number] = on_done
        return number

    def _on_export_done(self, number: int, result) -> None:
        if number not in self._export_done:
            return  # another page's export
        on_done = self._export_done.pop(number)
        if on_done is not None:
            on_done(result)
        if isinstance(result, (str, Path)):
            self._post("info", f"Saved {result}")
            self.exportFinished.emit(str(result))

    def _on_export_failed(self, number: int, message: str) -> None:
        if self._export_done.pop(number, False) is not False:
            self._post("error", message)
            self.exportFailed.emit(message)

    def exports_running(self) -> int:
        return self.state.exports_running()

    # -- a piece
    def choose_artwork_path(self) -> None:
        if self.model is None:
            return
        suggested = self._suggest("artwork", ".png")
        path, _ = QFileDialog.getSaveFileName(self, "Save artwork", suggested, "PNG images (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        self.save_artwork(path, **self.save_options())

    def save_artwork(self, path, *, scale: int | None = None, size: int | None = None, smooth: bool | None = None) -> Path:
        """Render the current look and write it as a PNG with its recipe, in the export worker;
        artworkSaved(path) follows (or exportFailed). Returns the path it will be written to."""
        from ganstudio.explore.pieces import save_piece

        if self.model is None:
            raise ValueError("there is no model to render")
        path = Path(path)
        smooth = self.smooth() if smooth is None else bool(smooth)
        look = self.model.look
        latent = look.latent(self.directions, self.model.z_dim)
        self._fingerprint()
        generator, source, directions = self.generator, self.state.source, self.directions
        names = list(self.model.direction_names)
        copy_check = getattr(self, "copy_check", None)  # set by the window: the copy check's note on a picture

        def job(progress, cancelled) -> Path:
            return save_piece(path, generator, look, latent, source, scale=scale, size=size, smooth=smooth,
                              directions=directions, direction_names=names, copy_check=copy_check)

        self._export(job, "picture", on_done=lambda written: self.artworkSaved.emit(str(written)))
        return path

    # -- the variations grid
    def choose_grid_path(self) -> None:
        if self.model is None:
            return
        suggested = self._suggest("variations", ".png")
        path, _ = QFileDialog.getSaveFileName(self, "Save variations grid", suggested, "PNG images (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            try:
                self.save_grid(path, scale=self.save_options().get("scale") or 4)
            except ValueError as exc:
                self._post("error", f"Could not save the variations grid: {exc}")

    def save_grid(self, path, *, scale: int = 1, smooth: bool | None = None) -> Path:
        """The variations on show (rendered afresh, in the export worker) as one PNG."""
        import torch

        from ganstudio.explore.pieces import grid_recipe, make_grid_of, render_one_by_one
        from ganstudio.export import save_png

        if self.model is None or not self._shown_grid_looks:
            raise ValueError("there are no variations to save")
        path = Path(path)
        smooth = self.smooth() if smooth is None else bool(smooth)
        z = torch.stack([lk.latent(self.directions, self.model.z_dim) for lk in self._shown_grid_looks])
        self._fingerprint()
        generator, recipe = self.generator, grid_recipe("variations grid", self.state.source, seed=self.model.look.seed)

        def job(progress, cancelled) -> Path:
            grid = make_grid_of(render_one_by_one(generator, z), scale=scale, smooth=smooth, cols=3, pad_value=24)
            return save_png(path, grid, recipe=recipe)

        self._export(job, "variations grid", on_done=lambda written: self.artworkSaved.emit(str(written)))
        return path

    # -- the clipboard
    def copy_image(self) -> None:
        """The current look at the size next to Save, to the clipboard (rendered in the worker)."""
        if self.model is None:
            return
        from ganstudio.explore.pieces import make_piece

        options = self.save_options()
        look = self.model.look
        latent = look.latent(self.directions, self.model.z_dim)
        generator, source = self.generator, self.state.source

        def job(progress, cancelled):
            image, _recipe = make_piece(generator, look, latent, source, scale=options.get("scale"),
                                        size=options.get("size"), smooth=options["smooth"])
            return image

        def to_clipboard(image) -> None:
            QGuiApplication.clipboard().setImage(to_qimage(image))
            self._post("info", f"Copied a {image.shape[1]}×{image.shape[0]} px picture.")
            self.imageCopied.emit()

        self._export(job, "copy", on_done=to_clipboard)

    # -- a walk through the keyframes
    def choose_animation(self) -> None:
        if self.model is None or len(self.model.keyframes) < 2:
            self._post("warning", "Add at least two keyframes (A and B) to make an animation.")
            return
        dialog = AnimationDialog(self, resolution=self._resolution)
        if dialog.exec() != QDialog.Accepted:
            return
        options = dialog.options()
        from ganstudio.export import ANIMATION_FORMATS

        suffix, words = ANIMATION_FORMATS[options["format"]]
        suggested = self._suggest("walk", suffix)
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", suggested, f"{words} (*{suffix})")
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        self.export_animation(path, options["frames"], options["fps"], options["loop"], options["size"])

    def export_animation(self, path, frames: int = 48, fps: float = 12, loop: bool = True, size: int | None = None, *,
                         smooth: bool | None = None) -> int:
        """Walk through the keyframes and write a GIF, WebP, APNG (.png) or MP4 (by the suffix) in
        the export worker; exportFinished(path) or exportFailed(message) follows. Returns the export's number."""
        import torch

        from ganstudio.explore.pieces import save_walk
        from ganstudio.export import ANIMATION_FORMATS, animation_format_of, check_animation_memory

        if self.model is None or len(self.model.keyframes) < 2:
            raise ValueError("add at least two keyframes first")
        path = Path(path)
        kind = animation_format_of(path)
        check_animation_memory(int(frames), int(size or self._resolution), kind=kind)  # before any work starts
        smooth = self.smooth() if smooth is None else bool(smooth)
        looks = self.model.walk(int(frames), spherical=self.spherical(), loop=bool(loop))
        z = torch.stack([lk.latent(self.directions, self.model.z_dim) for lk in looks])
        generator = copy.deepcopy(self.generator)  # the worker's own copy: a long job beside live updates

        def job(progress, cancelled) -> Path:
            return save_walk(path, generator, z, fps=fps, loop=loop, size=size, smooth=smooth,
                             progress=progress, cancelled=cancelled)

        return self._export(job, ANIMATION_FORMATS[kind][1])

    # -- the size and look of what is saved
    def _fill_scale_combo(self, resolution: int) -> None:
        current = self.scale_combo.currentIndex()
        with QSignalBlocker(self.scale_combo):
            self.scale_combo.clear()
            for s in SCALES:
                self.scale_combo.addItem(f"{s}× · {resolution * s} px", s)
            self.scale_combo.addItem("Custom size…", 0)
            self.scale_combo.setCurrentIndex(current if current >= 0 else 2)
        self._resolution = resolution
        self._sync_scale_labels()

    def _sync_scale_labels(self) -> None:
        self.size_spin.setVisible(self.scale_combo.currentData() == 0)

    def save_options(self) -> dict:
        """The size chosen next to Save: {"scale": n} or {"size": px}, plus "smooth"."""
        scale = self.scale_combo.currentData()
        out = {"scale": int(scale)} if scale else {"size": int(self.size_spin.value())}
        out["smooth"] = self.smooth()
        return out


class AnimationDialog(QDialog):
    """Frames, speed, loop, size and format of a keyframe walk."""

    def __init__(self, parent=None, *, resolution: int = 64) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.setObjectName("animationDialog")
        form = QFormLayout(self)
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("animationFormatCombo")
        from ganstudio.export import ANIMATION_FORMATS, MP4_INSTALL_HINT

        tips = {
            "gif": "Plays everywhere; 256 colours per frame, so soft gradients can band",
            "webp": "Full colour and small; plays in every current browser",
            "apng": "Full colour, lossless; plays in browsers, a still image elsewhere",
            "mp4": "The smallest file; frames go straight to disk, so long walks need little memory",
        }
        for key, (suffix, words) in ANIMATION_FORMATS.items():
            self.format_combo.addItem(f"{words} ({suffix})", key)
            self.format_combo.setItemData(self.format_combo.count() - 1, tips[key], Qt.ToolTipRole)
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            item = self.format_combo.model().item(self.format_combo.findData("mp4"))
            item.setEnabled(False)
            item.setToolTip(MP4_INSTALL_HINT)
            self.format_combo.setToolTip(f"MP4 is unavailable. {MP4_INSTALL_HINT}.")
        self.format_combo.currentIndexChanged.connect(lambda _i: self._sync())
        form.addRow("Format", self.format_combo)
        self.frames_spin = QSpinBox()
        self.frames_spin.setObjectName("animationFramesSpin")
        self.frames_spin.setRange(2, 2000)
        self.frames_spin.setValue(48)
        form.addRow("Frames", self.frames_spin)
        self.fps_spin = QSpinBox()
        self.fps_spin.setObjectName("animationFpsSpin")
        self.fps_spin.setRange(1, 60)
        self.fps_spin.setValue(12)
        self.fps_spin.setSuffix(" per second")
        form.addRow("Speed", self.fps_spin)
        self.loop_check = QCheckBox("Loop back to the first keyframe")
        self.loop_check.setObjectName("animationLoopCheck")
        self.loop_check.setChecked(True)
        form.addRow("", self.loop_check)
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("animationSizeSpin")
        self.size_spin.setRange(16, 4096)
        self.size_spin.setValue(max(resolution, min(512, resolution * 8)))
        self.size_spin.setSuffix(" px")
        form.addRow("Size", self.size_spin)
        self.length_label = QLabel()
        self.length_label.setStyleSheet("color: #9a9ca2;")
        self.length_label.setWordWrap(True)
        form.addRow("", self.length_label)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.export_button = buttons.button(QDialogButtonBox.Ok)
        self.export_button.setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for w in (self.frames_spin, self.fps_spin, self.size_spin):
            w.valueChanged.connect(self._sync)
        self._sync()
        form.addRow(buttons)

    def _sync(self) -> None:
        from ganstudio.export import ExportError, animation_memory, check_animation_memory

        frames, side = self.frames_spin.value(), self.size_spin.value()
        kind = self.format_combo.currentData() or "gif"
        seconds = f"{frames / self.fps_spin.value():.1f} seconds"
        try:
            check_animation_memory(frames, side, kind=kind)
        except ExportError as exc:  # too big to write: say so, and offer no Export
            self.length_label.setText(f"{seconds}. {exc}")
            self.export_button.setEnabled(False)
            return
        need = animation_memory(frames, side, kind=kind) / 1024**2
        self.length_label.setText(f"{seconds}, about {need:,.0f} MB of memory while writing")
        self.export_button.setEnabled(True)

    def options(self) -> dict:
        return {
            "format": self.format_combo.currentData(),
            "frames": self.frames_spin.value(),
            "fps": self.fps_spin.value(),
            "loop": self.loop_check.isChecked(),
            "size": self.size_spin.value(),
        }
