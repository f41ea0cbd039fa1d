"""The Data page's "Check" tab: what the data clinic found, and one click to leave it out.

It shows ClinicState (data/clinic.py's report) as cards: each group of duplicates with a
"keep one" button, each small, stretched or odd image with a "leave out" button. Leaving out
writes DataState.choice.exclude (the run's settings); the artist's files are never touched,
and "Bring all back" undoes every choice. The check itself runs in a controller's thread:
this panel only asks for it (checkRequested) and shows what comes back.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from ganstudio.gui.state import ClinicState, DataState
from ganstudio.gui.widgets.images import captioned_picture
from ganstudio.wording import printable

THUMB = 72
MAX_CARDS = 60  # more findings than this: the first ones here, all of them in `ganstudio check-data`
INTRO = ("Look for duplicates, near-duplicates, images too small or too stretched for the training "
         "size, and odd ones out. Nothing is deleted: what you leave out is only skipped in training.")


def _thumbnail(image: np.ndarray, name: str, kept: bool = False) -> QWidget:
    """An image as it trains, its name under it; the one "keep one" keeps is framed."""
    return captioned_picture(image, [printable(name)], side=THUMB, framed=kept,
                             tip=printable(name) + ("  (the one kept)" if kept else ""))


class ClinicPanel(QWidget):
    checkRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, data: DataState, clinic: ClinicState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data, self.clinic = data, clinic
        self.setObjectName("clinicPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)

        top = QHBoxLayout()
        self.summary_label = QLabel(INTRO)
        self.summary_label.setObjectName("clinicSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        top.addWidget(self.summary_label, 1)
        self.keep_all_button = QPushButton()
        self.keep_all_button.setObjectName("keepOneOfEachButton")
        self.keep_all_button.setToolTip("Leave out every extra copy; the first of each group stays.")
        self.keep_all_button.clicked.connect(self._keep_one_of_each)
        top.addWidget(self.keep_all_button, 0, Qt.AlignmentFlag.AlignTop)
        self.check_button = QPushButton("Check my images")
        self.check_button.setObjectName("checkDataButton")
        self.check_button.setToolTip(INTRO)
        self.check_button.clicked.connect(self.checkRequested)
        top.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("clinicProgressBar")
        self.progress_bar.setAccessibleName("Checking images")
        row.addWidget(self.progress_bar, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("clinicCancelButton")
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.cancel_button)
        self.progress_row.hide()
        layout.addWidget(self.progress_row)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.cards = QWidget()
        self.cards_layout = QVBoxLayout(self.cards)
        self.cards_layout.setContentsMargins(0, 0, 8, 0)
        self.cards_layout.setSpacing(10)
        self.cards_layout.addStretch(1)
        self.scroll.setWidget(self.cards)
        layout.addWidget(self.scroll, 1)

        bottom = QHBoxLayout()
        self.excluded_label = QLabel()
        self.excluded_label.setObjectName("excludedLabel")
        bottom.addWidget(self.excluded_label, 1)
        self.restore_button = QPushButton("Bring all back")
        self.restore_button.setObjectName("restoreExcludedButton")
        self.restore_button.setToolTip("Train on every image again.")
        self.restore_button.clicked.connect(self._restore_all)
        bottom.addWidget(self.restore_button)
        layout.addLayout(bottom)

        clinic.started.connect(self._show_running)
        clinic.progress.connect(self._show_progress)
        clinic.changed.connect(self._show_report)
        data.choiceChanged.connect(self._show_exclusions)
        data.choiceChanged.connect(self._show_ready)
        data.scanStarted.connect(self._show_ready)
        data.imagesChanged.connect(self._show_ready)
        self._show_report()
        self._show_ready()

    # ------------------------------------------------------------------ what the artist does
    def _excluded(self) -> list[str]:
        return list(self.data.choice.exclude)

    def _set_excluded(self, names: list[str]) -> None:
        self.data.set_choice(dataclasses.replace(self.data.choice, exclude=sorted(set(names))))

    def leave_out(self, names: list[str]) -> None:
        self._set_excluded(self._excluded() + list(names))

    def bring_back(self, names: list[str]) -> None:
        gone = set(names)
        self._set_excluded([n for n in self._excluded() if n not in gone])

    @Slot()
    def _keep_one_of_each(self) -> None:
        if self.clinic.report is not None:
            self.leave_out(self.clinic.report.extra_copies())

    @Slot()
    def _restore_all(self) -> None:
        self._set_excluded([])

    # ------------------------------------------------------------------ showing the state
    @Slot()
    def _show_ready(self) -> None:
        self.check_button.setEnabled(self.data.ready and not self.clinic.running)

    @Slot()
    def _show_running(self) -> None:
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("Checking…")
        self.progress_row.show()
        self.check_button.setEnabled(False)

    @Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_bar.setFormat(f"Looking at {done:,} / {total:,} files…")

    @Slot()
    def _show_report(self) -> None:
        self.progress_row.setVisible(self.clinic.running)
        self._show_ready()
        while self.cards_layout.count() > 1:  # everything but the closing stretch
            item = self.cards_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        report = self.clinic.report
        if report is None:
            self.summary_label.setText(self.clinic.message or INTRO)
        else:
            self.summary_label.setText(printable(report.summary()))
            self._add_cards(report)
        self._show_exclusions()

    def _add_cards(self, report) -> None:
        cards = []
        for title, groups in (("Exact copies", report.exact),
                              ("The same picture, re-saved, resized or cropped", report.near)):
            cards += [(f"{title} ({len(group)})", group, None) for group in groups]
        for title, flags in (("Small", report.small), ("Stretched", report.stretched),
                             ("An odd one out, worth a look", report.odd)):
            cards += [(title, [flag.index], flag.reason) for flag in flags]
        for title, members, reason in cards[:MAX_CARDS]:
            self.cards_layout.insertWidget(self.cards_layout.count() - 1, self._card(title, members, reason))
        if len(cards) > MAX_CARDS:
            more = QLabel(f"…and {len(cards) - MAX_CARDS:,} more: `ganstudio check-data` lists them all.")
            self.cards_layout.insertWidget(self.cards_layout.count() - 1, more)

    def _card(self, title: str, members: list[int], reason: str | None) -> QFrame:
        report, images = self.clinic.report, self.clinic.images
        card = QFrame()
        card.setObjectName("clinicCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setStyleSheet("#clinicCard { border-radius: 6px; background: rgba(128, 128, 128, 28); }")
        column = QVBoxLayout(card)
        column.setContentsMargins(10, 8, 10, 8)
        heading = QLabel(f"<b>{title}</b>" + (f" — {printable(reason)}" if reason else ""))
        heading.setWordWrap(True)
        column.addWidget(heading)
        row = QHBoxLayout()
        names = [report.names[i] for i in members]
        for k, i in enumerate(members):
            row.addWidget(_thumbnail(images[i], names[k], kept=reason is None and k == 0))
        row.addStretch(1)
        extras = names[1:] if len(names) > 1 else names  # a group keeps its first; a flag is one image
        excluded = set(self.data.choice.exclude)
        left_out = all(n in excluded for n in extras)
        button = QPushButton()
        button.setObjectName("clinicCardButton")
        button.setProperty("names", extras)
        button.setProperty("group", reason is None)
        self._label_card_button(button, extras, left_out)
        button.clicked.connect(lambda _=False, b=button: self._toggle_card(b))
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignBottom)
        column.addLayout(row)
        return card

    @staticmethod
    def _label_card_button(button: QPushButton, extras: list[str], left_out: bool) -> None:
        if left_out:
            button.setText("Left out · bring back")
        elif button.property("group"):
            button.setText(f"Keep one, leave out {len(extras)}")
        else:
            button.setText("Leave out")

    def _toggle_card(self, button: QPushButton) -> None:
        names = list(button.property("names"))
        excluded = set(self.data.choice.exclude)
        if all(n in excluded for n in names):
            self.bring_back(names)
        else:
            self.leave_out(names)

    @Slot()
    def _show_exclusions(self) -> None:
        excluded = set(self.data.choice.exclude)
        n = len(excluded)
        self.excluded_label.setText(
            f"{n:,} image{'s' if n != 1 else ''} left out of training (the files stay as they are)" if n else
            "Every image is used in training.")
        self.restore_button.setVisible(n > 0)
        report = self.clinic.report
        extra = report.extra_copies() if report is not None else []
        remaining = [name for name in extra if name not in excluded]
        self.keep_all_button.setText(f"Keep one of each ({len(remaining):,} fewer)")
        self.keep_all_button.setVisible(bool(remaining))
        for button in self.cards.findChildren(QPushButton, "clinicCardButton"):
            names = list(button.property("names"))
            self._label_card_button(button, names, all(name in excluded for name in names))
