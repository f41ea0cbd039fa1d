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

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import (
    QStackedLayout,
    QWidget,
)

from ganstudio.explore.source import ModelSource
from ganstudio.gui.pages.explore_layout import DIRECTIONS, EMPTY_TEXT, RAW_SHOWN, SLIDER_STEPS  # noqa: F401 - EMPTY_TEXT: tests
from ganstudio.gui.pages.explore_saving import ExploreSaving
from ganstudio.gui.pages.explore_sliders import ExploreSliders
from ganstudio.gui.pages.explore_variations import ExploreVariations
from ganstudio.gui.pages.explore_layout import ExploreLayout
from ganstudio.gui.state import ExploreState

if TYPE_CHECKING:  # torch loads in the background at start-up; the window must not wait for it
    import torch

    from ganstudio.explore.directions import Directions
    from ganstudio.explore.model import ExplorerModel, Look

class ExplorePage(ExploreLayout, ExploreSliders, ExploreVariations, ExploreSaving, QWidget):
    directionNamesChanged = Signal(list)  # the artist renamed a direction: save names with the model
    modelNeeded = Signal(object)  # a recipe (explore.recipe.Recipe) needs another generator
    openBundledRequested = Signal()  # the empty state's "try the bundled demo model"
    artworkSaved = Signal(str)  # a PNG was written (path)
    imageShown = Signal(int)  # pixels of this render request reached the view
    exportFinished = Signal(str)  # an animation / big PNG was written (path)
    exportFailed = Signal(str)  # one plain line
    imageCopied = Signal()  # a picture reached the clipboard
    messagePosted = Signal(str, str)  # level ("info", "warning", "error"), text: for the status bar
    nearestRequested = Signal()  # the artist asked which training images the picture is closest to

    def __init__(self, state: ExploreState, parent: QWidget | None = None, *, directions: int = DIRECTIONS) -> None:
        super().__init__(parent)
        self.setObjectName("explorePage")
        self.setAccessibleName("Explore")
        self._k = directions
        self.state = state
        state.rendered.connect(self._on_rendered)
        state.renderFailed.connect(self._on_render_failed)
        state.liveOffered.connect(self.offer_live_generator)
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
        # Undo, Redo and Copy are the window's Edit menu (window_chrome.py), which calls undo()/redo() here.

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
            self.modelNeeded.emit(recipe)
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
