"""Live training curves that stay fast for a run of a million steps.

Three stacked plots share the step axis: the two losses, the discriminator's outputs
D(x) and D(G(z)), and the quality figure (SWD). The widget is built for a data rate of
a few thousand points a second and runs of a million steps:

* Values live in growable numpy buffers (amortised doubling), never Python lists.
  Memory is capped at `max_points` per series: past the cap the older half is
  decimated by two (see `_Columns.decimate_older_half`), so old history loses
  resolution gracefully while recent history stays at full resolution.
* `append_report` only stores data. A single-shot timer redraws at most every
  REDRAW_MS (longer if a redraw was slow), so a burst of reports costs one redraw,
  and nothing is drawn while the widget is hidden.
* Each curve is created once and updated with setData; pyqtgraph's peak-mode
  auto-downsampling and clip-to-view keep each redraw proportional to the width of
  the plot, not the length of the run.

Smoothing is an exponential moving average *over steps* (not over points): a point
that stands for a tick of 50 steps (history from stats.jsonl) weighs as much as 50
per-step points, so an opened run and its live continuation smooth alike. The time
constant follows the run: about 1/50 of the steps shown, rounded down to a power of
two so that it changes (and the curve is recomputed) only when the run doubles in
length. `set_smoothing(steps)` fixes it instead.
"""

from __future__ import annotations

import math
import time
import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

import pyqtgraph as pg

STEP_SERIES = ("d_loss", "g_loss", "d_real", "d_fake")
SMOOTH_SUFFIX = "_smooth"
MAX_POINTS = 1 << 20  # per series; ~40 MB for all columns at the cap
READOUT_TIP = "Smoothed value, with this step's own value in brackets"
REDRAW_MS = 400  # at most ~2.5 redraws a second: live enough, and each paint of three plots costs ~20 ms
REDRAW_BUDGET = 0.1  # a slow redraw stretches the interval so drawing stays under ~10% of the GUI thread
MIN_TAU = 8.0  # steps; shorter would barely smooth per-step noise
TAU_FRACTION = 1 / 50  # auto time constant: this fraction of the steps shown
_EMA_CHUNK = 200.0  # time constants per closed-form chunk: exp(200) ~ 7e86 cannot overflow

LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))", "quality": "SWD"}
TIPS = {
    "losses": "How wrong the discriminator (D) and the generator (G) are. Thin lines: every step; "
    "bold lines: smoothed. Steady, wobbling curves are healthy; one falling to zero while the "
    "other climbs means one network is winning.",
    "probs": "D(x): how sure the discriminator is that real images are real. D(G(z)): how sure it "
    "is that generated images are real. Both hovering near the middle is a good fight.",
    "quality": "Sliced Wasserstein distance between generated and real images (x1000). "
    "Lower is better; it is measured now and then, not every step.",
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
        "raw_mix": 0.45,
    },
}


# -- pure helpers (no Qt): buffers and smoothing -----------------------------------------


def auto_tau(span: float) -> float:
    """Smoothing time constant for a run spanning `span` steps (a power of two)."""
    target = max(span, 1.0) * TAU_FRACTION
    return max(MIN_TAU, 2.0 ** math.floor(math.log2(max(target, 1.0))))


