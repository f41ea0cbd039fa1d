"""The Train page: preset and settings, Start / Pause / Stop, live curves, samples, warnings.

It observes a `TrainingState` and a `DataState` and asks for actions through signals;
the main window turns those into threads. It never starts training itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.config import RunConfig
from ganstudio.training.health import HealthMonitor, HealthWarning
from ganstudio.training.report import EventKind, RunState
from ganstudio.plan import RunEdits, compose_run
from ganstudio.presets import PRESETS, apply_preset, choose_preset
from ganstudio.runs.folder import RunFolder, default_runs_dir
from ganstudio.wording import format_duration
from ganstudio.gui.pages.train_layout import AUGMENT_CHOICES, CHOOSE_RUN
from ganstudio.gui.pages.train_layout import TrainLayout
from ganstudio.gui.state import Phase, DataState, TrainingState

class WarningCard(QFrame):
    """One plain-language warning, with its action button when it has one."""

    actionRequested = Signal(str)

    def __init__(self, warning: HealthWarning, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warning = warning
        self.setObjectName("warningCard")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet(
            "#warningCard { background: rgba(224, 164, 60, 40); border: 1px solid rgba(224, 164, 60, 150); border-radius: 6px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        title = QLabel(f"<b>⚠ {warning.title}</b>  <span style='color: #a0a0a0'>(step {warning.step:,})</span>")
        advice = QLabel(warning.advice)
        advice.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(advice)
        row = QHBoxLayout()
        row.addStretch(1)
        if warning.action == "revert_best":
            button = QPushButton("Go back to the best checkpoint")
            button.setObjectName("revertBestButton")
            button.clicked.connect(lambda: self.actionRequested.emit("revert_best"))
            row.addWidget(button)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.deleteLater)
        row.addWidget(dismiss)
        layout.addLayout(row)


class TrainPage(TrainLayout, QWidget):
    startRequested = Signal(object)  # RunConfig
    pauseRequested = Signal()
    resumeRequested = Signal()
    stopRequested = Signal()
    revertRequested = Signal()  # go back to the best checkpoint

    def __init__(self, training: TrainingState, data: DataState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPage")
        self.training = training
        self.data = data
        self.device_type = "cpu"
        self.monitor = HealthMonitor()
        self._filling = False  # true while a preset writes the controls
        self._choosing = False  # true while the preset is chosen for the data set and device
        # The artist's own choices, which a preset chosen automatically must not overwrite: the
        # preset itself once they pick (or restore) one, and each advanced control they change.
        self._preset_explicit = False
        self._explicit: set[str] = set()

        self._build()
        training.stateChanged.connect(self._on_state)
        training.reportAdded.connect(self._on_report)
        training.runOpened.connect(self._on_run_opened)
        data.imagesChanged.connect(self._on_images)
        data.choiceChanged.connect(self._update_buttons)
        self._apply_preset_to_controls()
        self._on_state(training.state)

    # ------------------------------------------------------------------ settings <-> controls
    def set_device_type(self, device_type: str) -> None:
        """The main window tells us the device once torch is up; the default preset follows it."""
        self.device_type = device_type
        self._choose_default_preset()

    def _n_images(self) -> int:
        images = self.data.images
        return images.count if images is not None else 0

    def _preset_controls(self) -> dict[str, tuple[QWidget, Callable[[RunConfig], object]]]:
        """The advanced controls a preset fills in, each with the value it takes from a config
        (None for augmentation: "Automatic", which the preset resolves for the data set)."""
        return {
            "arch": (self.arch_combo, lambda cfg: cfg.model.arch),
            "loss": (self.loss_combo, lambda cfg: cfg.loss.kind),
            "batch": (self.batch_spin, lambda cfg: cfg.train.batch),
            "lr_g": (self.lr_g_spin, lambda cfg: cfg.train.lr_g),
            "lr_d": (self.lr_d_spin, lambda cfg: cfg.train.lr_d),
            "z_dim": (self.z_spin, lambda cfg: cfg.model.z_dim),
            "width": (self.width_spin, lambda cfg: cfg.model.width),
            "ema": (self.ema_spin, lambda cfg: cfg.train.ema_half_life_images),
            "augment": (self.augment_combo, lambda cfg: None),
        }

    def _mark_explicit(self, name: str) -> None:
        if not self._filling:
            self._explicit.add(name)

    def _on_preset_changed(self) -> None:
        if not self._choosing:
            # The artist picked a preset: it stays whatever the data set, and the advanced
            # settings follow it (its tooltip), their earlier edits included.
            self._preset_explicit = True
            self._explicit.clear()
        self._apply_preset_to_controls()

    def _choose_default_preset(self) -> None:
        """Follow the data set and device: the preset unless the artist picked one, and the
        advanced settings they have not changed themselves (the augmentation for the set's size,
        the batch for its resolution)."""
        key = choose_preset(self._n_images() or 1000, self.device_type)
        index = self.preset_combo.findData(key)
        if not self._preset_explicit and index >= 0 and index != self.preset_combo.currentIndex():
            self._choosing = True
            try:
                self.preset_combo.setCurrentIndex(index)
            finally:
                self._choosing = False
        else:
            self._apply_preset_to_controls()

    def _apply_preset_to_controls(self) -> None:
        key = self.preset_combo.currentData()
        if key is None:
            return
        base = RunConfig()
        base.data = dataclasses.replace(self.data.decided_choice())  # the batch depends on the resolution
        cfg = apply_preset(base, key, n_images=self._n_images() or 1000)
        self.preset_summary.setText(PRESETS[key].summary)
        keep = self._explicit  # what the artist set themselves
        self._filling = True
        try:
            for name, (widget, value) in self._preset_controls().items():
                if name in keep:
                    continue
                if isinstance(widget, QComboBox):
                    self._set_combo(widget, value(cfg))
                else:
                    widget.setValue(value(cfg))
            # Say what "automatic" means for this set, so nobody has to guess the threshold.
            chosen = next((label for label, value in AUGMENT_CHOICES if value == cfg.augment.policy), cfg.augment.policy)
            as_needed = " as needed" if cfg.augment.adaptive and cfg.augment.policy else ""
            self.augment_combo.setItemText(0, f"Automatic: {chosen.lower()}{as_needed}")
        finally:
            self._filling = False

    @staticmethod
    def _set_combo(combo: QComboBox, value) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def build_config(self) -> RunConfig:
        """The run the user asked for: data choice + preset + their advanced edits (plan.compose_run)."""
        steps = self.steps_spin.value()
        edits = RunEdits(
            arch=self.arch_combo.currentData(),
            loss=self.loss_combo.currentData(),
            batch=self.batch_spin.value(),
            lr_g=self.lr_g_spin.value(),
            lr_d=self.lr_d_spin.value(),
            z_dim=self.z_spin.value(),
            width=self.width_spin.value(),
            ema_half_life_images=self.ema_spin.value(),
            augment_policy=self.augment_combo.currentData(),
            seed=self.seed_spin.value(),
            precision=self.precision_combo.currentData(),
            compile=self.compile_check.isChecked(),
            steps=steps or None,
            minutes=None if steps else float(self.minutes_spin.value()),
            # A few reports a second: lively curves, cheap signals.
            overrides={"schedule.tick_seconds": 0.25, "schedule.sample_seconds": 5.0},
        )
        data = dataclasses.replace(self.data.decided_choice())
        return compose_run(data, self.preset_combo.currentData(), self._n_images() or 1000, edits)

    def load_settings(self, raw: dict) -> None:
        """Restore the last session's choices (from QSettings, via the main window)."""
        index = self.preset_combo.findData(raw.get("preset"))  # "auto" (or nothing): chosen for the set
        if index >= 0:
            self.preset_combo.setCurrentIndex(index)
            self._preset_explicit = True  # even when it was already shown: the artist picked it
        if isinstance(raw.get("minutes"), int):
            self.minutes_spin.setValue(raw["minutes"])
        if isinstance(raw.get("seed"), int):
            self.seed_spin.setValue(raw["seed"])
        if isinstance(raw.get("threads"), int):
            self.threads_spin.setValue(raw["threads"])  # clamped to this machine's cores

    def save_settings(self) -> dict:
        return {
            # Only a preset the artist picked comes back: an automatic one follows the next data set.
            "preset": self.preset_combo.currentData() if self._preset_explicit else "auto",
            "minutes": self.minutes_spin.value(),
            "seed": self.seed_spin.value(),
            "threads": self.threads_spin.value(),
        }

    def training_threads(self) -> int:
        """CPU threads for the next training: the user's number, or 0 for automatic (see threads.py).

        Not part of the run's settings: a run resumed on a server uses that machine's cores.
        """
        return self.threads_spin.value()

    # ------------------------------------------------------------------ actions
    def start_from(self) -> str | None:
        """The run folder or checkpoint a new run starts from; None for a new model."""
        value = self.start_from_combo.currentData()
        return value if value and value != CHOOSE_RUN else None

    def use_start_from(self, path: str) -> None:
        """Start new runs from this run folder or checkpoint (the combo lists it by name)."""
        name = Path(path).name or path
        index = self.start_from_combo.findData(path)
        if index < 0:
            index = self.start_from_combo.count() - 1  # before "A run of mine…"
            self.start_from_combo.insertItem(index, f"Run “{name}”", path)
            self.start_from_combo.setItemData(index, path, Qt.ToolTipRole)
        self.start_from_combo.setCurrentIndex(index)

    def _on_start_from(self, index: int) -> None:
        if self.start_from_combo.itemData(index) != CHOOSE_RUN:
            return
        folder = QFileDialog.getExistingDirectory(self, "Start from which run?", str(default_runs_dir()))
        if folder:
            self.use_start_from(folder)
        else:
            self.start_from_combo.setCurrentIndex(0)

    def _on_start(self) -> None:
        self.startRequested.emit(self.build_config())

    # What the menus and shortcuts ask of this page: the same as its buttons, when they are enabled.
    def request_start(self) -> None:
        if self.start_button.isEnabled():
            self._on_start()

    def request_pause_or_resume(self) -> None:
        if self.pause_button.isEnabled():
            self._on_pause()

    def request_stop(self) -> None:
        if self.stop_button.isEnabled():
            self.stopRequested.emit()

    def more_minutes(self) -> float:
        """How long Start trains a resumed run for (0: until stopped)."""
        return float(self.minutes_spin.value())

    def shown_sample(self):
        """(step, uint8 image) of the sample grid on show; (0, None) when there is none."""
        return self.samples.current_step() or 0, self.samples.current_image()

    def _on_pause(self) -> None:
        if self.training.state == Phase.PAUSED:
            self.resumeRequested.emit()
        else:
            self.pauseRequested.emit()

    # ------------------------------------------------------------------ observing state
    def _on_images(self) -> None:
        images = self.data.images
        if images is None:
            text = self.data.error or "No images chosen yet: pick a data set on the Data page."
        else:
            res = images.images.shape[1]
            text = f"{images.count:,} images at {res}×{res} from {self.data.choice.source}"
        self.data_summary.setText(text)
        if not self.training.busy:
            self._choose_default_preset()
        self._update_buttons()

    def _on_state(self, state: str) -> None:
        self._update_buttons()
        if state == Phase.PAUSED:
            self.progress.setFormat(f"Paused at step {self._last_step():,}")
        elif state in (Phase.FINISHED, Phase.STOPPED):
            self.progress.setFormat(f"{state.capitalize()} at step {self._last_step():,}")
        elif state == Phase.STARTING:
            self.progress.setFormat("Starting…")
            if self.training.run_dir is not None:
                # Live grids are also saved there: the timeline keeps paths, not pixels.
                self.samples.set_samples_folder(RunFolder(self.training.run_dir).samples_dir)
            self.monitor.reset()
            self._clear_warnings()
        elif state == Phase.FAILED:
            self.progress.setFormat("Stopped by an error")

    def _last_step(self) -> int:
        report = self.training.last_report
        return report.step if report is not None else 0

    def _update_buttons(self) -> None:
        state = self.training.state
        busy = self.training.busy
        # Images read for the choice on show: right after a change (an opened run's data) the
        # previous images are still here until the new scan starts, and must not be trained on.
        has_data = self.data.ready
        self.start_button.setEnabled(not busy and has_data)
        self.start_button.setText("Start")
        self.pause_button.setEnabled(state in (Phase.RUNNING, Phase.PAUSED))
        self.pause_button.setText("Resume" if state == Phase.PAUSED else "Pause")
        self.stop_button.setEnabled(state in (Phase.STARTING, Phase.RUNNING, Phase.PAUSED))
        for widget in (self.preset_combo, self.advanced, self.minutes_spin):
            widget.setEnabled(not busy)

    def _on_report(self, report) -> None:
        if any(event.kind is EventKind.ROLLED_BACK for event in report.events):
            self.plots.truncate_after(report.step)
            self.samples.truncate_after(report.step)
        # This report's steps start at first_step: any grid shown from that step on belongs to
        # steps that are being trained again (a resumed run whose folder went on past its last
        # checkpoint; the trainer deleted those files), so it leaves the timeline.
        self.samples.truncate_after(int(report.first_step) - 1)
        self.plots.append_report(report)
        if report.sample_grid is not None:
            self.samples.add_grid(report.sample_step, report.sample_grid)
        # Without a step or time limit there is no fraction to show: the text carries the step.
        self.progress.setValue(int(report.progress * 1000) if report.progress is not None else 0)
        if report.state == RunState.RUNNING:
            self.progress.setFormat(f"Step {report.step:,}  ·  ETA {format_duration(report.eta)}")
        self.speed_label.setText(
            f"{report.images_per_second:,.0f} images/s  ·  {report.steps_per_second:,.1f} steps/s  ·  "
            f"trained {format_duration(report.elapsed)}"
        )
        for warning in self.monitor.update(report):
            self._show_warning(warning)
        self._drop_cleared_warnings()

    def _on_run_opened(self, history) -> None:
        self.plots.clear()
        self.samples.clear()
        self.monitor.reset()
        self._clear_warnings()
        if history is None:
            self.progress.setValue(0)
            self.progress.setFormat("Ready")
            return
        s = history.series
        self.plots.load_history(
            history.steps, s["d_loss"], s["g_loss"], s["d_real"], s["d_fake"], history.quality_steps, history.quality,
            history.copies,
        )
        self.samples.load_run_samples(history.samples)
        self.progress.setValue(0)
        self.progress.setFormat(f"Opened run at step {history.last_step:,}")
        names = [c.removesuffix(".pt") for c in history.checkpoints]
        self.speed_label.setText(
            f"trained {format_duration(history.elapsed)}  ·  {history.root.name}\n"
            f"checkpoints: {', '.join(names) if names else 'none yet'}"
            + ("" if history.can_resume else "  (nothing to resume from)")
        )

    def _show_warning(self, warning: HealthWarning) -> None:
        card = WarningCard(warning)
        card.actionRequested.connect(lambda _action: self.revertRequested.emit())
        self.warnings_box.addWidget(card)

    def show_message(self, level: str, text: str) -> None:
        """An error or warning from the window (e.g. training could not start), shown in the panel."""
        title = "Training could not continue" if level == "error" else "Note"
        self._show_warning(HealthWarning(level, title, text, self._last_step()))

    def _drop_cleared_warnings(self) -> None:
        """A warning whose condition has ended (D no longer wins, variety or quality is back)
        leaves the panel: its advice no longer holds, and if it comes back it is shown afresh."""
        for i in reversed(range(self.warnings_box.count())):
            widget = self.warnings_box.itemAt(i).widget()
            if (
                isinstance(widget, WarningCard)
                and widget.warning.kind in HealthMonitor.CLEARABLE
                and self.monitor.active.get(widget.warning.kind) is not widget.warning
            ):
                self.warnings_box.takeAt(i)
                widget.hide()
                widget.deleteLater()

    def _clear_warnings(self) -> None:
        while self.warnings_box.count():
            item = self.warnings_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def warning_titles(self) -> list[str]:
        """What the warnings panel shows now (tests and accessibility)."""
        titles = []
        for i in range(self.warnings_box.count()):
            widget = self.warnings_box.itemAt(i).widget()
            if isinstance(widget, WarningCard):
                titles.append(widget.warning.title)
        return titles
