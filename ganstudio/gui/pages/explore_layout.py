"""How the Explore page is laid out: the picture, the top bar, keyframes below, sections on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.widgets.variations import KeyframeChips, Section, VariationsGrid
from ganstudio.gui.widgets.explore_view import ExploreCanvas

if TYPE_CHECKING:  # torch loads in the background at start-up; the window must not wait for it
    pass


EMPTY_TEXT = "Train a model or open a run to explore it — or try the bundled demo model"
DIRECTIONS = 12  # sliders offered (fewer when the latent is smaller)
RAW_SHOWN = 8  # raw latent numbers shown at once
SLIDER_STEPS = 100  # a direction slider has 2*SLIDER_STEPS+1 positions over [-span, span]
PSI_MAX = 1.5
SCALES = (1, 2, 4, 8)
GRID_LANE = "grid"


def _slider(name: str, lo: int, hi: int, value: int, accessible: str) -> QSlider:
    s = QSlider(Qt.Horizontal)
    s.setObjectName(name)
    s.setAccessibleName(accessible)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setPageStep(max(1, (hi - lo) // 10))
    return s


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: #9a9ca2;")
    return label


class _NameLabel(QLabel):
    """A direction's name; double-click renames it."""

    doubleClicked = Signal()

    def mouseDoubleClickEvent(self, event) -> None:
        self.doubleClicked.emit()


