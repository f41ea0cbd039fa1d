"""The Explore page: steer what the generator learned, keep the pieces you like.

A big picture on the left, the controls on the right in sections (model, look,
directions, raw latent, variations), history and saving above the picture, keyframes
below it. The look lives in a pure `ExplorerModel`; this page observes it (on_change).
Pixels and files are asked of the `ExploreState` (the newest render request per lane wins)
and arrive through its signals: the explore controller renders and saves in its threads,
so nothing heavy runs on the GUI thread and this page starts none. Saving and walks are
in explore_saving.py; variations and keyframes in explore_variations.py.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.widgets.variations import KeyframeChips, Section, VariationsGrid, chip_name
from ganstudio.gui.widgets.explore_view import ExploreCanvas
from ganstudio.explore.source import ModelSource
from ganstudio.gui.pages.explore_saving import ExploreSaving
from ganstudio.gui.state import ExploreState

if TYPE_CHECKING:  # torch loads in the background at start-up; the window must not wait for it
    import torch

    from ganstudio.explore.directions import Directions
    from ganstudio.explore.model import ExplorerModel, Look

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


class ExplorePage(ExploreSaving, QWidget):
    directionNamesChanged = Signal(list)  # the artist renamed a direction: save names with the model
    modelNeeded = Signal(str)  # a recipe needs another generator: its checkpoint path, or ""
    openBundledRequested = Signal()  # the empty state's "try the bundled demo model"
    artworkSaved = Signal(str)  # a PNG was written (path)
    imageShown = Signal(int)  # pixels of this render request reached the view
    exportFinished = Signal(str)  # an animation / big PNG was written (path)
    exportFailed = Signal(str)  # one plain line
    imageCopied = Signal()  # a picture reached the clipboard
    messagePosted = Signal(str, str)  # level ("info", "warning", "error"), text: for the status bar

    def __init__(self, state: ExploreState, parent: QWidget | None = None, *, directions: int = DIRECTIONS) -> None:
        super().__init__(parent)
        self.setObjectName("explorePage")
        self.setAccessibleName("Explore")
        self._k = directions
        self.state = state
        state.rendered.connect(self._on_rendered)
        state.renderFailed.connect(self._on_render_failed)
        state.exportDone.connect(self._on_export_done)
        state.exportFailed.connect(self._on_export_failed)
        self.generator: torch.nn.Module | None = None
        self.model: ExplorerModel | None = None
        self.directions: Directions | None = None
        self._next_id = 0
        self._view_id = -1  # newest view request
        self._shown_id = -1
        # Every id up to this one was asked of an earlier generator: its pixels (or failure),
        # if they arrive after a switch of model, are stale and never shown.
        self._stale_up_to = 0
        self._view_look: Look | None = None  # the look the newest view request was made for
        self._grid_id = -1
        self._grid_looks: list[Look] = []  # the newest set asked for
        self._shown_grid_looks: list[Look] = []  # the set whose thumbnails are on show (clicks pick these)
        self._grid_ids: set[int] = set()
        self._live_candidate = None  # a newer training generator not taken (follow off)
        self.run_dir: Path | None = None
        self._resolution = 64
        self._variation_seed = 1
        self._pending_recipe = None
        self._export_done: dict[int, object] = {}  # export number -> what to do with its result
        self._syncing = False
        self.request_times: dict[int, float] = {}  # id -> perf_counter at request (benches)

        self._grid_timer = QTimer(self)
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(250)
        self._grid_timer.timeout.connect(self.new_variations_for_current)

        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._build_empty())
        self._stack.addWidget(self._build_explorer())
        self._stack.setCurrentIndex(0)
        self._sync_keyframes()

        undo = QShortcut(QKeySequence.Undo, self, self.undo, context=Qt.WidgetWithChildrenShortcut)
        redo = QShortcut(QKeySequence("Ctrl+Shift+Z"), self, self.redo, context=Qt.WidgetWithChildrenShortcut)
        redo2 = QShortcut(QKeySequence.Redo, self, self.redo, context=Qt.WidgetWithChildrenShortcut)
        self._shortcuts = (undo, redo, redo2)

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

    # ================================================================== public API
    def set_generator(
        self,
        generator: torch.nn.Module,
        *,
        fingerprint: str | None,
        run: str | None = None,
        checkpoint: str | None = None,
        step: int = 0,
        live: bool = False,
        why: str = "",
    ) -> None:
        """Show this generator (a detached CPU copy nobody trains). Keeps the current look
        when the latent size matches; finds its directions (fast: first layer only)."""
        generator = generator.to("cpu").eval().requires_grad_(False)
        z_dim = int(generator.z_dim)
        try:
            from ganstudio.explore.directions import find_directions
            directions = find_directions(generator, k=self._k)
        except ValueError:
            directions = None  # an architecture without a readable first layer: no sliders
        same_space = self.model is not None and self.model.z_dim == z_dim
        self.generator = generator
        self.state.set_source(ModelSource(fingerprint=fingerprint, run=run, checkpoint=checkpoint, step=int(step),
                                          live=bool(live), why=why))
        self.directions = directions
        if same_space:
            self.model.set_directions(directions)
        else:
            from ganstudio.explore.model import ExplorerModel
            self.model = ExplorerModel(z_dim, directions)
            self.model.on_change.append(self._on_look)
            self._grid_looks = []
        # The thumbnails on show are the previous model's: not clickable once it is gone.
        self._shown_grid_looks = []
        self.grid.set_images(None)
        self.grid.clear_picks()
        self._rebuild_directions()
        self._sync_keyframes()
        self._fill_scale_combo(int(getattr(generator, "resolution", 64)))
        self.raw_start.setRange(0, max(0, z_dim - RAW_SHOWN))
        self._rebuild_raw()
        self._use_generator(generator)
        self._stack.setCurrentIndex(1)
        self._live_candidate = None
        with QSignalBlocker(self.follow_check):
            self.follow_check.setChecked(bool(live))
        self.follow_check.setEnabled(bool(live))
        self._sync_model_label()
        if self._pending_recipe is not None and fingerprint == self._pending_recipe.fingerprint:
            recipe, self._pending_recipe = self._pending_recipe, None
            self.open_recipe(recipe)
            return
        self._on_look(self.model.look)
        self.new_variations_for_current()

    def offer_live_generator(self, generator: torch.nn.Module, step: int) -> bool:
        """A newer EMA copy from training (every sample tick). Taken only while "Follow
        training" is on (or when nothing is shown yet); returns whether it was taken."""
        if self.model is not None and not self.follow_check.isChecked():
            # Kept, not shown: ticking "Follow training" switches to it.
            self._live_candidate = (generator, int(step))
            self.follow_check.setEnabled(True)
            return False
        self._live_candidate = None
        self._apply_live(generator, int(step))
        return True

    def _apply_live(self, generator, step: int) -> None:
        if self.model is None or int(generator.z_dim) != self.model.z_dim:
            self.set_generator(generator, fingerprint=None, run=self.state.live_run, checkpoint=None, step=step, live=True)
            return
        generator = generator.to("cpu").eval().requires_grad_(False)
        self.generator = generator
        self.state.set_source(ModelSource(run=self.state.live_run, step=int(step), live=True))
        # New directions only while every slider is at 0: recomputing them under a moved
        # slider would make the picture jump (the strongest directions reorder as it learns).
        if not any(self.model.look.offsets) or self.directions is None:
            try:
                from ganstudio.explore.directions import find_directions
                self.directions = find_directions(generator, k=self._k)
            except ValueError:
                self.directions = None
            with _Quiet(self):
                self.model.set_directions(self.directions)
        self._use_generator(generator)
        self._sync_model_label()
        self._request_view(self.model.look)
        self._grid_timer.start()

    def set_run_name(self, run: str | None) -> None:
        """The run being trained: its copies, when they arrive, are shown under this name. The
        model on show keeps its own name until then."""
        self.state.set_live_run(run)

    def open_recipe(self, recipe) -> bool:
        """Reopen a saved piece exactly. Returns False (with a message and modelNeeded) when
        the generator it was made with is not the one loaded."""
        if recipe is None:
            self._post("warning", "This picture has no GAN Studio recipe, so it can't be reopened for editing.")
            return False
        if self.model is None or self._fingerprint() != recipe.fingerprint:
            self._pending_recipe = recipe
            where = f" (run {recipe.run}, step {recipe.step:,})" if recipe.run else f" (step {recipe.step:,})"
            self._post(
                "warning",
                f"This piece was made with a different model{where}. Open that model to continue editing it exactly.",
            )
            self.modelNeeded.emit(recipe.checkpoint or "")
            return False
        self._pending_recipe = None
        if recipe.z_dim != self.model.z_dim:  # the right model's name on a damaged or doctored latent
            self._post(
                "warning",
                f"This piece's recipe is damaged: its latent has {recipe.z_dim} numbers, but its model "
                f"uses {self.model.z_dim}. It can't be reopened for editing.",
            )
            return False
        # The editable look when it still gives the saved latent bit for bit, else one
        # holding that latent itself: either way, the very same pixels.
        look = recipe.resolve_look(self.directions)
        # The piece names the directions it moved; take those names (others keep theirs).
        names = list(self.model.direction_names)
        for i, offset in enumerate(recipe.look.offsets[: len(names)]):
            if offset != 0.0 and i < len(recipe.direction_names):
                names[i] = recipe.direction_names[i]
        if names != self.model.direction_names:
            self.model.direction_names = names
            self._sync_direction_names()
            self.directionNamesChanged.emit(list(names))
        self._restore_save_options(recipe)
        self.model.set_look(look)
        self._on_look(self.model.look)
        self.new_variations_for_current()
        return True

    def _restore_save_options(self, recipe) -> None:
        """The size and crisp/smooth the piece was saved with, next to Save again, so that
        saving the reopened piece re-makes the same file."""
        if recipe.smooth is not None:
            self.set_smooth(recipe.smooth)
        if recipe.size is None:
            return
        for i in range(self.scale_combo.count()):
            scale = self.scale_combo.itemData(i)
            if scale and scale * self._resolution == recipe.size:
                self.scale_combo.setCurrentIndex(i)
                return
        self.scale_combo.setCurrentIndex(self.scale_combo.findData(0))  # Custom size…
        self.size_spin.setValue(min(max(recipe.size, self.size_spin.minimum()), self.size_spin.maximum()))

    def current_image(self) -> np.ndarray | None:
        """The picture on show, uint8 (H, W, C), or None."""
        return self.view.array() if self.model is not None else None

    def current_look(self) -> Look | None:
        return self.model.look if self.model is not None else None

    def set_direction_names(self, names: list[str]) -> None:
        """Names saved with the model earlier (the lead restores them)."""
        if self.model is None:
            return
        names = [str(n) for n in names][: self.model.n_directions]
        self.model.direction_names = names + self.model.direction_names[len(names):]
        self._sync_direction_names()

    def has_model(self) -> bool:
        return self.model is not None

    def is_idle(self) -> bool:
        """No render waiting and the newest view request is on show (tests wait on it)."""
        return self.state.pending_renders() == 0 and self._shown_id == self._view_id

    def shutdown(self) -> None:
        """Nothing more to ask for (the controller stops the threads)."""
        self._grid_timer.stop()

    # ================================================================== history / look
    def undo(self) -> None:
        if self.model is not None:
            self.model.undo()

    def redo(self) -> None:
        if self.model is not None:
            self.model.redo()

    def reset_look(self) -> None:
        if self.model is not None:
            self.model.reset()

    def random_seed(self) -> None:
        if self.model is not None:
            self.model.random_seed()

    def set_seed(self, seed: int) -> None:
        self.seed_spin.setValue(int(seed))

    def set_smooth(self, smooth: bool) -> None:
        with QSignalBlocker(self.smooth_button), QSignalBlocker(self.crisp_button):
            self.smooth_button.setChecked(bool(smooth))
            self.crisp_button.setChecked(not smooth)
        self.view.set_smooth(bool(smooth))
        self.grid.set_smooth(bool(smooth))

    def smooth(self) -> bool:
        return self.smooth_button.isChecked()

    def _commit(self) -> None:
        if self.model is not None:
            self.model.commit()
            self._grid_timer.start()

    def _on_seed(self, value: int) -> None:
        if self._syncing or self.model is None:
            return
        self.model.set_seed(int(value))

    def _on_psi(self, value: int) -> None:
        self.psi_value.setText(f"{value / 100:.2f}")
        if self._syncing or self.model is None:
            return
        self.model.set_truncation(value / 100.0, record=not self.psi_slider.isSliderDown())

    def _on_direction(self, index: int, value: int) -> None:
        span = self.directions.span if self.directions is not None else 3.0
        offset = value / SLIDER_STEPS * span
        if index < len(self._dir_values):
            self._dir_values[index].setText(f"{offset:+.2f}")
        if self._syncing or self.model is None:
            return
        self.model.set_offset(index, offset, record=not self.direction_sliders[index].isSliderDown())

    def _on_raw(self, row: int, value: int) -> None:
        self._raw_values[row].setText(f"{value / 100:+.2f}")
        if self._syncing or self.model is None:
            return
        dim = self.raw_start.value() + row
        if dim < self.model.z_dim:
            self.model.set_raw(dim, value / 100.0, record=not self.raw_sliders[row].isSliderDown())

    def _on_look(self, look: Look) -> None:
        """The model changed: controls follow, and a render is asked for."""
        if self.model is None:
            return
        self._sync_controls(look)
        self._request_view(look)
        dragging = any(s.isSliderDown() for s in self._all_sliders())
        if not dragging:
            self._grid_timer.start()

    def _all_sliders(self) -> list[QSlider]:
        return [self.psi_slider, self.interp_slider, *self.direction_sliders, *self.raw_sliders]

    def _sync_controls(self, look: Look) -> None:
        self._syncing = True
        try:
            self.seed_spin.setValue(int(min(look.seed, self.seed_spin.maximum())))
            self.psi_slider.setValue(round(look.truncation * 100))
            self.psi_value.setText(f"{look.truncation:.2f}")
            span = self.directions.span if self.directions is not None else 3.0
            for i, slider in enumerate(self.direction_sliders):
                offset = look.offsets[i] if i < len(look.offsets) else 0.0
                if not slider.isSliderDown():
                    slider.setValue(round(offset / span * SLIDER_STEPS))
                self._dir_values[i].setText(f"{offset:+.2f}")
            if self.raw_section.is_expanded():
                self._sync_raw(look)
        finally:
            self._syncing = False
        self.undo_button.setEnabled(self.model.can_undo)
        self.redo_button.setEnabled(self.model.can_redo)

    def _base_numbers(self, look: Look) -> np.ndarray:
        if look.base is not None:
            return np.asarray(look.base, np.float32)
        from ganstudio.explore.latent import z_from_seed
        return z_from_seed(look.seed, self.model.z_dim).numpy()

    def _sync_raw(self, look: Look) -> None:
        base = self._base_numbers(look)
        start = self.raw_start.value()
        for row, slider in enumerate(self.raw_sliders):
            dim = start + row
            visible = dim < len(base)
            slider.setVisible(visible)
            self._raw_labels[row].setVisible(visible)
            self._raw_values[row].setVisible(visible)
            if not visible:
                continue
            self._raw_labels[row].setText(f"z[{dim}]")
            if not slider.isSliderDown():
                slider.setValue(int(round(float(np.clip(base[dim], -3, 3)) * 100)))
            self._raw_values[row].setText(f"{base[dim]:+.2f}")

    def _rebuild_raw(self) -> None:
        if self.model is not None:
            self._syncing = True
            try:
                self._sync_raw(self.model.look)
            finally:
                self._syncing = False

    def _rebuild_directions(self) -> None:
        k = self.model.n_directions if self.model is not None else 0
        if len(self.direction_sliders) == k:
            self._sync_direction_names()
            return
        for w in self._dir_widgets:
            w.setParent(None)
            w.deleteLater()
        self._dir_widgets, self.direction_sliders, self._dir_labels, self._dir_values = [], [], [], []
        for i in range(k):
            label = _NameLabel()
            label.setObjectName(f"directionName{i}")
            label.setMinimumWidth(84)
            label.setMaximumWidth(120)
            label.setToolTip("Double-click to rename")
            label.doubleClicked.connect(lambda index=i: self.rename_direction(index))
            slider = _slider(f"directionSlider{i}", -SLIDER_STEPS, SLIDER_STEPS, 0, f"Direction {i + 1}")
            slider.valueChanged.connect(lambda v, index=i: self._on_direction(index, v))
            slider.sliderReleased.connect(self._commit)
            slider.setToolTip("Drag to move the picture along this direction; double-click the name to rename it")
            value = _muted("+0.00")
            value.setMinimumWidth(40)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            edit = QToolButton()
            edit.setText("✎")
            edit.setObjectName(f"renameDirectionButton{i}")
            edit.setAccessibleName(f"Rename direction {i + 1}")
            edit.setToolTip("Rename this direction")
            edit.setAutoRaise(True)
            edit.clicked.connect(lambda _=False, index=i: self.rename_direction(index))
            self._dir_grid.addWidget(label, i, 0)
            self._dir_grid.addWidget(slider, i, 1)
            self._dir_grid.addWidget(value, i, 2)
            self._dir_grid.addWidget(edit, i, 3)
            self._dir_grid.setColumnStretch(1, 1)
            self._dir_widgets += [label, slider, value, edit]
            self.direction_sliders.append(slider)
            self._dir_labels.append(label)
            self._dir_values.append(value)
        self._sync_direction_names()

    def _sync_direction_names(self) -> None:
        if self.model is None:
            return
        for i, label in enumerate(self._dir_labels):
            name = self.model.direction_names[i] if i < len(self.model.direction_names) else f"Direction {i + 1}"
            label.setText(name)
            self.direction_sliders[i].setAccessibleName(name)

    def rename_direction(self, index: int, name: str | None = None) -> None:
        """Give direction `index` a name (asks the user when `name` is None)."""
        if self.model is None or not 0 <= index < self.model.n_directions:
            return
        if name is None:
            current = self.model.direction_names[index]
            name, ok = QInputDialog.getText(self, "Rename direction", "What does this direction change?", text=current)
            if not ok:
                return
        name = " ".join(str(name).split())[:40] or f"Direction {index + 1}"
        self.model.direction_names[index] = name
        self._sync_direction_names()
        self.directionNamesChanged.emit(list(self.model.direction_names))

    def _sync_model_label(self) -> None:
        source = self.state.source
        if source.run == "bundled":
            text = "Bundled demo model"
        else:
            run = source.run or "Unsaved model"
            text = f"<b>{html.escape(run)}</b><br>step {source.step:,}"
            if source.live:
                text += " · live from training" if self.follow_check.isChecked() else " · frozen"
            elif source.why:
                # Which of the run's generators this is, and why (the 'best' one, chosen by quality).
                text += f"<br><span style='color: #a8a8a8; font-size: small'>{html.escape(source.why)}</span>"
        self.model_label.setText(text)

    def _on_follow(self, on: bool) -> None:
        candidate = self._live_candidate
        if on and candidate is not None:
            self._live_candidate = None
            self._apply_live(*candidate)
        self._sync_model_label()

    # ================================================================== rendering
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _request_view(self, look: Look) -> None:
        if self.model is None:
            return
        try:
            z = look.latent(self.directions, self.model.z_dim)
        except ValueError as exc:
            self._post("error", str(exc))
            return
        self._view_id = self._new_id()
        self._view_look = look
        self.request_times[self._view_id] = time.perf_counter()
        if len(self.request_times) > 256:
            for key in sorted(self.request_times)[:-64]:
                del self.request_times[key]
        self.state.request_render(self._view_id, z)

    def _use_generator(self, generator) -> None:
        """Render with `generator` from now on. Requests already made (even one made a
        moment ago, for this generator's directions but before the renderer had it) may
        still come back from the previous model: they are stale from here on."""
        self.state.set_render_generator(generator)
        self._stale_up_to = self._next_id

    def _on_render_failed(self, request_id: int, text: str) -> None:
        if request_id > self._stale_up_to:
            self._post("error", text)

    def _on_rendered(self, request_id: int, images) -> None:
        if request_id <= self._stale_up_to:
            return  # made by the previous model: the new model's picture follows
        if request_id in self._grid_ids:
            if request_id == self._grid_id:
                self.grid.set_images(images)
                self._shown_grid_looks = list(self._grid_looks)
            return  # an older grid than the newest: nobody wants it
        if request_id <= self._shown_id or request_id > self._view_id:
            return  # older than the picture on show
        self._shown_id = request_id
        self.view.set_image(images[0])
        self.imageShown.emit(request_id)

    def new_variations(self) -> None:
        """A fresh set of relatives (another noise seed)."""
        self._variation_seed += 1
        self.grid.clear_picks()
        self.new_variations_for_current()

    def new_variations_for_current(self) -> None:
        """Variations of the current look with the current seed of noise."""
        if self.model is None:
            return
        self._grid_timer.stop()
        amount = self.amount_slider.value() / 100.0
        looks = self.model.variations(self.grid.count(), amount, seed=self._variation_seed)
        self._grid_looks = looks
        import torch
        z = torch.stack([lk.latent(self.directions, self.model.z_dim) for lk in looks])
        self._grid_id = self._new_id()
        self._grid_ids = {i for i in self._grid_ids if i > self._grid_id - 64} | {self._grid_id}
        self.state.request_render(self._grid_id, z, lane=GRID_LANE)

    def variation_looks(self) -> list[Look]:
        """The variations whose thumbnails are on show (a newer set may be rendering)."""
        return list(self._shown_grid_looks)

    def choose_variation(self, index: int) -> None:
        if self.model is None or not 0 <= index < len(self._shown_grid_looks):
            return
        self.grid.clear_picks()
        self.model.set_look(self._shown_grid_looks[index])

    def _on_picked(self, picks: list) -> None:
        self.crossbreed_button.setEnabled(bool(picks) and self.model is not None)
        names = " × ".join(str(i + 1) for i in picks)
        if len(picks) == 2:
            self.picks_label.setText(f"Parents: variations {names}. Press Crossbreed.")
        elif len(picks) == 1:
            self.picks_label.setText(f"Parent: variation {names} × the current picture. Ctrl-click another to choose both.")
        else:
            self.picks_label.setText("Click one to make it current · Ctrl-click to pick parents")

    def crossbreed(self, a: int | None = None, b: int | None = None) -> None:
        """Mix two picked variations (or one with the current picture) into a child."""
        if self.model is None:
            return
        picks = [i for i in (a, b) if i is not None] or self.grid.picked()
        parents = [self._shown_grid_looks[i] for i in picks if 0 <= i < len(self._shown_grid_looks)]
        if not parents:
            return
        if len(parents) == 1:
            parents.insert(0, self.model.look)
        self._variation_seed += 1
        child = self.model.crossbreed(parents[0], parents[1], seed=self._variation_seed)
        self.grid.clear_picks()
        self.model.set_look(child)

    # ================================================================== keyframes
    def add_keyframe(self) -> int:
        if self.model is None:
            return -1
        index = self.model.add_keyframe()
        self._sync_keyframes()
        self._post("info", f"Keyframe {chip_name(index)} added.")
        return index

    def remove_keyframe(self, index: int) -> None:
        if self.model is not None and 0 <= index < len(self.model.keyframes):
            del self.model.keyframes[index]
            self._sync_keyframes()

    def clear_keyframes(self) -> None:
        if self.model is not None:
            self.model.clear_keyframes()
            self._sync_keyframes()

    def jump_to_keyframe(self, index: int) -> None:
        if self.model is not None and 0 <= index < len(self.model.keyframes):
            self.model.set_look(self.model.keyframes[index])
            n = len(self.model.keyframes)
            if n >= 2:
                with QSignalBlocker(self.interp_slider):
                    self.interp_slider.setValue(round(1000 * index / (n - 1)))

    def _sync_keyframes(self) -> None:
        n = len(self.model.keyframes) if self.model is not None else 0
        self.chips.set_count(n)
        self.interp_slider.setEnabled(n >= 2)
        self.path_combo.setEnabled(n >= 2)
        self.clear_keys_button.setEnabled(n > 0)
        self.export_button.setEnabled(n >= 2)
        self.export_button.setToolTip(
            "A GIF or MP4 walk through your keyframes" if n >= 2 else "Add at least two keyframes to make an animation"
        )
        if n >= 2:
            with QSignalBlocker(self.interp_slider):
                self.interp_slider.setValue(1000 if n else 0)

    def spherical(self) -> bool:
        return self.path_combo.currentIndex() == 0

    def _on_interp(self, value: int) -> None:
        if self.model is None or len(self.model.keyframes) < 2:
            return
        look = self.model.interpolate(value / 1000.0, spherical=self.spherical())
        self.model.set_look(look, record=not self.interp_slider.isSliderDown())

    # ================================================================== saving
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

    # ================================================================== messages
    def _post(self, level: str, text: str) -> None:
        self.messagePosted.emit(level, text)
        if level in ("warning", "error") and self.model is not None:
            self.notice.setText(text)
            self._place_notice()
            self.notice.setVisible(True)
            self.notice.raise_()
            self._notice_timer.start()

    def _place_notice(self) -> None:
        self.notice.setGeometry(12, 12, max(200, self.view.width() - 24), 56)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_notice()


class _Quiet:
    """Run model changes without re-rendering for each (the caller renders once after)."""

    def __init__(self, page: ExplorePage) -> None:
        self.page = page

    def __enter__(self):
        self.callbacks = list(self.page.model.on_change)
        self.page.model.on_change.clear()
        return self

    def __exit__(self, *exc):
        self.page.model.on_change[:] = self.callbacks
        self.page._sync_controls(self.page.model.look)
        return False
