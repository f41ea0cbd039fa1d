"""Live training curves that stay fast for a run of a million steps.

Three stacked plots share the step axis: the two losses, the discriminator's outputs
D(x) and D(G(z)), and the quality figure (SWD). The widget is built for a data rate of
a few thousand points a second and runs of a million steps:

* Values live in growable numpy buffers (amortised doubling), never Python lists.
  Memory is capped at `max_points` per series: past the cap the older half is
  decimated by two (see `Columns.decimate_older_half`), so old history loses
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

import html
import time
import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

import pyqtgraph as pg

from ganstudio.gui.widgets.plots_layout import LABELS, PALETTES, SMOOTH_SUFFIX, STEP_SERIES, PlotsLayout
from ganstudio.runs.curves import MAX_POINTS, MIN_TAU, Columns, auto_tau, ema_over_steps, first_finite, format_value

READOUT_TIP = "Smoothed value, with this step's own value in brackets"
REDRAW_MS = 400  # at most ~2.5 redraws a second: live enough, and each paint of three plots costs ~20 ms
REDRAW_BUDGET = 0.1  # a slow redraw stretches the interval so drawing stays under ~10% of the GUI thread

class TrainingPlots(PlotsLayout, QWidget):
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
        self._cols = Columns(spec)
        self._quality = Columns({"step": np.int64, "quality": np.float32, "copies": np.float32}, capacity=64)
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
            copies = getattr(quality, "copies", None)
            self._append_quality(np.array([report.step], np.float64), np.array([quality.swd], np.float64),
                                 np.array([np.nan if copies is None else copies], np.float64))
        if k or quality is not None:
            self._schedule()

    def load_history(self, steps, d_loss, g_loss, d_real, d_fake, quality_steps, quality, copies=None) -> None:
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
        c_values = np.asarray(copies, dtype=np.float64).ravel() if copies is not None else np.full(len(q_values), np.nan)
        if len(c_values) != len(q_values):
            c_values = np.full(len(q_values), np.nan)
        if q_steps.size:
            order = np.argsort(q_steps, kind="stable")
            self._append_quality(q_steps[order], q_values[order], c_values[order])
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

    def _append_quality(self, steps: np.ndarray, values: np.ndarray, copies: np.ndarray | None = None) -> None:
        keep = np.isfinite(values) & np.isfinite(steps)
        copies = np.full(len(values), np.nan) if copies is None else copies
        steps, values, copies = steps[keep].round().astype(np.int64), values[keep], copies[keep]
        if not steps.size:
            return
        if self._quality.n and steps[0] <= self._quality.data["step"][self._quality.n - 1]:
            self._quality.truncate(np.searchsorted(self._quality.view("step"), steps[0], side="left"))
        while self._quality.n + len(steps) > self.max_points and self._quality.n >= 4:
            self._quality.decimate_older_half()
        self._quality.append({"step": steps, "quality": values, "copies": copies})

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
            start = first_finite(smooth)
            self._items[name + SMOOTH_SUFFIX].setData(steps[start:], smooth[start:])
            self._halos[name].setData(steps[start:], smooth[start:])
        self._items["quality"].setData(self._quality.view("step"), self._quality.view("quality"))
        copies = self._quality.view("copies")
        measured = np.isfinite(copies)  # runs from before the copy check have none
        self._items["copies"].setData(self._quality.view("step")[measured], copies[measured])
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
                short = f"{LABELS[name]} {format_value(avg)}"
                full = short
                if raw_item.isVisible():
                    full += f" ({format_value(float(self._cols.data[name][index]))})"
                parts.append((p[name], full, short))
        qn = int(np.searchsorted(self._quality.view("step"), step, side="right"))
        if qn and self._items["quality"].isVisible():
            q_step = int(self._quality.data["step"][qn - 1])
            text = f"SWD {format_value(float(self._quality.data['quality'][qn - 1]))}"
            if q_step != int(step):
                text += f" at {q_step:,}"
            parts.append((p["quality"], text, text))
            copies = float(self._quality.data["copies"][qn - 1])
            if np.isfinite(copies):
                text = f"copies {copies:.0%}"
                parts.append((p["copies"], text, text))
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
        rich = [f"<b>{html.escape(texts[0])}</b>"]
        rich += [f"<span style='color:{colour}'>{html.escape(text)}</span>" for (colour, _, _), text in zip(parts[1:], texts[1:])]
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


__all__ = ["TrainingPlots"]