class ExploreLayout:
    """Builds ExplorePage's widgets (a mixin; explore.py wires them to the model)."""

    # ================================================================== construction
    def _build_empty(self) -> QWidget:
        page = QWidget()
        page.setObjectName("exploreEmpty")
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        label = QLabel(EMPTY_TEXT)
        label.setObjectName("exploreEmptyText")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignCenter)
        label.setStyleSheet("color: #b8bac0; font-size: 15px;")
        layout.addWidget(label)
        row = QHBoxLayout()
        row.addStretch(1)
        self.bundled_button = QPushButton("Try the bundled demo model")
        self.bundled_button.setObjectName("openBundledButton")
        self.bundled_button.clicked.connect(self.openBundledRequested)
        row.addWidget(self.bundled_button)
        row.addStretch(1)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addStretch(3)
        return page

    def _build_explorer(self) -> QWidget:
        page = QWidget()
        outer = QHBoxLayout(page)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(10)

        # -- left: bar, picture, keyframes
        left = QVBoxLayout()
        left.setSpacing(6)
        left.addLayout(self._build_top_bar())
        self.view = ExploreCanvas()
        left.addWidget(self.view, 1)
        # A plain-words message over the picture (a piece from another model, a failed save).
        self.notice = QLabel(self.view)
        self.notice.setObjectName("exploreNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: rgba(60, 45, 20, 225); color: #f2d8a8; padding: 8px; border-radius: 4px;")
        self.notice.setVisible(False)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(12000)
        self._notice_timer.timeout.connect(self.notice.hide)
        left.addLayout(self._build_keyframes())
        outer.addLayout(left, 1)

        # -- right: controls in sections, scrolling when the window is small
        panel = QWidget()
        panel.setObjectName("exploreControls")
        self._panel_layout = QVBoxLayout(panel)
        self._panel_layout.setContentsMargins(4, 0, 10, 0)
        self._panel_layout.setSpacing(2)
        self._panel_layout.addWidget(self._build_model_section())
        self._panel_layout.addWidget(self._build_look_section())
        self._panel_layout.addWidget(self._build_variations_section())
        self._panel_layout.addWidget(self._build_directions_section())
        self._panel_layout.addWidget(self._build_raw_section())
        self._panel_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("exploreControlsScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(panel)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setMinimumWidth(330)
        scroll.setMaximumWidth(380)
        outer.addWidget(scroll)
        return page

    def _build_top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.undo_button = self._tool("Undo", "undoButton", "Undo the last change (Ctrl+Z)", self.undo)
        self.redo_button = self._tool("Redo", "redoButton", "Redo (Ctrl+Shift+Z)", self.redo)
        self.reset_button = self._tool("Reset", "resetLookButton", "Back to this seed's own picture: ψ 1, all sliders at 0", self.reset_look)
        for b in (self.undo_button, self.redo_button, self.reset_button):
            bar.addWidget(b)
        bar.addSpacing(10)
        self.crisp_button = self._tool("Crisp", "crispButton", "Show and save pixels as crisp blocks (nearest neighbour)", None)
        self.smooth_button = self._tool("Smooth", "smoothButton", "Show and save a smooth enlargement", None)
        group = QButtonGroup(self)
        for b in (self.crisp_button, self.smooth_button):
            b.setCheckable(True)
            group.addButton(b)
            bar.addWidget(b)
        self.crisp_button.setChecked(True)
        for b in (self.crisp_button, self.smooth_button):
            # In a dark Fusion theme a checked tool button barely differs: make the choice visible.
            b.setStyleSheet("QToolButton:checked { background: #3d6f9c; color: white; border: 1px solid #5a8cbc; border-radius: 2px; }")
        self.smooth_button.toggled.connect(self.set_smooth)
        bar.addStretch(1)
        self.copy_button = self._tool("Copy", "copyButton", "Copy the picture (at the chosen size) to the clipboard", self.copy_image)
        self.save_grid_button = self._tool("Save grid…", "saveGridButton", "Save the variations grid as one PNG", self.choose_grid_path)
        self.export_button = self._tool("Export animation…", "exportAnimationButton", "A GIF or MP4 walk through your keyframes", self.choose_animation)
        for b in (self.copy_button, self.save_grid_button, self.export_button):
            bar.addWidget(b)
        bar.addSpacing(10)
        self.scale_combo = QComboBox()
        self.scale_combo.setObjectName("saveScaleCombo")
        self.scale_combo.setAccessibleName("Saved size")
        self.scale_combo.setToolTip("How big the saved picture is")
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("saveSizeSpin")
        self.size_spin.setAccessibleName("Saved size in pixels")
        self.size_spin.setRange(16, 16384)
        self.size_spin.setValue(1024)
        self.size_spin.setSuffix(" px")
        self.size_spin.setVisible(False)
        self.scale_combo.currentIndexChanged.connect(lambda _i: self._sync_scale_labels())
        bar.addWidget(self.scale_combo)
        bar.addWidget(self.size_spin)
        self.save_button = QPushButton("Save artwork…")
        self.save_button.setObjectName("saveArtworkButton")
        self.save_button.setAccessibleName("Save artwork")
        self.save_button.setToolTip("Save the picture as a PNG that remembers how it was made (Ctrl+S)")
        self.save_button.setDefault(True)
        self.save_button.setStyleSheet(
            "QPushButton { background: #3d6f9c; color: white; font-weight: bold; padding: 4px 12px; border-radius: 3px; }"
            "QPushButton:hover { background: #4a82b5; } QPushButton:disabled { background: #3a3c40; color: #777; }"
        )
        self.nearest_button = QPushButton("Nearest training images…")
        self.nearest_button.setObjectName("nearestButton")
        self.nearest_button.setToolTip("This picture beside the training images most like it: new, or a copy?")
        self.nearest_button.clicked.connect(self.nearestRequested)
        bar.addWidget(self.nearest_button)
        self.save_button.clicked.connect(self.choose_artwork_path)
        bar.addWidget(self.save_button)
        self._fill_scale_combo(32)
        return bar

    def _tool(self, text, name, tip, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setObjectName(name)
        b.setAccessibleName(text.rstrip("…"))
        b.setToolTip(tip)
        b.setToolButtonStyle(Qt.ToolButtonTextOnly)
        if slot is not None:
            b.clicked.connect(lambda _=False: slot())
        return b

    def _build_keyframes(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.add_key_button = QPushButton("+ Keyframe")
        self.add_key_button.setObjectName("addKeyframeButton")
        self.add_key_button.setAccessibleName("Add keyframe")
        self.add_key_button.setToolTip("Remember this picture as a keyframe (A, B, C…) to animate between them")
        self.add_key_button.clicked.connect(self.add_keyframe)
        row.addWidget(self.add_key_button)
        self.chips = KeyframeChips()
        self.chips.jump.connect(self.jump_to_keyframe)
        self.chips.removeRequested.connect(self.remove_keyframe)
        row.addWidget(self.chips)
        self.interp_slider = _slider("interpolationSlider", 0, 1000, 0, "Travel between keyframes")
        self.interp_slider.setToolTip("Travel from the first keyframe to the last")
        self.interp_slider.valueChanged.connect(self._on_interp)
        self.interp_slider.sliderReleased.connect(self._commit)
        row.addWidget(self.interp_slider, 1)
        self.path_combo = QComboBox()
        self.path_combo.setObjectName("interpolationModeCombo")
        self.path_combo.setAccessibleName("Path between keyframes")
        self.path_combo.addItems(["Spherical", "Linear"])
        self.path_combo.setToolTip("Spherical keeps every in-between picture as vivid as the keyframes; linear passes nearer the 'average' picture")
        self.path_combo.currentIndexChanged.connect(lambda _i: self._on_interp(self.interp_slider.value()) if self.interp_slider.isEnabled() else None)
        row.addWidget(self.path_combo)
        self.clear_keys_button = QToolButton()
        self.clear_keys_button.setText("Clear")
        self.clear_keys_button.setObjectName("clearKeyframesButton")
        self.clear_keys_button.setToolTip("Forget all keyframes")
        self.clear_keys_button.clicked.connect(self.clear_keyframes)
        row.addWidget(self.clear_keys_button)
        return row

    def _build_model_section(self) -> Section:
        s = Section("MODEL", name="modelSection")
        self.model_label = QLabel("—")
        self.model_label.setObjectName("explorerModelLabel")
        self.model_label.setWordWrap(True)
        s.add(self.model_label)
        self.follow_check = QCheckBox("Follow training")
        self.follow_check.setObjectName("followTrainingCheck")
        self.follow_check.setAccessibleName("Follow training")
        self.follow_check.setToolTip("On: the picture updates as the model learns. Off: keep this version of the model.")
        self.follow_check.setChecked(True)
        self.follow_check.toggled.connect(self._on_follow)
        s.add(self.follow_check)
        return s

    def _build_look_section(self) -> Section:
        s = Section("LOOK", name="lookSection")
        form = QGridLayout()
        form.setHorizontalSpacing(8)
        form.addWidget(QLabel("Seed"), 0, 0)
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setAccessibleName("Seed")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Each seed is a different picture; the same seed always gives the same one")
        self.seed_spin.valueChanged.connect(self._on_seed)
        form.addWidget(self.seed_spin, 0, 1)
        self.random_button = QPushButton("Random")
        self.random_button.setObjectName("randomSeedButton")
        self.random_button.setToolTip("Jump to a random seed")
        self.random_button.clicked.connect(self.random_seed)
        form.addWidget(self.random_button, 0, 2)
        form.addWidget(QLabel("Variety ψ"), 1, 0)
        self.psi_slider = _slider("truncationSlider", 0, int(PSI_MAX * 100), 100, "Truncation psi")
        self.psi_slider.setToolTip("Lower: safer, more typical pictures. Higher: wilder, more unusual ones. 1 = as trained.")
        self.psi_slider.valueChanged.connect(self._on_psi)
        self.psi_slider.sliderReleased.connect(self._commit)
        form.addWidget(self.psi_slider, 1, 1)
        self.psi_value = _muted("1.00")
        self.psi_value.setObjectName("truncationValue")
        self.psi_value.setMinimumWidth(40)
        form.addWidget(self.psi_value, 1, 2)
        form.setColumnStretch(1, 1)
        s.add(form)
        return s

    def _build_directions_section(self) -> Section:
        s = Section("DIRECTIONS", name="directionsSection")
        hint = _muted("Found in the model's weights. Double-click a name to rename it.")
        hint.setWordWrap(True)
        s.add(hint)
        self._dir_grid_host = QWidget()
        self._dir_grid = QGridLayout(self._dir_grid_host)
        self._dir_grid.setContentsMargins(0, 0, 0, 0)
        self._dir_grid.setHorizontalSpacing(6)
        self._dir_grid.setVerticalSpacing(2)
        s.add(self._dir_grid_host)
        self.direction_sliders: list[QSlider] = []
        self._dir_labels: list[_NameLabel] = []
        self._dir_values: list[QLabel] = []
        self._dir_widgets: list[QWidget] = []
        return s

    def _build_raw_section(self) -> Section:
        s = Section("RAW LATENT", collapsible=True, expanded=False, name="rawSection")
        row = QHBoxLayout()
        row.addWidget(_muted("Numbers from"))
        self.raw_start = QSpinBox()
        self.raw_start.setObjectName("rawDimensionSpin")
        self.raw_start.setAccessibleName("First raw latent number shown")
        self.raw_start.setRange(0, 0)
        self.raw_start.valueChanged.connect(lambda _v: self._rebuild_raw())
        row.addWidget(self.raw_start)
        row.addStretch(1)
        s.add(row)
        host = QWidget()
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.raw_sliders: list[QSlider] = []
        self._raw_labels: list[QLabel] = []
        self._raw_values: list[QLabel] = []
        for i in range(RAW_SHOWN):
            label = _muted(f"z[{i}]")
            label.setMinimumWidth(44)
            slider = _slider(f"rawSlider{i}", -300, 300, 0, f"Raw latent number {i}")
            slider.valueChanged.connect(lambda v, row=i: self._on_raw(row, v))
            slider.sliderReleased.connect(self._commit)
            value = _muted("0.00")
            value.setMinimumWidth(40)
            grid.addWidget(label, i, 0)
            grid.addWidget(slider, i, 1)
            grid.addWidget(value, i, 2)
            self.raw_sliders.append(slider)
            self._raw_labels.append(label)
            self._raw_values.append(value)
        s.add(host)
        # Folded, the numbers are not kept in step (a drag would redraw eight sliders per
        # tick for nothing): unfolding brings them up to the picture on show.
        s.expandedChanged.connect(lambda expanded: self._rebuild_raw() if expanded else None)
        self.raw_section = s
        return s

    def _build_variations_section(self) -> Section:
        s = Section("VARIATIONS", name="variationsSection")
        self.grid = VariationsGrid(3, 3)
        self.grid.chosen.connect(self.choose_variation)
        self.grid.pickedChanged.connect(self._on_picked)
        s.add(self.grid)
        row = QHBoxLayout()
        row.addWidget(QLabel("How different"))
        self.amount_slider = _slider("variationAmountSlider", 5, 150, 50, "How different the variations are")
        self.amount_slider.setToolTip("Left: close cousins of the current picture. Right: distant relatives.")
        self.amount_slider.sliderReleased.connect(self.new_variations_for_current)
        self.amount_slider.valueChanged.connect(lambda _v: None if self.amount_slider.isSliderDown() else self._grid_timer.start())
        row.addWidget(self.amount_slider, 1)
        s.add(row)
        row = QHBoxLayout()
        self.new_variations_button = QPushButton("New variations")
        self.new_variations_button.setObjectName("newVariationsButton")
        self.new_variations_button.setToolTip("Another set of relatives of the current picture")
        self.new_variations_button.clicked.connect(self.new_variations)
        row.addWidget(self.new_variations_button)
        self.crossbreed_button = QPushButton("Crossbreed")
        self.crossbreed_button.setObjectName("crossbreedButton")
        self.crossbreed_button.setToolTip("Ctrl-click two variations (or one, to mix it with the current picture), then crossbreed them")
        self.crossbreed_button.clicked.connect(self.crossbreed)
        self.crossbreed_button.setEnabled(False)
        row.addWidget(self.crossbreed_button)
        s.add(row)
        self.picks_label = _muted("Click one to make it current · Ctrl-click to pick parents")
        self.picks_label.setWordWrap(True)
        s.add(self.picks_label)
        return s