def ema_over_steps(
    steps: np.ndarray, values: np.ndarray, tau: float, state: tuple[float, float] | None = None
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Exponential moving average with time constant `tau` steps, aware of uneven spacing.

    y_k = d_k y_(k-1) + (1 - d_k) x_k with d_k = exp(-(step_k - step_(k-1)) / tau).
    Non-finite inputs are skipped (the average holds its last value across them), so a NaN
    never poisons the rest of the curve. `state` is (step, average) after the last finite
    input of the previous call; None starts the average at the first finite value (no
    bias towards zero). Returns (averages as float64, new state).
    """
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return np.empty(0), state
    finite = np.isfinite(values)
    prior = np.nan if state is None else state[1]  # the average before this call
    if finite.all():  # the usual case: no gathering and scattering
        out = _ema_finite(steps, values, float(tau), state)
        return out, (float(steps[-1]), float(out[-1]))
    idx = np.flatnonzero(finite)
    out = np.full(n, np.nan)
    if idx.size:
        out[idx] = _ema_finite(steps[idx], values[idx], float(tau), state)
        state = (float(steps[idx[-1]]), float(out[idx[-1]]))
    # Hold the last average through the gaps: forward-fill by index.
    held_from = np.where(finite, np.arange(n), -1)
    np.maximum.accumulate(held_from, out=held_from)
    out = np.where(held_from >= 0, out[np.maximum(held_from, 0)], prior)
    return out, state


def _ema_finite(s: np.ndarray, x: np.ndarray, tau: float, state: tuple[float, float] | None) -> np.ndarray:
    """The EMA on finite values, vectorised in closed form chunk by chunk.

    Within a chunk anchored at (s_a, y_a), with E_k = exp((s_k - s_a) / tau):
    y_k E_k = y_(k-1) E_(k-1) + (1 - d_k) x_k E_k, so y_k = (y_a + cumsum((1-d) x E)) / E_k.
    Chunks span at most _EMA_CHUNK time constants so E stays far from overflow.
    """
    n = len(x)
    y = np.empty(n)
    r = (s - s[0]) / tau  # positions in time constants
    if state is None:
        ra, ya = 0.0, float(x[0])  # the first point is its own average
    else:
        ra, ya = (state[0] - s[0]) / tau, float(state[1])
    i = 0
    while i < n:
        j = max(int(np.searchsorted(r, ra + _EMA_CHUNK, side="right")), i + 1)
        if r[i] - ra > _EMA_CHUNK:  # a long gap: the old average has all but vanished
            d = math.exp(-(r[i] - ra))
            y[i] = d * ya + (1.0 - d) * x[i]
            j = i + 1
        else:
            rr = r[i:j]
            # In place where possible: this runs over a million points when the run's
            # length doubles and the time constant with it.
            w = np.empty_like(rr)
            w[0] = rr[0] - ra
            np.subtract(rr[1:], rr[:-1], out=w[1:])
            np.maximum(w, 0.0, out=w)  # out-of-order steps add no weight
            np.expm1(-w, out=w)
            np.negative(w, out=w)  # 1 - d, accurate for tiny gaps
            e = np.exp(rr - ra)
            w *= x[i:j]
            w *= e
            np.cumsum(w, out=w)
            w += ya
            w /= e
            y[i:j] = w
        ra, ya = float(r[j - 1]), float(y[j - 1])
        i = j
    return y


class _Columns:
    """Parallel numpy columns sharing one length, grown by doubling (amortised O(1) append)."""

    def __init__(self, spec: dict[str, type], capacity: int = 1024) -> None:
        self.spec = dict(spec)
        self.n = 0
        self.data = {name: np.empty(capacity, dtype) for name, dtype in self.spec.items()}

    @property
    def capacity(self) -> int:
        return len(next(iter(self.data.values())))

    def view(self, name: str) -> np.ndarray:
        return self.data[name][: self.n]

    def append(self, columns: dict[str, np.ndarray]) -> None:
        k = len(next(iter(columns.values())))
        if self.n + k > self.capacity:
            new_cap = self.capacity
            while new_cap < self.n + k:
                new_cap *= 2
            for name, old in self.data.items():
                grown = np.empty(new_cap, old.dtype)
                grown[: self.n] = old[: self.n]
                self.data[name] = grown
        for name, values in columns.items():
            self.data[name][self.n : self.n + k] = values
        self.n += k

    def truncate(self, n: int) -> None:
        self.n = max(0, min(self.n, int(n)))

    def clear(self, capacity: int = 1024) -> None:
        self.n = 0
        self.data = {name: np.empty(capacity, dtype) for name, dtype in self.spec.items()}

    def decimate_older_half(self, envelope: tuple[str, ...] = ()) -> None:
        """Halve the resolution of the older half in place; the newer half is untouched.

        Columns in `envelope` keep alternately the max and the min of each pair, so the
        band that peak-mode drawing shows (min to max) survives; the others keep every
        other value (steps and already-smooth curves lose nothing visible).
        """
        half = (self.n // 2) & ~1
        if half < 2:
            return
        pairs = half // 2
        tail = self.n - half
        for name, col in self.data.items():
            if name in envelope:
                a, b = col[0:half:2], col[1:half:2]
                with np.errstate(invalid="ignore"):
                    hi, lo = np.fmax(a, b), np.fmin(a, b)
                kept = np.where(np.arange(pairs) % 2 == 0, hi, lo)
            else:
                kept = col[0:half:2].copy()
            col[:pairs] = kept
            col[pairs : pairs + tail] = col[half : self.n].copy()
        self.n = pairs + tail


# -- the widget ----------------------------------------------------------------------------


class _StepAxis(pg.AxisItem):
    """Step numbers as people say them: 950, 12k, 1.5M (no "x1e+06" in the label)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        return step_labels(values, spacing)


def step_labels(values, spacing: float) -> list[str]:
    """One unit for all ticks of an axis, chosen by the largest: 0, 200k, 400k or 0, 0.5M, 1M."""
    top = max((abs(v) for v in values), default=0.0)
    unit, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")
    places = max(0, math.ceil(-math.log10(spacing / unit) - 1e-9)) if spacing > 0 else 0
    out = []
    for v in values:
        text = f"{v / unit:,.{places}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append(text + suffix if v else "0")
    return out


def _mix(colour: QColor, background: QColor, amount: float) -> QColor:
    """`amount` of `colour` over `background`, opaque."""
    return QColor(
        round(background.red() + (colour.red() - background.red()) * amount),
        round(background.green() + (colour.green() - background.green()) * amount),
        round(background.blue() + (colour.blue() - background.blue()) * amount),
    )


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


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


class TrainingPlots(QWidget):
    """Loss, discriminator-output and quality curves over steps, with hover readout."""

    def __init__(self, parent: QWidget | None = None, *, max_points: int = MAX_POINTS) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName("Training curves")
        self.setAccessibleDescription("Losses, discriminator outputs and quality over training steps")
        self.max_points = max(16, int(max_points))
        self.redraw_count = 0  # how many redraws ran (tests, benchmarks)
        self.last_redraw_seconds = 0.0

        # Steps are integers, and an integer x tells pyqtgraph it is finite: that skips an
        # isfinite pass over every point of every curve at each redraw.
        spec = {"step": np.int64}
        for name in STEP_SERIES:
            spec[name] = np.float32
            spec[name + SMOOTH_SUFFIX] = np.float32
        self._cols = _Columns(spec)
        self._quality = _Columns({"step": np.int64, "quality": np.float32}, capacity=64)
        self._ema_state: dict[str, tuple[float, float] | None] = dict.fromkeys(STEP_SERIES)
        self._fixed_tau: float | None = None
        self._tau = MIN_TAU
        self._dirty = False
        self._hover_step: float | None = None
        self._theme = ""
        self._readout_parts: list[tuple[str | None, str, str]] = []
        self._readout_plain = self._readout_shown = ""

        self._build_ui()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._redraw_if_visible)
        self._apply_theme()
        self._update_readout()

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
            for side in ("left", "bottom"):
                # Major ticks (and grid lines) only: the full three-level grid costs several
                # times the curves' own drawing time, and reads as clutter anyway.
                plot.getAxis(side).setStyle(maxTickLevel=0)
            return plot

        self._loss_plot = add_plot(0, "Losses", TIPS["losses"])
        self._prob_plot = add_plot(1, "D(x) and D(G(z))", TIPS["probs"])
        self._quality_plot = add_plot(2, "Quality (SWD, lower is better)", TIPS["quality"])
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
            for side in ("left", "bottom"):
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
        for line in self._cursors:
            line.setPen(pg.mkPen(p["cursor"], width=1, style=Qt.DashLine))
        self._update_readout()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange, QEvent.StyleChange):
            self._apply_theme()
        super().changeEvent(event)

    # -- data in -----------------------------------------------------------------------------
    def append_report(self, report) -> None:
        """Store one tick's per-step values (and its quality figure); drawing follows later."""
        arrays = [np.asarray(getattr(report, name), dtype=np.float64).ravel() for name in STEP_SERIES]
        k = max(len(a) for a in arrays)
        if k:
            first = int(report.first_step)
            # Steps must only grow (clip-to-view and lookups rely on it): a report that
            # overlaps what is stored (a rollback nobody told us about, or a resumed run
            # training again the steps logged after its last checkpoint) replaces the
            # overlap, quality figures included.
            self._drop_after(first - 1)
            steps = np.arange(first, first + k, dtype=np.int64)
            padded = [a if len(a) == k else np.concatenate([a, np.full(k - len(a), np.nan)]) for a in arrays]
            self._append_rows(steps, dict(zip(STEP_SERIES, padded)))
        quality = getattr(report, "quality", None)
        if quality is not None:
            self._append_quality(np.array([report.step], np.float64), np.array([quality.swd], np.float64))
        if k or quality is not None:
            self._schedule()

    def load_history(self, steps, d_loss, g_loss, d_real, d_fake, quality_steps, quality) -> None:
        """Replace everything with a run's history (one point per tick) and draw it now."""
        self._reset_data()
        steps = np.asarray(steps, dtype=np.float64).ravel()
        keep = np.isfinite(steps)  # a step we cannot place is a point we cannot draw
        steps = steps[keep].round().astype(np.int64)
        values = {
            name: np.asarray(v, dtype=np.float64).ravel()[keep] for name, v in zip(STEP_SERIES, (d_loss, g_loss, d_real, d_fake))
        }
        if steps.size:
            order = np.argsort(steps, kind="stable")
            steps = steps[order]
            values = {name: v[order] for name, v in values.items()}
            if self._fixed_tau is None:
                self._tau = auto_tau(steps[-1] - steps[0])  # settle it once, not at every chunk
            chunk = max(1, self.max_points // 2)
            for start in range(0, len(steps), chunk):
                part = slice(start, start + chunk)
                self._append_rows(steps[part], {name: v[part] for name, v in values.items()}, retune=False)
        q_steps = np.asarray(quality_steps, dtype=np.float64).ravel()
        q_values = np.asarray(quality, dtype=np.float64).ravel()
        if q_steps.size:
            order = np.argsort(q_steps, kind="stable")
            self._append_quality(q_steps[order], q_values[order])
        self._dirty = True
        self._redraw()
        self.reset_view()

    def truncate_after(self, step: int) -> None:
        """A NaN rollback went back to `step`: forget everything after it."""
        self._drop_after(int(step))
        self._dirty = True
        self._redraw()

    def clear(self) -> None:
        self._reset_data()
        self._dirty = True
        self._redraw()
        self.reset_view()

    def set_smoothing(self, steps: float | None) -> None:
        """Fix the smoothing time constant (in steps), or None to follow the run's length."""
        self._fixed_tau = None if steps is None else max(1.0, float(steps))
        self._retune_tau(force=True)
        self._schedule()

    def smoothing_steps(self) -> float:
        return self._tau

    def _reset_data(self) -> None:
        self._cols.clear()
        self._quality.clear(64)
        self._ema_state = dict.fromkeys(STEP_SERIES)
        self._tau = self._fixed_tau or MIN_TAU
        self._hide_hover()

    def _append_rows(self, steps: np.ndarray, raw: dict[str, np.ndarray], retune: bool = True) -> None:
        k = len(steps)
        if k > self.max_points:  # absurd single chunk: keep its newest part
            steps = steps[-self.max_points :]
            raw = {name: v[-self.max_points :] for name, v in raw.items()}
            k = len(steps)
        while self._cols.n + k > self.max_points and self._cols.n >= 4:
            self._cols.decimate_older_half(envelope=STEP_SERIES)
        columns: dict[str, np.ndarray] = {"step": steps}
        for name in STEP_SERIES:
            smooth, self._ema_state[name] = ema_over_steps(steps, raw[name], self._tau, self._ema_state[name])
            columns[name] = raw[name]
            columns[name + SMOOTH_SUFFIX] = smooth
        self._cols.append(columns)
        if retune:
            self._retune_tau()

    def _retune_tau(self, force: bool = False) -> None:
        n = self._cols.n
        if self._fixed_tau is not None:
            tau = self._fixed_tau
        else:
            steps = self._cols.data["step"]
            tau = auto_tau(steps[n - 1] - steps[0]) if n else MIN_TAU
        if tau != self._tau or force:
            self._tau = tau
            self._resmooth()

    def _resmooth(self) -> None:
        """Recompute every smoothed curve from the stored raw values (vectorised, O(n))."""
        steps = self._cols.view("step")
        for name in STEP_SERIES:
            smooth, self._ema_state[name] = ema_over_steps(steps, self._cols.view(name), self._tau, None)
            self._cols.view(name + SMOOTH_SUFFIX)[:] = smooth
        self._dirty = True

    def _drop_after(self, step: int) -> None:
        q = int(np.searchsorted(self._quality.view("step"), step, side="right"))
        if q < self._quality.n:
            self._quality.truncate(q)
            self._dirty = True
        n = int(np.searchsorted(self._cols.view("step"), step, side="right"))
        if n == self._cols.n:
            return
        self._cols.truncate(n)
        self._retune_tau(force=True)  # restarts the averages, so they match the kept points

    def _append_quality(self, steps: np.ndarray, values: np.ndarray) -> None:
        keep = np.isfinite(values) & np.isfinite(steps)
        steps, values = steps[keep].round().astype(np.int64), values[keep]
        if not steps.size:
            return
        if self._quality.n and steps[0] <= self._quality.data["step"][self._quality.n - 1]:
            self._quality.truncate(np.searchsorted(self._quality.view("step"), steps[0], side="left"))
        while self._quality.n + len(steps) > self.max_points and self._quality.n >= 4:
            self._quality.decimate_older_half()
        self._quality.append({"step": steps, "quality": values})

    # -- drawing -------------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            cost = self.last_redraw_seconds + self._canvas.last_paint_seconds
            interval = max(REDRAW_MS, cost * 1000 / REDRAW_BUDGET)
            self._timer.start(int(interval))

    def _redraw_if_visible(self) -> None:
        if self.isVisible():
            self._redraw()
        # else: showEvent draws when the user comes back to this page

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._timer.start(0)

    def flush(self) -> None:
        """Draw pending data now (even while hidden)."""
        self._timer.stop()
        self._redraw()

    def _redraw(self) -> None:
        if not self._dirty:
            return
        started = time.perf_counter()
        steps = self._cols.view("step")
        for name in STEP_SERIES:
            self._items[name].setData(steps, self._cols.view(name))
            smooth = self._cols.view(name + SMOOTH_SUFFIX)
            start = _first_finite(smooth)
            self._items[name + SMOOTH_SUFFIX].setData(steps[start:], smooth[start:])
            self._halos[name].setData(steps[start:], smooth[start:])
        self._items["quality"].setData(self._quality.view("step"), self._quality.view("quality"))
        # Fit the autoranged axes now rather than inside the coming paint: pyqtgraph fits them
        # while painting, and the new range then asks for a second full paint (two paints per
        # redraw, measured; each one holds the GIL that the training thread needs).
        self._canvas.scene().prepareForPaint()
        self._dirty = False
        self.redraw_count += 1
        self.last_redraw_seconds = time.perf_counter() - started
        if self._hover_step is None:
            self._update_readout()

    def reset_view(self) -> None:
        """Autorange every plot (D outputs back to 0..1): the way back after zooming."""
        if not self._cols.n and not self._quality.n:
            # Nothing to fit yet: show a sensible empty frame. (setRange turns autorange
            # off, so this comes first and autorange is switched back on below.)
            self._loss_plot.setXRange(0, 1000, padding=0.02)
            self._loss_plot.setYRange(0, 2, padding=0.04)
            self._quality_plot.setYRange(0, 100, padding=0.04)
        self._loss_plot.enableAutoRange(x=True, y=0.98)
        # Linked plots follow the loss plot's x; autoranging them on x too would make them
        # fight over it (the quality plot would fit its few points).
        self._prob_plot.enableAutoRange(x=False, y=False)
        self._prob_plot.setYRange(0.0, 1.0, padding=0.06)
        self._quality_plot.enableAutoRange(x=False, y=True)

    # -- hover ---------------------------------------------------------------------------------
    def _on_mouse_moved(self, args) -> None:
        pos = args[0] if isinstance(args, (tuple, list)) else args
        for plot in self._plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                self._show_hover(vb.mapSceneToView(pos).x())
                return
        self._hide_hover()

    def _show_hover(self, x: float) -> None:
        steps = self._cols.view("step")
        q_steps = self._quality.view("step")
        if steps.size:
            i = int(np.clip(np.searchsorted(steps, x), 1, steps.size - 1)) if steps.size > 1 else 0
            if steps.size > 1 and abs(steps[i - 1] - x) <= abs(steps[i] - x):
                i -= 1
            step = float(steps[i])
        elif q_steps.size:
            i, step = None, float(q_steps[np.argmin(np.abs(q_steps - x))])
        else:
            self._hide_hover()
            return
        self._hover_step = step
        for line in self._cursors:
            line.setPos(step)
            line.setVisible(True)
        self._update_readout(i, step)

    def _hide_hover(self) -> None:
        self._hover_step = None
        for line in getattr(self, "_cursors", ()):
            line.setVisible(False)
        if hasattr(self, "_readout"):
            self._update_readout()

    def _update_readout(self, index: int | None = None, step: float | None = None) -> None:
        """Values at the hovered step, or the newest values when the mouse is elsewhere."""
        n = self._cols.n
        if step is None:
            if not n and not self._quality.n:
                self._set_readout("Curves appear here once training starts.", "Curves appear here once training starts.")
                return
            index = n - 1 if n else None
            step = float(self._cols.data["step"][n - 1]) if n else float(self._quality.data["step"][self._quality.n - 1])
        p = PALETTES[self._theme or "dark"]
        head = f"Step {int(step):,}"
        # Each part: (colour, full text, short text). The short one leaves out this step's own
        # value, for when the full line does not fit the panel (see _fit_readout).
        parts: list[tuple[str | None, str, str]] = [(None, head, head)]
        if index is not None:
            for name in STEP_SERIES:
                raw_item, smooth_item = self._items[name], self._items[name + SMOOTH_SUFFIX]
                if not smooth_item.isVisible():
                    continue
                avg = float(self._cols.data[name + SMOOTH_SUFFIX][index])
                short = f"{LABELS[name]} {_fmt(avg)}"
                full = short
                if raw_item.isVisible():
                    full += f" ({_fmt(float(self._cols.data[name][index]))})"
                parts.append((p[name], full, short))
        qn = int(np.searchsorted(self._quality.view("step"), step, side="right"))
        if qn and self._items["quality"].isVisible():
            q_step = int(self._quality.data["step"][qn - 1])
            text = f"SWD {_fmt(float(self._quality.data['quality'][qn - 1]))}"
            if q_step != int(step):
                text += f" at {q_step:,}"
            parts.append((p["quality"], text, text))
        self._readout_parts = parts
        self._readout_plain = "  ".join(full for _, full, _ in parts)
        self._fit_readout()

    def _set_readout(self, rich: str, plain: str) -> None:
        self._readout_parts = []
        self._readout.setText(rich)
        self._readout.setToolTip(READOUT_TIP)
        self._readout_plain = self._readout_shown = plain

    def _fit_readout(self) -> None:
        """Show as much of the readout as fits on one line: every value with this step's own
        in brackets; else the smoothed values only; else the first few. Never a cut-off word."""
        parts = self._readout_parts
        if not parts:
            return
        metrics = self._readout.fontMetrics()
        room = self._readout.width() - 4
        candidates = [[full for _, full, _ in parts]]
        candidates += [[short for _, _, short in parts[:k]] for k in range(len(parts), 0, -1)]
        for texts in candidates:
            # Bold head and the gaps: measure generously rather than clip the last letters.
            if metrics.horizontalAdvance("  ".join(texts)) * 1.08 <= room:
                break
        rich = [f"<b>{_html(texts[0])}</b>"]
        rich += [f"<span style='color:{colour}'>{_html(text)}</span>" for (colour, _, _), text in zip(parts[1:], texts[1:])]
        self._readout.setText("&nbsp;&nbsp;".join(rich))
        self._readout.setToolTip(
            READOUT_TIP
            + ("" if texts is candidates[0] else f"\n{self._readout_plain}")
        )
        self._readout_shown = "  ".join(texts)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_readout()  # the layout has already given the readout its new width

    def shown_readout(self) -> str:
        """The readout as it is shown right now, as plain text (tests)."""
        return self._readout_shown

    def hover_text(self) -> str:
        """The readout as plain text (tests, accessibility)."""
        return self._readout_plain

    def _sync_raw_visibility(self) -> None:
        # A legend click hides the smoothed line; its thin twin follows it.
        for name in STEP_SERIES:
            smooth_shown = self._items[name + SMOOTH_SUFFIX].isVisible()
            self._halos[name].setVisible(smooth_shown)
            self._items[name].setVisible(smooth_shown and self._raw_check.isChecked())
        self._update_readout()

    # -- inspection (tests) -----------------------------------------------------------------
    def point_count(self) -> int:
        return self._cols.n

    def buffer_capacity(self) -> int:
        return self._cols.capacity

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) as last handed to the plot, copied."""
        x, y = self._items[name].getOriginalDataset()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.array(x), np.array(y)

    def plot_items(self) -> tuple[pg.PlotItem, pg.PlotItem, pg.PlotItem]:
        return self._plots


def _first_finite(values: np.ndarray) -> int:
    if not values.size or math.isfinite(values[0]):
        return 0
    finite = np.isfinite(values)
    return int(np.argmax(finite)) if finite.any() else values.size


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["TrainingPlots", "ema_over_steps", "auto_tau"]
