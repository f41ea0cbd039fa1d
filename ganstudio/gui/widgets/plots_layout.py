"""How the training curves look: three stacked plots, their colours (dark and light), labels and tips.

A mixin of `TrainingPlots` (plots.py), which feeds the curves built here with data.
"""

from __future__ import annotations

import time
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

import pyqtgraph as pg

from ganstudio.runs.curves import step_labels


STEP_SERIES = ("d_loss", "g_loss", "d_real", "d_fake")
SMOOTH_SUFFIX = "_smooth"
LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))", "quality": "SWD",
          "copies": "Copies"}
TIPS = {
    "losses": "How wrong the discriminator (D) and the generator (G) are. Thin lines: every step; "
    "bold lines: smoothed. Steady, wobbling curves are healthy; one falling to zero while the "
    "other climbs means one network is winning.",
    "probs": "D(x): how sure the discriminator is that real images are real. D(G(z)): how sure it "
    "is that generated images are real. Both hovering near the middle is a good fight.",
    "quality": "Sliced Wasserstein distance between generated and real images (x1000). "
    "Lower is better; it is measured now and then, not every step. Copies (right scale): the share of "
    "samples nearly the same as one of your images, closer than your images are to each other; about "
    "10% or less is a model making new pictures, near 100% one handing back its training images.",
}

# Okabe-Ito hues (safe for colour-blind eyes): D warm, G cool; real images green, fakes
# purple. The light theme gets deeper shades so thin lines stay visible on white.
PALETTES = {
    "dark": {
        "background": "#1e1f22",
        "foreground": "#c8cacf",
        "grid": 40,
        "cursor": "#8a8d93",
        "d_loss": "#e69f00",
        "g_loss": "#56b4e9",
        "d_real": "#2fbf8f",
        "d_fake": "#d98cbf",
        "quality": "#f0e442",
        "copies": "#ff6f61",
        "raw_mix": 0.42,
    },
    "light": {
        "background": "#ffffff",
        "foreground": "#303236",
        "grid": 60,
        "cursor": "#7a7d83",
        "d_loss": "#c77d00",
        "g_loss": "#1f78b4",
        "d_real": "#009e73",
        "d_fake": "#b5528f",
        "quality": "#8c6d00",
        "copies": "#d1495b",
        "raw_mix": 0.45,
    },
}


