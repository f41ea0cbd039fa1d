"""The Data page: choose what to train on and see it exactly as the GAN will.

The page reads and writes a DataState and never starts a thread: the main window (or a
ScanController it owns) turns choice changes into scans and feeds results back into the
state, which this page then shows. Requests it cannot serve itself go out as signals.
"""

from __future__ import annotations

import dataclasses
import html
import os

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QListWidgetItem, QTreeWidgetItem, QWidget,
)

from ganstudio.gui.pages.data_layout import EMPTY_HINT, _fit_rows
from ganstudio.gui.pages.data_layout import DataLayout
from ganstudio.gui.state import ClinicState, DataState, ScanStatus
from ganstudio.data.video import VIDEO_EXTENSIONS, is_video_name
from ganstudio.wording import describe_source, printable, relative_path
from ganstudio.gui.widgets.thumbnails import THUMB_SIZES, ThumbnailModel

def dropped_source(mime) -> str | None:
    """The folder or zip file in a drag, if it carries exactly such a thing."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        path = url.toLocalFile()
        if path and (os.path.isdir(path) or path.lower().endswith(".zip") or is_video_name(path)):
            return path
    return None


class DataPage(DataLayout, QWidget):
    """Pick a folder, zip or demo set; choose size/crop/colour/flip; see the thumbnails."""

    sourceChosen = Signal(str)  # the user picked a source (for the recent list in settings)
    cancelRequested = Signal()  # the Cancel button: stop the scan under way
    rescanRequested = Signal()  # read the same source again (files may have changed)

    def __init__(self, state: DataState, parent: QWidget | None = None, clinic: ClinicState | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.clinic_state = clinic if clinic is not None else ClinicState(self)
        self.setObjectName("dataPage")
        self.setAcceptDrops(True)
        self.model = ThumbnailModel(self)
        self._syncing = False

        root = QHBoxLayout(self)
        root.setContentsMargins(16, 16, 16, 16)
        root.setSpacing(16)
        root.addWidget(self._build_left())
        root.addLayout(self._build_right(), 1)

        state.choiceChanged.connect(self._show_choice)
        state.scanStarted.connect(self._show_scanning)
        state.scanProgress.connect(self._show_progress)
        state.imagesChanged.connect(self._show_result)
        self._show_choice()
        self._show_result()
        if state.scanning:
            self._show_scanning()

    # ------------------------------------------------------------------ public API

    @Slot(str)
    def use_source(self, path: str) -> None:
        """Train on this folder, zip or demo:NAME (from a button, Enter, a drop or the window)."""
        path = path.strip()
        if not path:
            return
        self.path_edit.setText(path)
        if path == self.state.choice.source:
            # Same source again: a folder may have new files; a demo set only needs a retry.
            if self.state.images is None or not path.lower().startswith("demo:"):
                self.rescanRequested.emit()
            self._show_choice()  # re-sync checkable demo buttons after their click
        else:
            self._write_choice(source=path)
        self.sourceChosen.emit(path)

    def use_choice(self, choice) -> None:
        """Show and use a whole DataConfig (restored settings, an opened run's data)."""
        self.state.set_choice(choice)  # the controls follow through state.choiceChanged

    def set_recent(self, recent: list[str]) -> None:
        self.recent_list.clear()
        for spec in recent:
            item = QListWidgetItem(describe_source(spec))
            item.setData(Qt.ItemDataRole.UserRole, spec)
            item.setToolTip(spec)
            self.recent_list.addItem(item)
        self.recent_caption.setVisible(bool(recent))
        self.recent_list.setVisible(bool(recent))
        _fit_rows(self.recent_list, len(recent), max_rows=5)

    def recent(self) -> list[str]:
        return [self.recent_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.recent_list.count())]

    # ------------------------------------------------------------------ user actions

    def _write_choice(self, **changes) -> None:
        if self._syncing:
            return  # a control is being set to show the state, not edited by the user
        self.state.set_choice(dataclasses.replace(self.state.choice, **changes))

    def _start_dir(self) -> str:
        source = os.path.expanduser(self.state.choice.source)
        if os.path.isdir(source):
            return source
        if os.path.isfile(source):
            return os.path.dirname(source)
        return os.path.expanduser("~")

    @Slot()
    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder of images", self._start_dir())
        if path:
            self.use_source(path)

    @Slot()
    def _choose_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a zip file of images", self._start_dir(),
                                              "Zip files (*.zip);;All files (*)")
        if path:
            self.use_source(path)

    @Slot()
    def _choose_video(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in VIDEO_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self, "Choose a video", self._start_dir(),
                                              f"Videos ({patterns});;All files (*)")
        if path:
            self.use_source(path)

    def _recent_clicked(self, item: QListWidgetItem) -> None:
        self.use_source(item.data(Qt.ItemDataRole.UserRole))

    @Slot(int)
    def _set_cell_size(self, step: int) -> None:
        size = THUMB_SIZES[step]
        self.model.set_cell_size(size)
        self.view.set_cell_size(size)

    @Slot(bool)
    def _toggle_skipped(self, on: bool) -> None:
        self.skipped_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.skipped_list.setVisible(on and self.skipped_list.topLevelItemCount() > 0)

    # Drops: the page takes a folder or a zip file from a file manager.
    def dragEnterEvent(self, event) -> None:
        if dropped_source(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = dropped_source(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.use_source(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.path_edit and event.type() in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            if dropped_source(event.mimeData()):
                (self.dragEnterEvent if event.type() == QEvent.Type.DragEnter else self.dropEvent)(event)
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ showing the state

    @Slot()
    def _show_choice(self) -> None:
        c = self.state.choice
        self._syncing = True
        try:
            if not (self.path_edit.hasFocus() and self.path_edit.isModified()):
                self.path_edit.setText(c.source)
            for combo, value in ((self.resolution_combo, c.resolution), (self.crop_combo, c.fit),
                                 (self.color_combo, c.color), (self.mirror_combo, c.mirror)):
                i = combo.findData(value)
                if i >= 0:
                    combo.setCurrentIndex(i)
        finally:
            self._syncing = False
        self._show_decisions()
        demo = c.source.split(":")[1].strip().lower() if c.source.lower().startswith("demo:") else ""
        for name, button in self.demo_buttons.items():
            button.setChecked(name == demo)

    @Slot()
    def _show_scanning(self) -> None:
        self.progress_bar.setRange(0, 0)  # busy until the first count arrives
        self.progress_bar.setFormat(self._reading_text(None, None))
        self.scan_row.show()
        self._show_hint()
        self.cancel_button.setEnabled(True)

    @Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        if not self.scan_row.isVisible():
            self.scan_row.show()
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
        self.progress_bar.setFormat(self._reading_text(done, total))

    def _reading_text(self, done: int | None, total: int | None) -> str:
        verb = "Drawing" if self.state.choice.source.lower().startswith("demo:") else "Reading"
        if not total:
            return "Looking for images…"
        return f"{verb} {done:,} / {total:,} images…"

    @Slot()
    def _show_result(self) -> None:
        state = self.state
        self.scan_row.setVisible(state.scanning)
        images = state.images
        self.model.set_images(images.images if images is not None else None)
        self.flip_preview.set_images(images.images if images is not None else None)
        if images is not None and images.count > 0:
            r = images.images.shape[1]
            gray = " in grayscale" if images.images.shape[3] == 1 else ""
            noun = "image" if images.count == 1 else "images"
            self.count_label.setText(f"{images.count:,} {noun} ready at {r}×{r}{gray}")
            self.count_label.show()
            self.stack.setCurrentWidget(self.view)
        else:
            self.count_label.setText("")
            self.count_label.hide()
            self.stack.setCurrentWidget(self.hint_label)
        self._show_hint()
        has = self.stack.currentWidget() is self.view
        self.zoom_label.setVisible(has)
        self.zoom_slider.setVisible(has)
        self.flip_caption.setText("↔  Each image is also used mirrored" + (":" if has else "."))
        self._show_decisions()
        self._show_skipped(images.skipped if images is not None else [])
        self._show_error(state.error)

    def _show_decisions(self) -> None:
        """What "Automatic" came to for these images, and why; the mirror preview when mirroring."""
        decided = self.state.decided_choice()
        self.flip_note.setVisible(decided.mirror == "on")
        for label, value, why, names in (
            (self.color_decision, decided.color, decided.color_why, {"gray": "Grayscale", "rgb": "Colour"}),
            (self.mirror_decision, decided.mirror, decided.mirror_why, {"on": "Mirrored copies on", "off": "Mirrored copies off"}),
        ):
            shown = value != "auto" and bool(why)  # only an automatic choice needs explaining
            label.setText(f"→ {names.get(value, value)}: {why}." if shown else "")
            label.setVisible(shown)

    def _show_hint(self) -> None:
        busy = self.state.scanning and self.state.images is None
        self.hint_label.setText("Getting your images ready…" if busy else EMPTY_HINT)

    def _show_skipped(self, skipped) -> None:
        self.skipped_list.clear()
        source = self.state.images.source if self.state.images is not None else ""
        for s in skipped:
            path, reason = printable(s.path), printable(s.reason)
            item = QTreeWidgetItem([relative_path(path, printable(source)), reason])
            item.setToolTip(0, path)
            item.setToolTip(1, reason)
            self.skipped_list.addTopLevelItem(item)
        n = len(skipped)
        _fit_rows(self.skipped_list, n, max_rows=6)
        self.skipped_toggle.setText(f"{n:,} file{'s' if n != 1 else ''} skipped")
        self.skipped_toggle.setVisible(n > 0)
        self.skipped_list.setVisible(n > 0 and self.skipped_toggle.isChecked())

    def _show_error(self, message: str | None) -> None:
        if not message:
            self.error_frame.hide()
            return
        message = printable(message)
        cancelled = self.state.status is ScanStatus.CANCELLED
        self.error_label.setText(message if cancelled else f"<b>This data set can't be used.</b><br>{html.escape(message)}")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText if cancelled else Qt.TextFormat.RichText)
        # A cancel is the user's own doing: say it calmly; a real problem gets a warm red.
        self.error_frame.setStyleSheet(
            "#dataErrorFrame { border-radius: 6px; background: rgba(128, 128, 128, 40); }" if cancelled else
            "#dataErrorFrame { border-radius: 6px; background: rgba(220, 70, 60, 55);"
            " border: 1px solid rgba(235, 95, 80, 150); }")
        self.error_frame.show()
