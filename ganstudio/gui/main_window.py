"""The main window: pages in a Data → Train → Explore → Gallery flow, menus, status bar.

It is the only place that connects threads to widgets: pages ask through signals, state
objects carry what changed, and the threads do the work.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from ganstudio.bundled import bundled_model_path
from ganstudio.config import RunConfig, parse_policy
from ganstudio.explore.source import ModelSource
from ganstudio.gui.controllers.explore import ExploreController
from ganstudio.gui.controllers.loading import LoadingController
from ganstudio.gui.controllers.clinic import ClinicController
from ganstudio.gui.controllers.copies import CopyCheckController
from ganstudio.gui.workers.copies import set_key
from ganstudio.gui.widgets.nearest import NearestDialog, NearestRow
from ganstudio.gui.controllers.scan import ScanController
from ganstudio.gui.controllers.training import AfterStop, TrainingController
from ganstudio.gui.pages.data import DataPage
from ganstudio.gui.pages.explore import ExplorePage
from ganstudio.gui.pages.gallery import GalleryPage
from ganstudio.gui.pages.train import TrainPage
from ganstudio.gui.settings import AppSettings
from ganstudio.gui.window_chrome import WindowChrome
from ganstudio.gui.state import BUSY, ClinicState, DataState, ExploreState, GalleryState, Phase, TrainingState
from ganstudio.gui.workers.probes import DeviceProbe
from ganstudio.runs.folder import RunFolder, RunFolderError, default_runs_dir
from ganstudio.runs.resume import CannotStart, plan_start

log = logging.getLogger(__name__)



class MainWindow(WindowChrome, QMainWindow):
    """Four pages over four state objects; controllers do the work in threads.

    The window wires pages to state and controllers, and holds the menus and status bar.
    It decides nothing that needs no window: what Start does is runs/resume.py's, where a
    run lives is runs/folder.py's, what is remembered is settings.py's.
    """

    trainingFinished = Signal()  # a training thread ended (tests and shutdown wait on it)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName("GAN Studio")
        self.setWindowTitle("GAN Studio")
        self.setAcceptDrops(True)
        self.settings = AppSettings(settings or QSettings())
        self.data_state = DataState(self)
        self.clinic_state = ClinicState(self)
        self.training = TrainingState(self)
        self.explore_state = ExploreState(self)
        self.gallery_state = GalleryState(self)
        self.history = None  # RunHistory of the opened run, if any
        self._alert_text = ""  # the last warning or error shown in the status bar
        self._shut_down = False  # shutdown() ran: late results start nothing new
        self._opening_piece: str | None = None  # the piece being reopened while its model is looked for
        self._preloading_bundled = False  # the bundled model is on its way to the explorer at start
        self._generator_run: Path | None = None  # the run whose direction names the explorer shows

        # Controllers: the only code that starts threads.
        self.scanner = ScanController(self.data_state, self)
        self.clinic = ClinicController(self.data_state, self.clinic_state, self)
        self.training_controller = TrainingController(self.training, self)
        self.loading = LoadingController(self)
        self.explore_controller = ExploreController(self.explore_state, self)
        self.copies = CopyCheckController(self)
        self.nearest_dialog: NearestDialog | None = None
        self._explorer_data = None  # DataConfig of the model on show in the explorer (its training images)
        self._explorer_copies: tuple[float, int] | None = None  # its run's latest copy share, and at which step

        self.data_page = DataPage(self.data_state, clinic=self.clinic_state)
        self.train_page = TrainPage(self.training, self.data_state)
        self.explore_page = ExplorePage(self.explore_state)
        self.gallery_page = GalleryPage(self.gallery_state)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pageTabs")
        self.tabs.setDocumentMode(True)
        for page, name in ((self.data_page, "1  Data"), (self.train_page, "2  Train"),
                           (self.explore_page, "3  Explore"), (self.gallery_page, "4  Gallery")):
            self.tabs.addTab(page, name)
        self.setCentralWidget(self.tabs)
        self._connect()
        self._build_menus()
        self._build_status_bar()
        self._restore_settings()

        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._on_device)
        QTimer.singleShot(0, self.probe.start)

    # ------------------------------------------------------------------ construction
    def _connect(self) -> None:
        self.data_page.cancelRequested.connect(self.scanner.cancel)
        self.data_page.rescanRequested.connect(self.scanner.rescan)
        self.data_page.sourceChosen.connect(self._remember_source)
        self.data_page.clinic_panel.checkRequested.connect(self.clinic.check)
        self.data_page.clinic_panel.cancelRequested.connect(self.clinic.cancel)
        self.data_page.view_tabs.currentChanged.connect(self._show_augmentation)
        self.train_page.startRequested.connect(self.start_training)
        self.train_page.pauseRequested.connect(self.pause_training)
        self.train_page.resumeRequested.connect(self.resume_training)
        self.train_page.stopRequested.connect(self.stop_training)
        self.train_page.revertRequested.connect(self.revert_to_best)
        self.explore_page.openBundledRequested.connect(self.open_bundled_model)
        self.explore_page.modelNeeded.connect(self._on_model_needed)
        self.explore_page.messagePosted.connect(self._on_explorer_message)
        self.explore_page.directionNamesChanged.connect(self._save_direction_names)
        self.explore_page.artworkSaved.connect(self.gallery_state.piece_saved)
        self.gallery_page.openRequested.connect(self.open_artwork)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.training_controller.started.connect(self._on_started)
        self.training_controller.liveGenerator.connect(self.explore_state.offer_live)
        self.training_controller.ended.connect(self._on_training_ended)
        self.loading.runLoaded.connect(self._on_run_loaded)
        self.loading.runFailed.connect(lambda message: self.training.post("error", message))
        self.loading.generatorLoaded.connect(self._on_generator_loaded)
        self.loading.generatorFailed.connect(lambda message: self.training.post("warning", message))
        self.training.stateChanged.connect(self._on_state)
        self.training.messagePosted.connect(self._on_message)
        self.data_state.imagesChanged.connect(self._on_images)
        self.training.reportAdded.connect(self._show_augmentation)
        self.data_state.imagesChanged.connect(self._show_augmentation)  # the preset's augmentation follows the set's size
        self.tabs.currentChanged.connect(self._show_augmentation)  # back from the Train page's settings
        self.explore_page.nearestRequested.connect(self.show_nearest_to_picture)
        self.explore_page.copy_check = self._copy_note
        self.train_page.samples.nearestRequested.connect(self.show_nearest_to_samples)
        self.copies.found.connect(self._on_nearest)
        self.copies.failed.connect(lambda message: self.statusBar().showMessage(message, 15000))
        self.copies.failed.connect(self._on_nearest_failed)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):  # Qt brings it back onto an attached screen
            self.resize(1360, 860)
        choice, reset = self.settings.data_choice()
        if reset:
            self.training.post(
                "warning",
                "Some saved data settings could not be used and are back to their defaults: " + ", ".join(reset) + ".",
            )
        self.data_page.set_recent(self.settings.recent("recent/sources"))
        self.data_state.set_choice(choice)
        if not self.scanner.is_pending():  # the choice equals the default: nothing triggered a scan
            self.scanner.rescan()
        self.train_page.load_settings(self.settings.train_choices())
        self._refresh_recent_runs()

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_data_choice(self.data_state.choice)
        self.settings.set_train_choices(self.train_page.save_settings())
        self.settings.sync()

    def _remember_source(self, source: str) -> None:
        self.settings.push_recent("recent/sources", source)
        self.data_page.set_recent(self.settings.recent("recent/sources"))

    def _refresh_recent_runs(self) -> None:
        self.recent_menu.clear()
        runs = self.settings.recent("recent/runs")
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
        # torch is up: have the bundled model waiting in the explorer, so a new artist finds
        # something there at once (it never replaces a model or run that arrived first).
        if self._explorer_is_free() and not self.loading.loading_a_model():
            path = bundled_model_path()
            if path is not None:
                self._preloading_bundled = True
                self.load_generator(path)

    def _explorer_is_free(self) -> bool:
        """Nothing on show, on its way or training: room for the bundled model."""
        return (self.explore_page.current_image() is None and not self.training.busy
                and self.training.run_dir is None)

    # ------------------------------------------------------------------ training
    def start_training(self, config: RunConfig) -> None:
        """Start a new run, or resume the opened one when its data matches (runs/resume.py)."""
        if self.training.busy or self.training_controller.ending:
            # A stopped run's thread that still has to go back to its best checkpoint or close the
            # window: a new run now would take that over (its Stop would revert it).
            return
        images = self.data_state.images
        if images is not None and not self.data_state.ready:
            self.training.post("info", "The images of this data choice are still being read; Start once they are ready.")
            return
        try:
            plan = plan_start(config, history=self.history, images_shape=images.images.shape if images else None,
                              state=self.training.state, more_minutes=self.train_page.more_minutes())
        except CannotStart as exc:
            self.training.post("warning", str(exc))
            return
        self.loading.forget_run()  # a run still being opened is no longer wanted
        if not plan.resume:
            self.history = None
            self.training.open_run(None)
        self.training_controller.start(plan.config, images.images, plan.run_dir, resume=plan.resume,
                                       threads=self.train_page.training_threads(), start_from=self.train_page.start_from())
        self.explore_page.set_run_dir(plan.run_dir)
        self.explore_page.set_run_name(plan.run_dir.name)
        self._generator_run = plan.run_dir
        self._update_gallery_folders(plan.run_dir)
        self.tabs.setCurrentWidget(self.train_page)

    def pause_training(self) -> None:
        self.training_controller.pause()

    def resume_training(self) -> None:
        self.training_controller.resume()

    def stop_training(self) -> None:
        self.training_controller.stop()

    def _on_started(self) -> None:
        ctl = self.training_controller
        # "CPU (2 threads) · bf16"; the tooltip says why when the format is not the one asked for.
        self.device_label.setText(f"{ctl.device_text}  ·  {ctl.precision.name}")
        self.device_label.setToolTip(f"Training in {ctl.precision.describe()}")
        self.settings.push_recent("recent/runs", str(self.training.run_dir))
        self._refresh_recent_runs()

    def _on_training_ended(self, then: AfterStop) -> None:
        self.trainingFinished.emit()
        if then is AfterStop.REVERT:
            self.revert_to_best()
        elif then is AfterStop.CLOSE:
            self.close()

    def revert_to_best(self) -> None:
        """Go back to the best checkpoint: latest.pt becomes a copy of best.pt, then reopen the run."""
        run_dir = self.training.run_dir
        if run_dir is None:
            return
        if self.training.busy:
            self.training_controller.stop(then=AfterStop.REVERT)
            return
        try:
            RunFolder(Path(run_dir)).revert_to_best()
        except RunFolderError as exc:
            self.training.post("warning", str(exc))
            return
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
        self.loading.forget_run()  # a run still being opened is no longer wanted
        self.history = None
        self.training.open_run(None)
        self.training.set_state(Phase.IDLE)
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
        if not self._shut_down:
            self.loading.read_run(folder)

    def _on_run_loaded(self, history) -> None:
        if self.training.busy:
            return  # a new run began while this one was read
        self.history = history
        self.training.run_dir = history.root
        self.training.open_run(history)
        self.training.set_state(Phase.VIEWING)
        self.settings.push_recent("recent/runs", str(history.root))
        self._refresh_recent_runs()
        # Point the Data page at the run's own images so Start can resume it.
        self.data_state.set_choice(replace(history.config.data))
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
        step, image = self.train_page.shown_sample()
        if image is None:
            self.training.post("warning", "There is no sample to save yet.")
            return
        from ganstudio.explore.pieces import grid_recipe
        from ganstudio.export import save_png

        run = RunFolder(self.training.run_dir) if self.training.run_dir else None
        folder = run.artwork_dir if run is not None else default_runs_dir()
        folder.mkdir(parents=True, exist_ok=True)
        suggested = str(folder / f"samples-step-{step:09d}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save artwork", suggested, "PNG images (*.png)")
        if not path:
            return
        source = ModelSource(run=run.root.name if run is not None else None, step=step)
        try:  # a sample grid is small and already drawn: written here, as a file dialog's answer
            save_png(path, image, recipe=grid_recipe("sample grid", source))
        except (OSError, ValueError) as exc:
            self.training.post("error", f"Could not save '{path}': {exc}")
            return
        self.statusBar().showMessage(f"Saved {path}", 8000)

    # ------------------------------------------------------------------ feedback
    def _on_images(self) -> None:
        # A routine note must not wipe out a warning the user has not had time to read
        # (a scan that ends just after "not a GAN Studio run" would).
        showing = self.statusBar().currentMessage()
        if self.data_state.images is not None and not (showing and showing == self._alert_text):
            self.statusBar().showMessage(f"{self.data_state.images.count:,} images ready", 5000)

    def _show_augmentation(self, *_args) -> None:
        """The Data page's augmentation preview: what the run on show (or about to start) uses."""
        preview = self.data_page.augment_preview
        if self.data_page.view_tabs.currentWidget() is not preview:
            return
        live = self.training.state in BUSY and self.training.config is not None
        try:
            config = self.training.config if live else self.train_page.build_config()
        except Exception:  # a half-typed setting on the Train page: keep what is shown
            return
        a = config.augment
        policy = parse_policy(a.policy)
        probability = a.probability
        if live and self.training.last_report is not None:
            probability = self.training.last_report.augment_probability
        preview.set_augmentation(policy, probability, adaptive=a.adaptive, color_strength=a.color_strength, live=live)

    # ------------------------------------------------------------------ copy check
    def show_nearest_to_picture(self) -> None:
        """The explorer's picture beside the training images most like it (data/copies.py)."""
        image = self.explore_page.current_image()
        source = self.explore_state.source
        data = self.training.config.data if source.live and self.training.config is not None else self._explorer_data
        if image is None or data is None:
            self.statusBar().showMessage("No model with known training images is on show.", 8000)
            return
        self._ask_nearest(data, image[None], "This picture", k=4)

    def show_nearest_to_samples(self) -> None:
        """Each sample of the grid on show beside its nearest training image, closest first."""
        from ganstudio.export import split_grid

        grid = self.train_page.samples.current_image()
        config = self.training.config
        if grid is None or config is None:
            return
        cells = split_grid(grid, config.data.resolution)
        if len(cells):
            self._ask_nearest(config.data, cells, f"The samples at step {self.train_page.samples.current_step():,}", k=1)

    def _copy_note(self, picture) -> dict | None:
        """What a saved piece's recipe records of the copy check (called from the export worker:
        it only reads what is already there). The piece's own nearest distance when the training
        images were read this session (Nearest training images…); the run's figure when known."""
        source = self.explore_state.source
        live = source.live and self.training.config is not None
        data = self.training.config.data if live else self._explorer_data
        copies = _latest_copies(self.training.run_dir) if live and self.training.run_dir else self._explorer_copies
        note: dict = {}
        if copies is not None:
            note["run_share"], note["run_step"] = copies
        training = self.copies.training_set()
        if data is not None and training is not None and training.key == set_key(data):
            from ganstudio.plan import convert_channels

            _, distance = training.bank.nearest(convert_channels(picture[None], data.color), 1)
            note["nearest"] = round(float(distance[0, 0]), 4)
            note["verdict"] = training.bank.describe(float(distance[0, 0]))
        return note or None

    def _ask_nearest(self, data, pictures, title: str, k: int) -> None:
        if self.nearest_dialog is None:
            self.nearest_dialog = NearestDialog(self)
        self.nearest_dialog.show_rows("Reading the training images…", [])
        self.nearest_dialog.show()
        self.nearest_dialog.raise_()
        self.copies.find(data, pictures, title=title, k=k)

    def _on_nearest(self, nearest) -> None:
        if self.nearest_dialog is None:
            return
        training, bank = nearest.training, nearest.training.bank
        rows = []
        for picture, index, distance in zip(nearest.pictures, nearest.index, nearest.distance):
            matches = [(training.images[i], training.names[i] if i < len(training.names) else f"#{i}", float(d))
                       for i, d in zip(index.tolist(), distance.tolist())]
            rows.append(NearestRow(picture, matches, bank.describe(float(distance[0])).capitalize() + "."))
        rows.sort(key=lambda row: row.matches[0][2])
        copies = sum(row.matches[0][2] < bank.line for row in rows)
        heading = (f"<b>{nearest.title}</b>, beside the nearest of {len(training.images):,} training images "
                   f"(distance: how much the pictures differ, 0 = the same). "
                   f"Training images are usually {bank.usual:.3f} from their nearest neighbour; under "
                   f"{bank.line:.3f} counts as a near copy.")
        if len(rows) > 1:
            heading += f" {copies} of {len(rows)} samples are near copies; the closest are shown first."
        self.nearest_dialog.show_rows(heading, rows[:12], near_line=bank.line)

    def _on_nearest_failed(self, message: str) -> None:
        if self.nearest_dialog is not None:
            self.nearest_dialog.show_rows(message, [])

    def _on_message(self, level: str, text: str) -> None:
        # Never a modal box for a message: it would block a window that is training.
        self.statusBar().showMessage(text, 15000)
        if level in ("error", "warning"):
            self._alert_text = text
            self.train_page.show_message(level, text)

    # ------------------------------------------------------------------ explorer models
    def load_generator(self, target: str | Path, prefer: str = "best") -> None:
        """Load a run's or checkpoint's EMA generator for the explorer, off the GUI thread."""
        if not self._shut_down:
            self.loading.load_generator(target, prefer)

    def _on_generator_loaded(self, loaded) -> None:
        bundled = bundled_model_path()
        is_bundled = bundled is not None and loaded.path.resolve() == bundled.resolve()
        preloaded, self._preloading_bundled = self._preloading_bundled, False
        if preloaded and is_bundled and not self._explorer_is_free():
            return  # something the artist chose got there first
        run = RunFolder.of_checkpoint(loaded.path)
        run_dir = run.root if run is not None else None
        if self.training.busy and run_dir == self.training.run_dir:
            return  # the live run feeds the explorer itself
        source = ModelSource.of_checkpoint(loaded.path, fingerprint=loaded.fingerprint, step=loaded.step, why=loaded.why,
                                           run="bundled" if is_bundled else None)
        self.explore_page.set_generator(loaded.generator, fingerprint=source.fingerprint, run=source.run,
                                        checkpoint=str(loaded.path), step=source.step, live=False, why=source.why)
        self._explorer_data = loaded.config.data
        self._explorer_copies = _latest_copies(run_dir) if run_dir is not None else None
        self._generator_run = run_dir
        if run is not None:
            self.explore_page.set_run_dir(run_dir)
            names = run.read_direction_names(loaded.fingerprint)
        else:
            names = self.settings.direction_names(loaded.fingerprint)
        if names:
            self.explore_page.set_direction_names(names)

    def _on_tab_changed(self, _index: int) -> None:
        # A new user who opens Explore before training anything gets the bundled model at once.
        if self.tabs.currentWidget() is self.explore_page and self.explore_page.current_image() is None and not self.loading.loading_a_model():
            if not self.training.busy and self.training.run_dir is None:
                self.open_bundled_model()

    def open_bundled_model(self) -> None:
        path = bundled_model_path()
        if path is None:
            self.training.post("warning", "The bundled demo model is missing from this installation.")
            return
        self.load_generator(path)
        self.tabs.setCurrentWidget(self.explore_page)

    def _on_model_needed(self, recipe) -> None:
        """A reopened piece came from another model: find it (by its run's name, beside the
        piece, among the runs) and load it off the GUI thread; the piece opens when it lands."""
        piece = self._opening_piece
        if piece is None:
            self.training.post("warning", "This piece was made with a model that is not loaded. Open its run "
                               "(File → Open run…) to re-make it exactly.")
            return
        self.loading.load_model_of_piece(recipe, piece)

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
        self._opening_piece = path
        try:
            self.explore_page.open_recipe(recipe)
        finally:
            self._opening_piece = None

    def _on_explorer_message(self, level: str, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        if level in ("error", "warning"):
            self.training.post(level, text)

    def _save_direction_names(self, names: list) -> None:
        fingerprint = self.explore_state.source.fingerprint
        if self._generator_run is None:  # a model file without a run folder (e.g. the bundled one): keep them in the settings
            if fingerprint:
                self.settings.set_direction_names(fingerprint, names)
            return
        try:  # a live generator changes every tick: its names go under "latest" only
            RunFolder(self._generator_run).write_direction_names(fingerprint or "latest", names)
        except OSError as exc:
            self.statusBar().showMessage(f"Could not save the direction names: {exc.strerror or exc}", 8000)

    def _update_gallery_folders(self, run_dir: Path | None) -> None:
        folders = [RunFolder(Path(run_dir)).artwork_dir] if run_dir is not None else []
        for recent in self.settings.recent("recent/runs"):
            folder = RunFolder(Path(recent)).artwork_dir
            if folder not in folders:
                folders.append(folder)
        self.gallery_state.set_folders(folders)

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
        """What a dropped (or command-line) path does: a run folder opens, a model file (.pt,
        .safetensors) opens in the explorer, a saved piece reopens there, a folder or zip of
        images or a video becomes the data set."""
        path = Path(target)
        if RunFolder(path).looks_like_a_run():
            self.open_run(path)  # a run folder: open it
        elif path.suffix.lower() in (".pt", ".safetensors") and path.is_file():
            self.load_generator(path)  # a model file (shared, exported, bundled): explore it
            self.tabs.setCurrentWidget(self.explore_page)
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
    def quit_without_asking(self) -> None:
        """SIGTERM (logout, `kill`): stop training with a checkpoint, then close; no question."""
        if self.training.busy:
            self.training_controller.stop(then=AfterStop.CLOSE)
        else:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        ctl = self.training_controller
        if self.training.busy and ctl.after_stop is not AfterStop.CLOSE:
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
            ctl.stop(then=AfterStop.CLOSE)
            event.ignore()  # closes for real when the thread has saved and finished
            return
        if ctl.thread is not None:  # stopping already: wait until the checkpoint is written
            event.ignore()
            ctl.after_stop = AfterStop.CLOSE
            return
        self.shutdown()
        event.accept()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop every thread (saving a checkpoint first) and wait for them; used on exit and by tests."""
        # Results still queued from the threads waited for below land after this: they must
        # not start new threads (one running at exit aborts the app) nor change the window.
        self._shut_down = True
        self.save_settings()
        self.training_controller.wait(timeout_ms)
        self.scanner.shutdown(timeout_ms)
        self.clinic.shutdown(timeout_ms)
        self.explore_page.shutdown()
        self.explore_controller.shutdown(timeout_ms)
        self.copies.shutdown(timeout_ms)
        self.loading.shutdown(timeout_ms)
        if self.probe.isRunning():
            self.probe.wait(timeout_ms)


def _latest_copies(run_dir) -> tuple[float, int] | None:
    """A run's latest copy-check figure (stats.jsonl) and its step, or None."""
    from ganstudio.runs.folder import iter_stats

    latest = None
    for record in iter_stats(Path(run_dir) / "stats.jsonl"):
        if isinstance(record.get("copies"), (int, float)):
            latest = (float(record["copies"]), int(record["step"]))
    return latest
