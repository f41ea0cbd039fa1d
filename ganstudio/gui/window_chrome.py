"""The main window's menus, status bar and About box (a mixin of MainWindow)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox

from ganstudio import __version__

PAUSE_KEY = "F8"

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


class WindowChrome:
    """Menus and the status bar; their actions call the window's own methods."""

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

        # Edit acts on the explorer's picture (undo a change of the look) or, on the Train page,
        # copies the sample grid on show. Text fields keep their own Ctrl+Z and Ctrl+C.
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        self.undo_action = self._action(edit_menu, "&Undo", QKeySequence.Undo, self._undo)
        self.redo_action = self._action(edit_menu, "&Redo", QKeySequence.Redo, self._redo)
        self.redo_action.setShortcuts([QKeySequence(QKeySequence.Redo), QKeySequence("Ctrl+Shift+Z")])
        edit_menu.addSeparator()
        self.copy_action = self._action(edit_menu, "&Copy image", QKeySequence.Copy, self.copy_image)
        # Kept current, not only when the menu opens: a disabled action's shortcut does nothing.
        edit_menu.aboutToShow.connect(self._update_edit_menu)
        self.tabs.currentChanged.connect(lambda _index: self._update_edit_menu())
        self.explore_state.renderRequested.connect(lambda *_: self._update_edit_menu())
        self.training.reportAdded.connect(lambda _report: self._update_edit_menu())
        self._update_edit_menu()

        train_menu = self.menuBar().addMenu("&Training")
        self.start_action = self._action(train_menu, "&Start", QKeySequence("Ctrl+Return"), self.train_page.request_start)
        # F8 is no platform's standard key (Ctrl+P prints, Cmd+Shift+P is Page Setup on a Mac).
        self.pause_action = self._action(train_menu, "&Pause / resume", QKeySequence(PAUSE_KEY), self.train_page.request_pause_or_resume)
        self.stop_action = self._action(train_menu, "S&top", QKeySequence("Ctrl+."), self.train_page.request_stop)

        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("Data", "Train", "Explore", "Gallery")):
            self._action(view_menu, name, QKeySequence(f"Ctrl+{index + 1}"), lambda i=index: self.tabs.setCurrentIndex(i))
        self._action(view_menu, "Reset plot view", QKeySequence("Ctrl+0"), self.train_page.plots.reset_view)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GAN Studio", None, self.show_about)

    def _on_explorer(self) -> bool:
        return self.tabs.currentWidget() is self.explore_page and self.explore_page.model is not None

    def _update_edit_menu(self) -> None:
        model = self.explore_page.model if self._on_explorer() else None
        self.undo_action.setEnabled(model is not None and model.can_undo)
        self.redo_action.setEnabled(model is not None and model.can_redo)
        on_train = self.tabs.currentWidget() is self.train_page and self.train_page.samples.current_image() is not None
        self.copy_action.setEnabled(model is not None or on_train)

    def _undo(self) -> None:
        if self._on_explorer():
            self.explore_page.undo()

    def _redo(self) -> None:
        if self._on_explorer():
            self.explore_page.redo()

    def copy_image(self) -> None:
        """Edit → Copy image: the explorer's picture (at the size beside Save), or the sample grid."""
        if self._on_explorer():
            self.explore_page.copy_image()
        elif self.tabs.currentWidget() is self.train_page:
            image = self.train_page.samples.current_image()
            if image is not None:
                from PySide6.QtGui import QGuiApplication

                from ganstudio.gui.widgets.images import to_qimage

                QGuiApplication.clipboard().setImage(to_qimage(image))
                self.statusBar().showMessage("Copied the sample grid to the clipboard.", 4000)

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

    def show_about(self) -> None:
        QMessageBox.about(self, "About GAN Studio", about_text(self.device_label.text()))

    def _on_state(self, state: str) -> None:
        self.state_label.setText(STATE_WORDS.get(state, state))
        busy = self.training.busy
        self.new_action.setEnabled(not busy)
        self.open_action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy and bool(self.settings.recent("recent/runs")))


def about_text(device: str) -> str:
    """The About box: what it is, versions (for a bug report), licence, and whose work it stands on."""
    import platform

    import PySide6
    from PySide6.QtCore import qVersion

    try:
        import torch

        torch_version = torch.__version__
    except Exception:  # torch missing or broken: the About box must still open
        torch_version = "not available"
    import numpy
    import PIL
    import pyqtgraph

    from ganstudio.places import log_dir

    return (
        f"<h3>GAN Studio {__version__}</h3>"
        "<p>Train a GAN on your own images, watch it learn, explore what it learned.</p>"
        f"<p><b>Device:</b> {device}<br>"
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}<br>"
        f"PyTorch {torch_version} · Qt {qVersion()} (PySide6 {PySide6.__version__}) · NumPy {numpy.__version__} · "
        f"Pillow {PIL.__version__} · pyqtgraph {pyqtgraph.__version__}</p>"
        "<p><b>Licence:</b> MIT. Your images, runs and pieces are yours; nothing leaves this computer.</p>"
        "<p><b>Built on the work of:</b> DCGAN (Radford, Metz &amp; Chintala, 2016); the non-saturating loss "
        "(Goodfellow et al., 2014); R3GAN (Huang et al., 2024); DiffAugment (Zhao et al., 2020); "
        "SeFa (Shen &amp; Zhou, 2021); sliced Wasserstein distance (Rabin et al., 2011; Karras et al., 2018); "
        "FreezeD (Mo, Cho &amp; Shin, 2020). Made with PyTorch, Qt for Python, NumPy, Pillow and pyqtgraph.</p>"
        f"<p><b>Logs and crash reports:</b> {log_dir()}</p>"
    )
