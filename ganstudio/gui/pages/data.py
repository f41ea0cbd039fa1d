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
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QFrame, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QProgressBar,
    QPushButton, QScrollArea, QSizePolicy, QSlider, QStackedWidget, QToolButton, QTreeWidget,
    QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ganstudio.data import list_demo_sets
from ganstudio.gui.state import DataState, ScanStatus
from ganstudio.wording import describe_source, printable, relative_path
from ganstudio.gui.widgets.thumbnails import THUMB_SIZES, FlipPreview, ThumbnailModel, ThumbnailView

RESOLUTIONS = (16, 32, 64, 128, 256)
LEFT_WIDTH = 330
EMPTY_HINT = ("Choose a folder of your images, a zip file, or one of the demo sets.\n\n"
              "They will appear here exactly as the GAN will see them.\n"
              "You can also drop a folder or zip file anywhere on this page.")


def dropped_source(mime) -> str | None:
    """The folder or zip file in a drag, if it carries exactly such a thing."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        path = url.toLocalFile()
        if path and (os.path.isdir(path) or path.lower().endswith(".zip")):
            return path
    return None


class DataPage(QWidget):
    """Pick a folder, zip or demo set; choose size/crop/colour/flip; see the thumbnails."""

    sourceChosen = Signal(str)  # the user picked a source (for the recent list in settings)
    cancelRequested = Signal()  # the Cancel button: stop the scan under way
    rescanRequested = Signal()  # read the same source again (files may have changed)

    def __init__(self, state: DataState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
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

    # ------------------------------------------------------------------ building

    def _build_left(self) -> QWidget:
        column = QWidget()
        box = QVBoxLayout(column)
        box.setContentsMargins(0, 0, 4, 0)
        box.setSpacing(12)
        box.addWidget(self._build_source_group())
        box.addWidget(self._build_options_group())
        box.addStretch(1)
        # Scrolls rather than clips when the window is short (e.g. 1000×700 with a toolbar).
        scroll = QScrollArea()
        scroll.setObjectName("dataChoicesScroll")
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(LEFT_WIDTH)
        return scroll

    def _build_source_group(self) -> QGroupBox:
        group = QGroupBox("Images to learn from")
        box = QVBoxLayout(group)
        box.setSpacing(8)

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("datasetPathEdit")
        self.path_edit.setAccessibleName("Data set")
        self.path_edit.setPlaceholderText("A folder, a .zip file or demo:NAME")
        self.path_edit.setToolTip("Where your images are. Type or paste a path and press Enter.")
        self.path_edit.setClearButtonEnabled(True)
        self.path_edit.returnPressed.connect(lambda: self.use_source(self.path_edit.text()))
        # A folder dropped on the edit means "use this folder", not "insert its URL as text".
        self.path_edit.installEventFilter(self)
        box.addWidget(self.path_edit)

        buttons = QHBoxLayout()
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.setObjectName("chooseFolderButton")
        self.folder_button.setToolTip("Pick a folder; images in its sub-folders count too.")
        self.folder_button.clicked.connect(self._choose_folder)
        self.zip_button = QPushButton("Choose zip…")
        self.zip_button.setObjectName("chooseZipButton")
        self.zip_button.setToolTip("Pick a .zip file of images; it is read without unpacking.")
        self.zip_button.clicked.connect(self._choose_zip)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.zip_button)
        box.addLayout(buttons)

        box.addSpacing(4)
        box.addWidget(_caption("Or start with a demo set"))
        demos = QHBoxLayout()
        # Fusion's checked look is nearly invisible on a dark palette: mark the set in use clearly.
        checked_look = ("QPushButton:checked { background: palette(highlight); color: palette(highlighted-text);"
                        " border: 1px solid palette(highlight); border-radius: 3px; padding: 4px 8px; }")
        self.demo_buttons: dict[str, QPushButton] = {}
        for name in list_demo_sets():
            button = QPushButton(name.capitalize())
            button.setObjectName(f"demoButton_{name}")
            button.setAccessibleName(f"Demo set {name}")
            button.setCheckable(True)
            button.setStyleSheet(checked_look)
            button.setToolTip(f"A ready-made set of 1,000 {name} pictures, drawn by the app.")
            button.clicked.connect(lambda _=False, n=name: self.use_source(f"demo:{n}"))
            demos.addWidget(button)
            self.demo_buttons[name] = button
        box.addLayout(demos)

        self.recent_caption = _caption("Recent")
        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentList")
        self.recent_list.setAccessibleName("Recent data sets")
        self.recent_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.recent_list.setToolTip("Data sets you used before; click one to use it again.")
        self.recent_list.itemClicked.connect(self._recent_clicked)
        self.recent_list.itemActivated.connect(self._recent_clicked)
        box.addSpacing(4)
        box.addWidget(self.recent_caption)
        box.addWidget(self.recent_list)
        self.set_recent([])
        return group

    def _build_options_group(self) -> QGroupBox:
        group = QGroupBox("How they are prepared")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(10)

        self.resolution_combo = _combo("resolutionCombo", "Size",
                                       "The size the GAN learns to draw: bigger shows more detail "
                                       "but trains much slower.",
                                       [(f"{r} × {r} pixels", r) for r in RESOLUTIONS])
        self.resolution_combo.currentIndexChanged.connect(
            lambda: self._write_choice(resolution=self.resolution_combo.currentData()))
        self.crop_combo = _combo("cropCombo", "Non-square images",
                                 "Crop the middle square out of each image, or keep the whole "
                                 "picture and fill the edges.",
                                 [("Crop to a square", "crop"), ("Fit whole image (pad)", "pad")])
        self.crop_combo.currentIndexChanged.connect(lambda: self._write_choice(fit=self.crop_combo.currentData()))
        self.color_combo = _combo("colorCombo", "Colour",
                                  "Learn colour images, or grayscale ones (quicker to learn). Automatic "
                                  "picks grayscale when every image is grayscale.",
                                  [("Automatic", "auto"), ("Colour", "rgb"), ("Grayscale", "gray")])
        self.color_combo.currentIndexChanged.connect(lambda: self._write_choice(color=self.color_combo.currentData()))
        self.mirror_combo = _combo("mirrorCombo", "Mirrored copies",
                                   "Also show the GAN each image flipped left to right: doubles the set "
                                   "where the subject has no handedness. Automatic leaves it off for "
                                   "lettering, logos and anything one-sided, measured on your images.",
                                   [("Automatic", "auto"), ("Always", "on"), ("Never", "off")])
        self.mirror_combo.currentIndexChanged.connect(lambda: self._write_choice(mirror=self.mirror_combo.currentData()))
        form.addRow("Size", self.resolution_combo)
        form.addRow("Shape", self.crop_combo)
        form.addRow("Colour", self.color_combo)
        self.color_decision = _caption("")
        self.color_decision.setObjectName("colorDecision")
        self.color_decision.setWordWrap(True)
        form.addRow(self.color_decision)
        form.addRow("Mirror", self.mirror_combo)
        self.mirror_decision = _caption("")
        self.mirror_decision.setObjectName("mirrorDecision")
        self.mirror_decision.setWordWrap(True)
        form.addRow(self.mirror_decision)

        self.flip_note = QWidget()
        note = QVBoxLayout(self.flip_note)
        note.setContentsMargins(0, 0, 0, 0)
        note.setSpacing(6)
        self.flip_caption = _caption("↔  Each image is also used mirrored.")
        note.addWidget(self.flip_caption)
        self.flip_preview = FlipPreview()
        note.addWidget(self.flip_preview)
        form.addRow(self.flip_note)
        return group

    def _build_right(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(10)

        header = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setObjectName("imageCountLabel")
        self.count_label.setAccessibleName("Images ready")
        font = QFont(self.count_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.count_label.setFont(font)
        header.addWidget(self.count_label)
        self.skipped_toggle = QToolButton()
        self.skipped_toggle.setObjectName("skippedToggle")
        self.skipped_toggle.setCheckable(True)
        self.skipped_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.skipped_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.skipped_toggle.setAutoRaise(True)
        self.skipped_toggle.setToolTip("Show which files were left out, and why.")
        self.skipped_toggle.toggled.connect(self._toggle_skipped)
        header.addWidget(self.skipped_toggle)
        header.addStretch(1)
        self.zoom_label = _caption("Thumbnail size")
        header.addWidget(self.zoom_label)
        self.zoom_slider = QSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setObjectName("thumbSizeSlider")
        self.zoom_slider.setAccessibleName("Thumbnail size")
        self.zoom_slider.setToolTip("How big the thumbnails are shown (the training size stays the same).")
        self.zoom_slider.setRange(0, len(THUMB_SIZES) - 1)
        self.zoom_slider.setPageStep(1)
        self.zoom_slider.setFixedWidth(110)
        self.zoom_slider.valueChanged.connect(self._set_cell_size)
        header.addWidget(self.zoom_slider)
        box.addLayout(header)

        box.addWidget(self._build_progress_row())
        box.addWidget(self._build_error_frame())

        self.stack = QStackedWidget()
        self.hint_label = QLabel(EMPTY_HINT)
        self.hint_label.setObjectName("dataEmptyHint")
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        _dim(self.hint_label)  # calm, not shouting
        self.stack.addWidget(self.hint_label)
        self.view = ThumbnailView()
        self.view.setObjectName("thumbnailView")
        self.view.setAccessibleName("Images as the GAN will see them")
        self.view.setModel(self.model)
        self.stack.addWidget(self.view)
        box.addWidget(self.stack, 1)

        self.skipped_list = QTreeWidget()
        self.skipped_list.setObjectName("skippedList")
        self.skipped_list.setAccessibleName("Skipped files")
        self.skipped_list.setHeaderLabels(["File", "Why it was left out"])
        self.skipped_list.setRootIsDecorated(False)
        self.skipped_list.setAlternatingRowColors(True)
        self.skipped_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.skipped_list.setColumnWidth(0, 320)
        self.skipped_list.hide()
        box.addWidget(self.skipped_list)

        self.zoom_slider.setValue(THUMB_SIZES.index(96))
        self._set_cell_size(self.zoom_slider.value())
        return box

    def _build_progress_row(self) -> QWidget:
        self.scan_row = QWidget()
        row = QHBoxLayout(self.scan_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("scanProgressBar")
        self.progress_bar.setAccessibleName("Reading images")
        self.progress_bar.setTextVisible(True)
        row.addWidget(self.progress_bar, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("scanCancelButton")
        self.cancel_button.setToolTip("Stop reading the images.")
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.cancel_button)
        self.scan_row.hide()
        return self.scan_row

    def _build_error_frame(self) -> QFrame:
        self.error_frame = QFrame()
        self.error_frame.setObjectName("dataErrorFrame")
        row = QHBoxLayout(self.error_frame)
        row.setContentsMargins(12, 8, 8, 8)
        self.error_label = QLabel()
        self.error_label.setObjectName("dataErrorLabel")
        self.error_label.setAccessibleName("Data set problem")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.error_label, 1)
        self.rescan_button = QPushButton("Scan again")
        self.rescan_button.setObjectName("rescanButton")
        self.rescan_button.setToolTip("Read the same folder, zip or demo set again.")
        self.rescan_button.clicked.connect(self.rescanRequested)
        row.addWidget(self.rescan_button, 0, Qt.AlignmentFlag.AlignTop)
        self.error_frame.hide()
        return self.error_frame

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

def _caption(text: str) -> QLabel:
    label = QLabel(text)
    _dim(label)
    return label


def _dim(label: QLabel) -> None:
    # The palette's placeholder colour reads as secondary in light and dark themes alike,
    # without marking the label disabled for screen readers.
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def _fit_rows(view, rows: int, max_rows: int) -> None:
    """Make a list exactly as tall as its rows (up to max_rows, then it scrolls)."""
    row = view.sizeHintForRow(0) if rows else 0
    row = row if row > 0 else view.fontMetrics().height() + 4
    header = view.header().sizeHint().height() if isinstance(view, QTreeWidget) else 0
    view.setFixedHeight(min(rows, max_rows) * row + header + 2 * view.frameWidth() + 2)


def _combo(name: str, accessible: str, tip: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.setToolTip(tip)
    for text, data in items:
        combo.addItem(text, data)
    return combo