class _StepAxis(pg.AxisItem):
    """Step numbers as people say them: 950, 12k, 1.5M (no "x1e+06" in the label)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        return step_labels(values, spacing)


def _mix(colour: QColor, background: QColor, amount: float) -> QColor:
    """`amount` of `colour` over `background`, opaque."""
    return QColor(
        round(background.red() + (colour.red() - background.red()) * amount),
        round(background.green() + (colour.green() - background.green()) * amount),
        round(background.blue() + (colour.blue() - background.blue()) * amount),
    )


class _Canvas(pg.GraphicsLayoutWidget):
    """Remembers how long its last paint took, so redraws can back off when drawing is slow,
    and says when the mouse leaves it (the scene reports moves only, never a leave)."""

    mouseLeft = Signal()
    last_paint_seconds = 0.0
    paint_count = 0  # paints so far (tests, benchmarks)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.mouseLeft.emit()

    def paintEvent(self, event) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.last_paint_seconds = time.perf_counter() - started
        self.paint_count += 1


class PlotsLayout:
    """Builds and themes TrainingPlots' canvas, curves, legend and controls (a mixin)."""

    # -- construction ----------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        self._readout = QLabel()
        self._readout.setObjectName("plotReadout")
        self._readout.setTextFormat(Qt.RichText)
        self._readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long text never widens the panel
        self._readout.setAccessibleName("Values under the cursor")
        bar.addWidget(self._readout, 1)
        self._raw_check = QCheckBox("Every step")
        self._raw_check.setObjectName("showRawCheck")
        self._raw_check.setAccessibleName("Show every step")
        self._raw_check.setToolTip("Show the thin per-step lines behind the smoothed curves")
        self._raw_check.setChecked(True)
        self._raw_check.toggled.connect(self._sync_raw_visibility)
        bar.addWidget(self._raw_check)
        self._reset_button = QPushButton("Reset view")
        self._reset_button.setObjectName("resetPlotButton")
        self._reset_button.setAccessibleName("Reset plot view")
        self._reset_button.setToolTip("Show all of the run again after zooming or panning (Ctrl+0)")
        self._reset_button.clicked.connect(self.reset_view)
        bar.addWidget(self._reset_button)
        layout.addLayout(bar)

        self._canvas = _Canvas()
        self._canvas.setObjectName("lossPlotCanvas")
        self._canvas.setMinimumHeight(240)
        self._canvas.ci.layout.setSpacing(0)
        self._canvas.ci.setContentsMargins(4, 2, 8, 4)
        layout.addWidget(self._canvas, 1)

        def add_plot(row: int, title: str, tip: str) -> pg.PlotItem:
            plot = self._canvas.addPlot(row=row, col=0, axisItems={"bottom": _StepAxis("bottom")})
            plot.setTitle(title, size="10pt")
            plot.titleLabel.setToolTip(tip)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.hideButtons()  # the Reset view button is the one way back, for every plot
            plot.setMenuEnabled(False)  # pyqtgraph's menu speaks plotting jargon; an artist needs none of it
            plot.getAxis("left").setWidth(48)  # equal widths keep the three x axes aligned
            plot.showAxis("right")  # the copies scale on the quality plot; blank on the others, for alignment
            plot.getAxis("right").setWidth(40)
            plot.getAxis("right").setStyle(showValues=False, maxTickLevel=0)
            for side in ("left", "bottom"):
                # Major ticks (and grid lines) only: the full three-level grid costs several
                # times the curves' own drawing time, and reads as clutter anyway.
                plot.getAxis(side).setStyle(maxTickLevel=0)
            return plot

        self._loss_plot = add_plot(0, "Losses", TIPS["losses"])
        self._prob_plot = add_plot(1, "D(x) and D(G(z))", TIPS["probs"])
        self._quality_plot = add_plot(2, "Quality (SWD, lower is better) and copies", TIPS["quality"])
        self._plots = (self._loss_plot, self._prob_plot, self._quality_plot)
        for row, stretch in enumerate((5, 3, 3)):
            self._canvas.ci.layout.setRowStretchFactor(row, stretch)
        self._prob_plot.setXLink(self._loss_plot)
        self._quality_plot.setXLink(self._loss_plot)
        for plot in self._plots[:2]:
            plot.getAxis("bottom").setStyle(showValues=False)  # one row of step numbers, at the bottom
        self._quality_plot.setLabel("bottom", "step")
        # Probabilities: ticks at the ends and the middle, where "sure", "unsure" and "sure not" are.
        self._prob_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])

        self._items: dict[str, pg.PlotDataItem] = {}
        self._halos: dict[str, pg.PlotDataItem] = {}
        self._legends = []
        for plot, names in ((self._loss_plot, ("d_loss", "g_loss")), (self._prob_plot, ("d_real", "d_fake"))):
            # One row, top right, out of the way of the curves as far as it can be.
            legend = plot.addLegend(offset=(-6, 4), labelTextSize="9pt", colCount=2, verSpacing=-8)
            self._legends.append(legend)
            for name in names:
                # Raw: thin and muted, behind; it may hold NaN, so pyqtgraph checks (connect="finite").
                # One min/max pair per pixel column is the whole envelope; pyqtgraph's default
                # of five per pixel only multiplies the vertices to stroke.
                raw = pg.PlotDataItem(connect="finite", autoDownsampleFactor=1.0)
                raw.setZValue(0)  # every raw line under every smoothed one
                plot.addItem(raw)
                # Smoothed: finite by construction (leading NaN trimmed at draw time), so the
                # finite check is skipped; it carries the legend entry for both lines.
                smooth = pg.PlotDataItem(
                    name=LABELS[name], connect="all", skipFiniteCheck=True, antialias=True, autoDownsampleFactor=1.0
                )
                smooth.setZValue(10)
                plot.addItem(smooth)
                # Smoothing already removed the extremes that peak mode keeps: one sample per
                # pixel draws the same line with half the vertices (it is antialiased and haloed).
                smooth.setDownsampling(auto=True, method="subsample")
                # A halo in the background colour under the smoothed line keeps it readable on
                # top of its own dense raw band. A separate item without antialiasing: as the
                # line's own shadowPen it would be antialiased, which costs ~15 ms a paint.
                halo = pg.PlotDataItem(connect="all", skipFiniteCheck=True, autoDownsampleFactor=1.0)
                halo.setZValue(5)
                plot.addItem(halo)
                halo.setDownsampling(auto=True, method="subsample")
                self._halos[name] = halo
                smooth.visibleChanged.connect(self._sync_raw_visibility)
                self._items[name] = raw
                self._items[name + SMOOTH_SUFFIX] = smooth
        # Quality: a few points, finite by construction (non-finite figures are dropped).
        self._items["quality"] = pg.PlotDataItem(
            name=LABELS["quality"], connect="all", skipFiniteCheck=True, antialias=True, symbol="o", symbolSize=6
        )
        self._quality_plot.addItem(self._items["quality"])
        # Copies: the share of samples nearly the same as a training image (data/copies.py),
        # measured with each quality figure, on its own 0-100% scale at the right.
        self._copies_view = pg.ViewBox(enableMenu=False)
        self._copies_view.setMouseEnabled(x=False, y=False)
        right = self._quality_plot.getAxis("right")
        right.setStyle(showValues=True)
        right.setTicks([[(0.0, "0%"), (0.5, "50%"), (1.0, "100%")]])
        right.linkToView(self._copies_view)
        self._quality_plot.scene().addItem(self._copies_view)
        self._copies_view.setXLink(self._quality_plot)
        self._copies_view.setYRange(0.0, 1.0, padding=0.05)
        self._quality_plot.getViewBox().sigResized.connect(self._place_copies_view)
        self._items["copies"] = pg.PlotDataItem(
            name=LABELS["copies"], connect="finite", antialias=True, symbol="s", symbolSize=5
        )
        self._copies_view.addItem(self._items["copies"])
        legend = self._quality_plot.addLegend(offset=(-6, 4), labelTextSize="9pt", colCount=2, verSpacing=-8)
        legend.addItem(self._items["quality"], LABELS["quality"])
        legend.addItem(self._items["copies"], LABELS["copies"])
        self._legends.append(legend)

        self._cursors = []
        for plot in self._plots:
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._cursors.append(line)

        # Losses: ignore the top and bottom 1% when autoranging, so one early spike does
        # not flatten the whole curve. D outputs are probabilities: fixed 0..1.
        self._loss_plot.getViewBox().setAutoVisible(y=True)
        self._quality_plot.getViewBox().setAutoVisible(y=True)
        self.reset_view()

        # Hover: rate-limited so a fast mouse costs at most 30 lookups a second.
        self._canvas.mouseLeft.connect(self._hide_hover)
        self._hover_proxy = pg.SignalProxy(
            self._canvas.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved, threadSafe=False
        )

    def _place_copies_view(self) -> None:
        """The copies scale shares the quality plot's area (pyqtgraph's two-axis pattern)."""
        self._copies_view.setGeometry(self._quality_plot.getViewBox().sceneBoundingRect())
        self._copies_view.linkedViewChanged(self._quality_plot.getViewBox(), self._copies_view.XAxis)

    def _apply_theme(self) -> None:
        dark = self.palette().color(QPalette.Window).lightness() < 128
        theme = "dark" if dark else "light"
        if theme == self._theme:
            return
        self._theme = theme
        p = PALETTES[theme]
        fg = QColor(p["foreground"])
        self._canvas.setBackground(p["background"])
        for plot in self._plots:
            for side in ("left", "bottom", "right"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
            plot.showGrid(x=True, y=True, alpha=p["grid"] / 255)
            plot.titleLabel.setText(plot.titleLabel.text, color=fg)
        self._quality_plot.setLabel("bottom", "step", color=p["foreground"])
        for legend in self._legends:
            legend.setLabelTextColor(fg)
            for _sample, label in legend.items:  # setLabelTextColor only affects labels added later
                label.setText(label.text, color=fg)
            legend.setBrush(pg.mkBrush(QColor(p["background"]).lighter(115 if dark else 97)))
            legend.setPen(pg.mkPen(QColor(p["foreground"]).darker(250 if dark else 60), width=0))
        background = QColor(p["background"])
        for name in STEP_SERIES:
            colour = QColor(p[name])
            # Raw: the hue mixed into the background, nearly opaque. Thin 1-px lines are
            # drawn segment by segment, so a see-through colour piles up into a solid band
            # once a pixel column holds hundreds of steps; a muted colour looks the same
            # at any density, and the bright smoothed line on its dark halo stays on top.
            self._items[name].setPen(pg.mkPen(_mix(colour, background, p["raw_mix"]), width=1))
            self._items[name + SMOOTH_SUFFIX].setPen(pg.mkPen(colour, width=2.5))
            self._halos[name].setPen(pg.mkPen(background, width=6))
        q = QColor(p["quality"])
        self._items["quality"].setPen(pg.mkPen(q, width=2))
        self._items["quality"].setSymbolPen(pg.mkPen(q))
        self._items["quality"].setSymbolBrush(pg.mkBrush(q))
        c = QColor(p["copies"])
        self._items["copies"].setPen(pg.mkPen(c, width=1.5, style=Qt.DashLine))
        self._items["copies"].setSymbolPen(pg.mkPen(c))
        self._items["copies"].setSymbolBrush(pg.mkBrush(c))
        for line in self._cursors:
            line.setPen(pg.mkPen(p["cursor"], width=1, style=Qt.DashLine))
        self._update_readout()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange, QEvent.StyleChange):
            self._apply_theme()
        super().changeEvent(event)
