"""The Explore page's relatives of the current picture (variations, crossbreeding) and its keyframes and walks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker

from ganstudio.wording import keyframe_name

if TYPE_CHECKING:  # torch loads in the background at start-up; the window must not wait for it
    pass

    from ganstudio.explore.model import Look

from ganstudio.gui.pages.explore_layout import GRID_LANE


class ExploreVariations:
    """Variations and keyframes for ExplorePage (a mixin)."""

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
        self._post("info", f"Keyframe {keyframe_name(index)} added.")
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
