"""The main window: pages in a Data → Train → Explore → Gallery flow, menus, status bar.

It is the only place that connects threads to widgets: pages ask through signals, state
objects carry what changed, and the threads do the work.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from ganstudio import __version__
from ganstudio.bundled import bundled_model_path
from ganstudio.runs.folder import default_runs_dir
from ganstudio.config import DataConfig, RunConfig
from ganstudio.gui.pages.data import DataPage
from ganstudio.gui.pages.explore import ExplorePage
from ganstudio.gui.pages.gallery import GalleryPage
from ganstudio.gui.controllers.scan import ScanController
from ganstudio.gui.controllers.explore import ExploreController
from ganstudio.gui.state import DataState, ExploreState, TrainingState
from ganstudio.gui.pages.train import TrainPage
from ganstudio.gui.workers.training import TrainingThread
from ganstudio.gui.workers.probes import DeviceProbe, GeneratorLoader, RunReader

log = logging.getLogger(__name__)

MAX_RECENT = 8
STATE_WORDS = {
    "idle": "Ready",
    "starting": "Starting…",
    "running": "Training",
    "paused": "Paused",
    "stopping": "Stopping and saving…",
    "finished": "Finished",
    "stopped": "Stopped",
    "failed": "Stopped by an error",
    "viewing": "Viewing a run",
}


def _run_name(source: str) -> str:
    base = source.split(":")[1] if source.startswith("demo:") else Path(source).stem or "run"
    base = re.sub(r"[^\w\-]+", "-", base).strip("-")[:40] or "run"
    return f"{base}-{time.strftime('%Y%m%d-%H%M%S')}"


def _new_run_dir(source: str) -> Path:
    """A folder for a new run, named after its data and the time: never one that exists.

    Names go to the second, and a new run clears what its folder held: a second run
    started in the same second (Start, Stop, New run, Start) would have wiped the first.
    """
    runs = default_runs_dir()
    name = _run_name(source)
    folder, n = runs / name, 2
    while folder.exists():
        folder, n = runs / f"{name}-{n}", n + 1
    return folder


class MainWindow(QMainWindow):
    trainingFinished = Signal()  # a training thread ended (tests and shutdown wait on it)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName("GAN Studio")
        self.setWindowTitle("GAN Studio")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings()
        self.data_state = DataState(self)
        self.training = TrainingState(self)
        self.thread: TrainingThread | None = None
        self.readers: list[RunReader] = []
        # The newest File → Open run: readers end in any order, and only this one's result lands.
        self._reader: RunReader | None = None
        self.history = None  # RunHistory of the opened run, if any
        self.latest_generator = None  # CPU copy of the EMA generator from the last sample tick
        self._close_when_stopped = False
        self._alert_text = ""  # the last warning or error shown in the status bar
        self._after_stop: str | None = None

        self.data_page = DataPage(self.data_state)
        self.scanner = ScanController(self.data_state, self)
        self.data_page.cancelRequested.connect(self.scanner.cancel)
        self.data_page.rescanRequested.connect(self.scanner.rescan)
        self.data_page.sourceChosen.connect(self._remember_source)
        self.train_page = TrainPage(self.training, self.data_state)
        self.train_page.startRequested.connect(self.start_training)
        self.train_page.pauseRequested.connect(self.pause_training)
        self.train_page.resumeRequested.connect(self.resume_training)
        self.train_page.stopRequested.connect(self.stop_training)
        self.train_page.revertRequested.connect(self.revert_to_best)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("pageTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.data_page, "1  Data")
        self.tabs.addTab(self.train_page, "2  Train")
        self.explore_state = ExploreState(self)
        self.explore_controller = ExploreController(self.explore_state, self)
        self.explore_page = ExplorePage(self.explore_state)
        self.explore_page.openBundledRequested.connect(self.open_bundled_model)
        self.explore_page.modelNeeded.connect(self._on_model_needed)
        self.explore_page.messagePosted.connect(self._on_explorer_message)
        self.explore_page.directionNamesChanged.connect(self._save_direction_names)
        self.gallery_page = GalleryPage()
        self.gallery_page.openRequested.connect(self.open_artwork)
        self.explore_page.artworkSaved.connect(lambda _path: self.gallery_page.refresh())
        self.tabs.addTab(self.explore_page, "3  Explore")
        self.tabs.addTab(self.gallery_page, "4  Gallery")
        self.loaders: list[GeneratorLoader] = []
        self._loader: GeneratorLoader | None = None  # the newest model asked for: only its result lands
        self._shut_down = False  # shutdown() ran: late results start nothing new
        self._generator_run: Path | None = None  # the run whose direction names the explorer shows
        self._current_fingerprint: str | None = None
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self._build_menus()
        self._build_status_bar()
        self.training.stateChanged.connect(self._on_state)
        self.training.messagePosted.connect(self._on_message)
        self.data_state.imagesChanged.connect(self._on_images)
        self._restore_settings()

        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._on_device)
        QTimer.singleShot(0, self.probe.start)

    # ------------------------------------------------------------------ construction
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(file_menu, "&New run", QKeySequence.New, self.new_run)
        self.open_action = self._action(file_menu, "&Open run…", QKeySequence.Open, self.choose_run)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")
        file_menu.addSeparator()
        self.save_action = self._action(file_menu, "&Save artwork…", QKeySequence.Save, self.save_artwork)
        self.save_action.setToolTip("Save the sample grid on show as a PNG")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.Quit, self.close)

        train_menu = self.menuBar().addMenu("&Training")
        self.start_action = self._action(train_menu, "&Start", QKeySequence("Ctrl+Return"), self.train_page.start_button.click)
        self.pause_action = self._action(train_menu, "&Pause / resume", QKeySequence("Ctrl+P"), self.train_page.pause_button.click)
        self.stop_action = self._action(train_menu, "S&top", QKeySequence("Ctrl+."), self.train_page.stop_button.click)

        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("Data", "Train", "Explore", "Gallery")):
            self._action(view_menu, name, QKeySequence(f"Ctrl+{index + 1}"), lambda i=index: self.tabs.setCurrentIndex(i))
        self._action(view_menu, "Reset plot view", QKeySequence("Ctrl+0"), self.train_page.plots.reset_view)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GAN Studio", None, self.show_about)

    def _action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel(STATE_WORDS["idle"])
        self.state_label.setObjectName("stateLabel")
        self.device_label = QLabel("Finding the best device…")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setAccessibleName("Device in use")
        bar.addPermanentWidget(self.state_label)
        bar.addPermanentWidget(QLabel("  ·  "))
        bar.addPermanentWidget(self.device_label)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        # Settings may come from another version or be edited by hand: each value is checked
        # on its own, a bad one falls back to its default (and says so), and nothing raises.
        geometry = self.settings.value("window/geometry")
        restored = False
        if isinstance(geometry, (QByteArray, bytes, bytearray)):
            restored = self.restoreGeometry(geometry)  # Qt brings it back onto an attached screen
        if not restored:
            self.resize(1360, 860)
        choice, reset = self._restored_data_choice()
        if reset:
            self.training.post(
                "warning",
                "Some saved data settings could not be used and are back to their defaults: "
                + ", ".join(reset) + ".",
            )
        self.data_page.set_recent(self._recent("recent/sources"))
        self.data_state.set_choice(choice)
        if not self.scanner.is_pending():  # the choice equals the default: nothing triggered a scan
            self.scanner.rescan()
        self.train_page.load_settings(
            {
                "preset": self.settings.value("train/preset"),
                "minutes": _int_or_none(self.settings.value("train/minutes")),
                "seed": _int_or_none(self.settings.value("train/seed")),
                "threads": _int_or_none(self.settings.value("train/threads")),
            }
        )
        self._refresh_recent_runs()

    def _restored_data_choice(self) -> tuple[DataConfig, list[str]]:
        """The data choice of the last session, and the names of the values that were unusable."""
        default = DataConfig()  # first launch: a demo set, so Start works
        reset: list[str] = []
        source = self.settings.value("data/source", default.source)
        if not isinstance(source, str) or not source.strip():
            source = default.source
            reset.append("data set")
        choice = DataConfig(source=source)

        def text(key, fallback):
            value = self.settings.value(key, fallback)
            return value.strip().lower() if isinstance(value, str) else value

        values = {
            "resolution": _int_or_none(self.settings.value("data/resolution", default.resolution)),
            "fit": text("data/fit", default.fit),
            "color": text("data/color", default.color),
            "mirror": text("data/mirror", _mirror_from_old_flip(text("data/flip", None), default.mirror)),
        }
        for name, value in values.items():
            if value is None:
                reset.append(name)
                continue
            trial = replace(choice, **{name: value})
            try:
                RunConfig(data=trial).validate()
            except (ValueError, TypeError):
                reset.append(name)
                continue
            choice = trial
        return choice, reset

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        choice = self.data_state.choice
        self.settings.setValue("data/source", choice.source)
        self.settings.setValue("data/resolution", choice.resolution)
        self.settings.setValue("data/fit", choice.fit)
        self.settings.setValue("data/color", choice.color)
        self.settings.setValue("data/mirror", choice.mirror)
        for key, value in self.train_page.save_settings().items():
            self.settings.setValue(f"train/{key}", value)
        self.settings.sync()

    def _string_list(self, key: str) -> list[str]:
        value = self.settings.value(key, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _recent(self, key: str) -> list[str]:
        return self._string_list(key)[:MAX_RECENT]

    def _push_recent(self, key: str, item: str) -> None:
        items = [item] + [v for v in self._recent(key) if v != item]
        self.settings.setValue(key, items[:MAX_RECENT])

    def _remember_source(self, source: str) -> None:
        self._push_recent("recent/sources", source)
        self.data_page.set_recent(self._recent("recent/sources"))

    def _refresh_recent_runs(self) -> None:
        self.recent_menu.clear()
        runs = self._recent("recent/runs")
        for path in runs:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_run(p))
        self.recent_menu.setEnabled(bool(runs))

    # ------------------------------------------------------------------ device
    def _on_device(self, device_type: str, description: str) -> None:
        from ganstudio.threads import leave_the_cores_to_training

        try:
            leave_the_cores_to_training()  # this (GUI) thread's torch work, on one thread
        except Exception as exc:  # torch missing or broken: the probe has said so already
            log.warning("could not set the window's torch threads: %s", exc)
        self.device_label.setText(description)
        self.training.device_name = description
        self.train_page.set_device_type(device_type)

    # ------------------------------------------------------------------ training
    def start_training(self, config: RunConfig) -> None:
        """Start a new run, or resume the opened one when its data matches."""
        if self.training.busy:
            return
        if self.thread is not None and (self._after_stop is not None or self._close_when_stopped):
            # The stopped run's thread is ending and still has to go back to its best checkpoint
            # or close the window: a new run now would take that over (its Stop would revert it).
            return
        images = self.data_state.images
        if images is None:
            self.training.post("warning", "Choose a data set first: its images are not ready yet.")
            return
        resume = False
        run_dir: Path
        # "failed" too: a resume that could not start (its folder busy with a terminal's run,
        # say) is tried again, rather than leaving the opened run for a new one.
        if self.history is not None and self.history.can_resume and self.training.state in ("viewing", "stopped", "finished", "failed"):
            saved = self.history.config
            if (saved.data.resolution, saved.data.color) != (images.images.shape[1], "gray" if images.images.shape[3] == 1 else "rgb"):
                self.training.post("warning", "The images on the Data page don't match this run's size or colour; choose the run's data set.")
                return
            config = saved
            more = float(self.train_page.minutes_spin.value())  # "train for N more minutes"; 0 = until stopped
            config.train.minutes = more + self.history.elapsed / 60.0 if more else 0.0
            config.train.steps = 0
            run_dir = self.history.root
            resume = True
        else:
            run_dir = _new_run_dir(config.data.source)
        self.latest_generator = None
        self._reader = None  # a run still being opened is no longer wanted
        if not resume:
            self.history = None
            self.training.open_run(None)
        self.training.run_dir = run_dir
        self.training.config = config
        self.training.set_state("starting")
        thread = TrainingThread(
            config, images.images, run_dir, resume=resume, threads=self.train_page.training_threads(), parent=self,
            start_from=None if resume else self.train_page.start_from(),
        )
        thread.started_training.connect(self._on_started)
        thread.report.connect(self._on_report)
        thread.failed.connect(self._on_failed)
        # Bound to this thread: the previous run's `finished` can still be queued when a quick
        # Stop-then-Start has already made a new thread, and must not take that one away.
        thread.finished.connect(lambda: self._on_thread_finished(thread))
        self.thread = thread
        thread.start()
        self.explore_page.set_run_dir(run_dir)
        self.explore_page.set_run_name(run_dir.name)
        self._generator_run = run_dir
        self._update_gallery_folders(run_dir)
        self.tabs.setCurrentWidget(self.train_page)

    def pause_training(self) -> None:
        if self.thread is not None and self.training.state == "running":
            self.thread.request_pause()

    def resume_training(self) -> None:
        if self.thread is not None and self.training.state == "paused":
            self.thread.request_resume()
            self.training.set_state("running")

    def stop_training(self) -> None:
        if self.thread is not None and self.training.busy:
            self.thread.request_stop()
            self.training.set_state("stopping")

    def _on_started(self, device: str, precision, config) -> None:
        self.training.config = config
        # "CPU (2 threads) · bf16"; the tooltip says why when the format is not the one asked for.
        self.device_label.setText(f"{device}  ·  {precision.name}")
        self.device_label.setToolTip(f"Training in {precision.describe()}")
        if self.training.state == "starting":
            self.training.set_state("running")
        self._push_recent("recent/runs", str(self.training.run_dir))
        self._refresh_recent_runs()

    def _on_report(self, report) -> None:
        self.training.add_report(report)
        if report.ema_generator is not None:
            self.latest_generator = report.ema_generator
            # A fresh CPU copy per sample tick: the explorer never sees the weights being trained.
            self.explore_page.offer_live_generator(report.ema_generator, report.step)
        state = {"diverged": "failed"}.get(report.state, report.state)
        if self.training.state == "stopping" and state in ("running", "paused"):
            return  # a tick that was already on its way
        self.training.set_state(state)

    def _on_failed(self, message: str) -> None:
        self.training.post("error", message)
        self.training.set_state("failed")

    def _on_thread_finished(self, thread: TrainingThread) -> None:
        thread.deleteLater()
        if thread is not self.thread:
            return  # an earlier run's thread, ending after the next run started: that run carries on
        self.thread = None
        if self.training.busy:  # ended without a final report (e.g. failed to start)
            self.training.set_state("failed" if self.training.state == "starting" else "stopped")
        self.trainingFinished.emit()
        if self._after_stop == "revert":
            self._after_stop = None
            self.revert_to_best()
        if self._close_when_stopped:
            self.close()

    def revert_to_best(self) -> None:
        """Go back to the best checkpoint: latest.pt becomes a copy of best.pt, then resume."""
        run_dir = self.training.run_dir
        if run_dir is None:
            return
        if self.training.busy:
            self._after_stop = "revert"
            self.stop_training()
            return
        checkpoints = Path(run_dir) / "checkpoints"
        best, latest = checkpoints / "best.pt", checkpoints / "latest.pt"
        if not best.is_file():
            self.training.post("warning", "This run has no best checkpoint yet.")
            return
        try:
            if latest.is_file():
                shutil.copy2(latest, checkpoints / "latest-before-going-back.pt")
            tmp = checkpoints / ".latest.pt.revert"
            shutil.copy2(best, tmp)
            os.replace(tmp, latest)
        except OSError as exc:
            self.training.post("error", f"Could not go back to the best checkpoint: {exc.strerror or exc}.")
            return
        self.training.post("info", "Went back to the best checkpoint; press Start to continue from there.")
        self.open_run(run_dir)

    # ------------------------------------------------------------------ runs
    def new_run(self) -> None:
        if self.training.busy:
            self.training.post("warning", "Stop the current training before starting a new run.")
            return
        self._reader = None  # a run still being opened is no longer wanted
        self.history = None
        self.training.open_run(None)
        self.training.set_state("idle")
        self.tabs.setCurrentWidget(self.data_page)

    def choose_run(self) -> None:
        start = str(default_runs_dir()) if default_runs_dir().is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder", start)
        if folder:
            self.open_run(folder)

    def open_run(self, folder: str | Path) -> None:
        """Show an existing run's curves and samples (read off the GUI thread)."""
        if self.training.busy:
            self.training.post("warning", "Stop the current training before opening another run.")
            return
        if self._shut_down:
            return
        reader = RunReader(folder, self)
        # Each result is bound to its reader: an earlier, slower read must not replace this one.
        reader.loaded.connect(lambda history, r=reader: self._on_run_loaded(history, r))
        reader.failed.connect(lambda message, r=reader: self._on_run_failed(message, r))
        reader.finished.connect(lambda r=reader: self._forget_worker(self.readers, r))
        self.readers.append(reader)
        self._reader = reader
        reader.start()

    def _on_run_failed(self, message: str, reader: RunReader) -> None:
        if reader is self._reader:  # a superseded read has nothing left to say
            self._reader = None
            self.training.post("error", message)

    def _on_run_loaded(self, history, reader: RunReader) -> None:
        if reader is not self._reader:
            return  # superseded: another run was opened since, a new run began, or the window closed
        self._reader = None
        if self.training.busy:
            return
        self.history = history
        self.training.run_dir = history.root
        self.training.open_run(history)
        self.training.set_state("viewing")
        self._push_recent("recent/runs", str(history.root))
        self._refresh_recent_runs()
        # Point the Data page at the run's own images so Start can resume it.
        choice = replace(history.config.data)
        self.data_state.set_choice(choice)
        self.tabs.setCurrentWidget(self.train_page)
        self.statusBar().showMessage(f"Opened {history.root} at step {history.last_step:,}", 8000)
        self._update_gallery_folders(history.root)
        if history.checkpoints:
            self.load_generator(history.root, prefer="latest")

    # ------------------------------------------------------------------ artwork
    def save_artwork(self) -> None:
        if self.tabs.currentWidget() is self.explore_page and self.explore_page.current_image() is not None:
            self.explore_page.choose_artwork_path()
            return
        image = self.train_page.samples.current_image()
        if image is None:
            self.training.post("warning", "There is no sample to save yet.")
            return
        from ganstudio.export import save_png

        folder = (self.training.run_dir / "artwork") if self.training.run_dir else default_runs_dir()
        folder.mkdir(parents=True, exist_ok=True)
        step = self.train_page.samples.current_step() or 0
        suggested = str(folder / f"samples-step-{step:09d}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save artwork", suggested, "PNG images (*.png)")
        if not path:
            return
        try:
            save_png(path, image, recipe={"app": "GAN Studio", "app_version": __version__, "kind": "sample grid", "step": step})
        except (OSError, ValueError) as exc:
            self.training.post("error", f"Could not save '{path}': {exc}")
            return
        self.statusBar().showMessage(f"Saved {path}", 8000)

    # ------------------------------------------------------------------ feedback
    def _on_state(self, state: str) -> None:
        self.state_label.setText(STATE_WORDS.get(state, state))
        busy = self.training.busy
        self.new_action.setEnabled(not busy)
        self.open_action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy and bool(self._recent("recent/runs")))

    def _on_images(self) -> None:
        # A routine note must not wipe out a warning the user has not had time to read
        # (a scan that ends just after "not a GAN Studio run" would).
        showing = self.statusBar().currentMessage()
        if self.data_state.images is not None and not (showing and showing == self._alert_text):
            self.statusBar().showMessage(f"{self.data_state.images.count:,} images ready", 5000)

    def _on_message(self, level: str, text: str) -> None:
        # Never a modal box for a message: it would block a window that is training.
        self.statusBar().showMessage(text, 15000)
        if level in ("error", "warning"):
            self._alert_text = text
            self.train_page.show_message(level, text)

    def show_about(self) -> None:
        import PySide6

        try:
            import torch

            torch_version = torch.__version__
        except Exception:  # pragma: no cover - torch is a dependency
            torch_version = "not available"
        QMessageBox.about(
            self,
            "About GAN Studio",
            f"<h3>GAN Studio {__version__}</h3>"
            "<p>Train a GAN on your own images, watch it learn, explore what it learned.</p>"
            f"<p>PyTorch {torch_version}<br>Qt {PySide6.QtCore.qVersion()} (PySide6 {PySide6.__version__})<br>"
            f"Device: {self.device_label.text()}</p>",
        )

    # ------------------------------------------------------------------ explorer models
    def load_generator(self, target: str | Path, prefer: str = "best") -> None:
        """Load a run's or checkpoint's EMA generator for the explorer, off the GUI thread."""
        if self._shut_down:
            return
        loader = GeneratorLoader(target, prefer, self)
        # Loads end in any order: only the model asked for last may reach the explorer.
        loader.loaded.connect(lambda loaded, w=loader: self._on_generator_loaded(loaded, w))
        loader.failed.connect(lambda message, w=loader: self._on_load_failed(message, w))
        loader.finished.connect(lambda w=loader: self._forget_worker(self.loaders, w))
        self.loaders.append(loader)
        self._loader = loader
        loader.start()

    def _on_load_failed(self, message: str, loader: GeneratorLoader) -> None:
        if loader is self._loader:
            self._loader = None
            self.training.post("warning", message)

    def _on_generator_loaded(self, loaded, loader: GeneratorLoader) -> None:
        if loader is not self._loader:
            return  # superseded by a later request (or the window closed)
        self._loader = None
        bundled = bundled_model_path()
        is_bundled = bundled is not None and loaded.path.resolve() == bundled.resolve()
        run_dir = loaded.path.parent.parent if loaded.path.parent.name == "checkpoints" else None
        if self.training.busy and run_dir == self.training.run_dir:
            return  # the live run feeds the explorer itself
        self.explore_page.set_generator(
            loaded.generator,
            fingerprint=loaded.fingerprint,
            run="bundled" if is_bundled else (run_dir.name if run_dir else loaded.path.stem),
            checkpoint=str(loaded.path),
            step=loaded.step,
            live=False,
            why=loaded.why,
        )
        self._generator_run = run_dir
        self._current_fingerprint = loaded.fingerprint
        if run_dir is not None:
            self.explore_page.set_run_dir(run_dir)
            names = _read_direction_names(run_dir, loaded.fingerprint)
        else:
            names = self._string_list(f"directions/{loaded.fingerprint}")
        if names:
            self.explore_page.set_direction_names(names)

    def _on_tab_changed(self, _index: int) -> None:
        # A new user who opens Explore before training anything gets the bundled model at once.
        if self.tabs.currentWidget() is self.explore_page and self.explore_page.current_image() is None and not self.loaders:
            if not self.training.busy and self.training.run_dir is None:
                self.open_bundled_model()

    def open_bundled_model(self) -> None:
        path = bundled_model_path()
        if path is None:
            self.training.post("warning", "The bundled demo model is missing from this installation.")
            return
        self.load_generator(path)
        self.tabs.setCurrentWidget(self.explore_page)

    def _on_model_needed(self, checkpoint: str) -> None:
        """A reopened piece came from another model: load it if we can, else ask."""
        if checkpoint and Path(checkpoint).is_file():
            self.load_generator(checkpoint)
            return
        self.training.post(
            "warning",
            "This piece was made with a model that is not loaded"
            + (f" and '{checkpoint}' no longer exists" if checkpoint else "")
            + ". Open its run (File → Open run…) to re-make it exactly.",
        )

    def open_artwork(self, path: str) -> None:
        from ganstudio.export import read_recipe
        from ganstudio.explore.recipe import parse_recipe

        try:
            recipe = parse_recipe(read_recipe(path))
        except OSError as exc:
            recipe = None
            self.training.post("warning", f"Could not read '{path}': {exc.strerror or exc}.")
            return
        if recipe is None:
            self.training.post("warning", f"'{Path(path).name}' has no GAN Studio recipe: it opens as a plain image only.")
            return
        self.tabs.setCurrentWidget(self.explore_page)
        self.explore_page.open_recipe(recipe)

    def _on_explorer_message(self, level: str, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        if level in ("error", "warning"):
            self.training.post(level, text)

    def _save_direction_names(self, names: list) -> None:
        run_dir = self._generator_run
        fingerprint = self._current_fingerprint
        if run_dir is None:  # a model file without a run folder (e.g. the bundled one): keep them in the settings
            if fingerprint:
                self.settings.setValue(f"directions/{fingerprint}", [str(n) for n in names])
            return
        try:  # a live generator changes every tick: its names go under "latest" only
            _write_direction_names(run_dir, fingerprint or "latest", [str(n) for n in names])
        except OSError as exc:
            self.statusBar().showMessage(f"Could not save the direction names: {exc.strerror or exc}", 8000)

    def _update_gallery_folders(self, run_dir: Path | None) -> None:
        folders = []
        if run_dir is not None:
            folders.append(Path(run_dir) / "artwork")
        for recent in self._recent("recent/runs"):
            folder = Path(recent) / "artwork"
            if folder not in folders:
                folders.append(folder)
        self.gallery_page.set_folders(folders)

    def _forget_worker(self, workers: list, worker) -> None:
        if worker in workers:
            workers.remove(worker)
        worker.deleteLater()

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            return
        self.open_path(urls[0])
        event.acceptProposedAction()

    def open_path(self, target: str | Path) -> None:
        """What a dropped (or command-line) path does: a run folder opens, a saved piece reopens
        in the explorer, a folder or zip of images becomes the data set."""
        path = Path(target)
        if path.is_dir() and (path / "config.json").is_file() and (path / "stats.jsonl").exists():
            self.open_run(path)  # a run folder: open it
        elif path.suffix.lower() == ".png" and path.is_file():
            # A saved piece reopens; any other PNG says it has no recipe. A single picture is
            # never a data set, so the one chosen stays (and Start still works).
            self.open_artwork(str(path))
        elif not path.exists():
            self.training.post("warning", f"Nothing to open at '{path}': it has been moved or deleted.")
        else:
            self.data_page.use_source(str(path))
            self.tabs.setCurrentWidget(self.data_page)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.training.busy and not self._close_when_stopped:
            answer = QMessageBox.question(
                self,
                "Training is running",
                "Stop training and quit? A checkpoint is saved first, so you can resume later.",
                QMessageBox.Yes | QMessageBox.No,
                QMessageBox.Yes,
            )
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            self._close_when_stopped = True
            self.stop_training()
            event.ignore()  # closes for real when the thread has saved and finished
            return
        if self.thread is not None:  # stopping already: wait until the checkpoint is written
            event.ignore()
            self._close_when_stopped = True
            return
        self.shutdown()
        event.accept()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop every thread (saving a checkpoint first) and wait for them; used on exit and by tests."""
        # Results still queued from the threads waited for below land after this: they must
        # not start new threads (one running at exit aborts the app) nor change the window.
        self._shut_down = True
        self._reader = self._loader = None
        self.save_settings()
        if self.thread is not None:
            self.thread.request_stop()
            self.thread.wait(timeout_ms)
        self.scanner.shutdown(timeout_ms)
        self.explore_page.shutdown()
        self.explore_controller.shutdown(timeout_ms)
        for worker in list(self.readers) + list(self.loaders):
            worker.wait(timeout_ms)
        if self.probe.isRunning():
            self.probe.wait(timeout_ms)


def _mirror_from_old_flip(flip, default: str) -> str:
    """Settings saved before mirroring had an automatic choice kept a checkbox: honour an 'off'."""
    return "off" if flip in ("false", False) else default


def _int_or_none(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


DIRECTION_NAMES_FILE = "direction-names.json"


def _read_direction_names(run_dir: Path, fingerprint: str) -> list[str]:
    """Names the user gave the explorer's directions, kept per generator in the run folder."""
    import json

    try:
        data = json.loads((Path(run_dir) / DIRECTION_NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = (data.get(fingerprint) or data.get("latest")) if isinstance(data, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []


def _write_direction_names(run_dir: Path, fingerprint: str, names: list[str]) -> None:
    import json

    from ganstudio.atomic import write_text_atomically

    path = Path(run_dir) / DIRECTION_NAMES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    # Names carry over to later checkpoints of the same run: keep the latest under every key.
    data[fingerprint] = names
    data["latest"] = names
    write_text_atomically(path, json.dumps(data, indent=1))
