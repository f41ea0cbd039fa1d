"""How the Data page is laid out: the source and options on the left, thumbnails and messages on the right."""

from __future__ import annotations

RESOLUTIONS = (16, 32, 64, 128, 256)
LEFT_WIDTH = 330
EMPTY_HINT = ("Choose a folder of your images, a zip file, or one of the demo sets.\n\n"
              "They will appear here exactly as the GAN will see them.\n"
              "You can also drop a folder or zip file anywhere on this page.")



from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from ganstudio.gui.pages.data_augment import AugmentPreview
from ganstudio.gui.pages.data_clinic import ClinicPanel
from PySide6.QtWidgets import (QTabWidget, 
    QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QListWidget, QProgressBar, QPushButton, QScrollArea,
    QSizePolicy, QSlider, QStackedWidget, QToolButton, QTreeWidget, QVBoxLayout, QWidget,
)

from ganstudio.data import list_demo_sets
from ganstudio.gui.widgets.thumbnails import THUMB_SIZES, FlipPreview, ThumbnailView


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


class DataLayout:
    """Builds DataPage's widgets (a mixin; data.py keeps them in step with DataState)."""

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
        self.path_edit.setPlaceholderText("A folder, a .zip file, a video or demo:NAME")
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
        self.video_button = QPushButton("Choose video…")
        self.video_button.setObjectName("chooseVideoButton")
        self.video_button.setToolTip("Pick a video (MP4, MOV, WebM, MKV, AVI or an animated GIF): its frames "
                                     "become the images, about 1,000 of them, repeats left out.")
        self.video_button.clicked.connect(self._choose_video)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.zip_button)
        buttons.addWidget(self.video_button)
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
        # Three views of the same images: as they train, what the clinic found in them, and as
        # the discriminator sees them once augmented.
        self.view_tabs = QTabWidget()
        self.view_tabs.setObjectName("dataViewTabs")
        self.view_tabs.setDocumentMode(True)
        self.view_tabs.addTab(self.stack, "Images")
        self.clinic_panel = ClinicPanel(self.state, self.clinic_state)
        self.view_tabs.addTab(self.clinic_panel, "Check")
        self.augment_preview = AugmentPreview(self.state)
        self.view_tabs.addTab(self.augment_preview, "As the discriminator sees them")
        box.addWidget(self.view_tabs, 1)

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
