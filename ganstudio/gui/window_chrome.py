"""The main window's menus, status bar and About box (a mixin of MainWindow)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox

from ganstudio import __version__

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

        train_menu = self.menuBar().addMenu("&Training")
        self.start_action = self._action(train_menu, "&Start", QKeySequence("Ctrl+Return"), self.train_page.request_start)
        self.pause_action = self._action(train_menu, "&Pause / resume", QKeySequence("Ctrl+P"), self.train_page.request_pause_or_resume)
        self.stop_action = self._action(train_menu, "S&top", QKeySequence("Ctrl+."), self.train_page.request_stop)

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

    def _on_state(self, state: str) -> None:
        self.state_label.setText(STATE_WORDS.get(state, state))
        busy = self.training.busy
        self.new_action.setEnabled(not busy)
        self.open_action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy and bool(self.settings.recent("recent/runs")))
