"""The Explore page's sliders kept in step with the look: directions, raw latent numbers, names and the model label."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QInputDialog,
    QSlider,
    QToolButton,
)


if TYPE_CHECKING:  # torch loads in the background at start-up; the window must not wait for it
    pass

    from ganstudio.explore.model import Look

from ganstudio.gui.pages.explore_layout import SLIDER_STEPS, _muted, _NameLabel, _slider


class ExploreSliders:
    """Syncing controls for ExplorePage (a mixin)."""

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
