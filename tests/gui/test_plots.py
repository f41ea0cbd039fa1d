"""TrainingPlots: what a user sees on the curves, and that it stays cheap for long runs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from ganstudio.training.trainer import TickReport
from ganstudio.gui.widgets.plots import TrainingPlots
from ganstudio.runs.curves import MIN_TAU
from ganstudio.training.metrics import QualityFigure


def make_report(first_step: int, d_loss, g_loss=None, d_real=None, d_fake=None, swd: float | None = None) -> TickReport:
    d_loss = np.asarray(d_loss, dtype=np.float64)
    k = len(d_loss)
    fill = lambda v, default: np.asarray(v, np.float64) if v is not None else np.full(k, default)  # noqa: E731
    return TickReport(
        step=first_step + k - 1,
        first_step=first_step,
        images_seen=(first_step + k - 1) * 8,
        d_loss=d_loss,
        g_loss=fill(g_loss, 1.0),
        d_real=fill(d_real, 0.6),
        d_fake=fill(d_fake, 0.4),
        steps_per_second=10.0,
        images_per_second=80.0,
        elapsed=1.0,
        eta=None,
        progress=None,
        batch=8,
        lr_scale=1.0,
        augment_probability=0.0,
        state="running",
        quality=QualityFigure(swd=swd, per_level=(swd,), images=16) if swd is not None else None,
    )


@pytest.fixture
def plots(qtbot):
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_names_for_automation(plots):
    assert plots.objectName() == "lossPlot" and plots.accessibleName()
    assert plots.findChild(object, "resetPlotButton") is not None


def test_appended_reports_give_points_in_step_order(plots, qtbot):
    plots.append_report(make_report(1, [1.0, 2.0, 3.0], g_loss=[4.0, 5.0, 6.0]))
    plots.append_report(make_report(4, [7.0, 8.0], g_loss=[9.0, 10.0], swd=42.0))
    assert plots.point_count() == 5
    qtbot.waitUntil(lambda: plots.series("d_loss")[0].size == 5, timeout=2000)
    steps, d = plots.series("d_loss")
    assert steps.tolist() == [1, 2, 3, 4, 5]
    assert d.tolist() == [1, 2, 3, 7, 8]
    assert plots.series("g_loss")[1].tolist() == [4, 5, 6, 9, 10]
    assert plots.series("d_real")[1].tolist() == pytest.approx([0.6] * 5)
    q_steps, q = plots.series("quality")
    assert q_steps.tolist() == [5] and q.tolist() == [42.0]
    assert plots.series("d_loss_smooth")[0].tolist() == [1, 2, 3, 4, 5]


def test_a_burst_of_reports_costs_one_redraw(plots, qtbot):
    plots.flush()
    before = plots.redraw_count
    for i in range(50):
        plots.append_report(make_report(1 + 10 * i, np.full(10, float(i))))
    assert plots.series("d_loss")[0].size == 0  # stored, not drawn yet
    qtbot.waitUntil(lambda: plots.series("d_loss")[0].size == 500, timeout=2000)
    qtbot.wait(300)
    assert plots.redraw_count - before == 1


def test_a_redraw_that_moves_the_axes_paints_once(plots, qtbot):
    # Each paint holds the GIL the training thread needs: a redraw must cost one, even when
    # the new points stretch both axes (pyqtgraph's fit-while-painting used to ask for two).
    plots.append_report(make_report(1, np.linspace(1.0, 2.0, 50)))
    plots.flush()
    qtbot.wait(200)
    before = plots._canvas.paint_count
    plots.append_report(make_report(51, np.linspace(5.0, 9.0, 50)))
    plots.flush()
    qtbot.wait(300)
    assert plots._canvas.paint_count - before == 1
    assert plots._loss_plot.viewRange()[0][1] >= 100 and plots._loss_plot.viewRange()[1][1] >= 9


def test_overlapping_report_replaces_the_overlap(plots):
    plots.append_report(make_report(1, [1.0, 1.0, 1.0, 1.0]))
    plots.append_report(make_report(3, [5.0, 5.0]))  # a rollback the widget was not told about
    plots.flush()
    steps, d = plots.series("d_loss")
    assert steps.tolist() == [1, 2, 3, 4] and d.tolist() == [1, 1, 5, 5]


def test_a_resumed_run_replaces_the_quality_of_the_steps_it_trains_again(plots):
    """History logged past the last checkpoint (steps 9-13): the resumed run trains them
    again, so the old quality figure at step 13 leaves with the old curve."""
    steps = np.array([4, 8, 13])
    plots.load_history(steps, [1.0, 0.9, 0.8], [2.0] * 3, [0.5] * 3, [0.4] * 3, [8, 13], [30.0, 1.0])
    plots.append_report(make_report(9, [0.7, 0.7, 0.7, 0.7]))  # resumed from the checkpoint at step 8
    plots.flush()
    assert plots.series("d_loss")[0].tolist() == [4, 8, 9, 10, 11, 12]
    assert plots.series("quality")[0].tolist() == [8]
    plots.append_report(make_report(13, [0.6], swd=25.0))
    plots.flush()
    assert plots.series("quality")[0].tolist() == [8, 13] and plots.series("quality")[1].tolist() == [30.0, 25.0]


def test_load_history_replaces_and_draws_at_once(plots):
    plots.append_report(make_report(1, np.ones(100)))
    steps = np.array([10, 20, 30, 40])
    plots.load_history(steps, [1.0, 0.9, 0.8, 0.7], [2.0, 2.1, np.nan, 2.3], [0.5] * 4, [0.4] * 4, [20, 40], [30.0, 20.0])
    assert plots.point_count() == 4
    s, d = plots.series("d_loss")
    assert s.tolist() == [10, 20, 30, 40] and np.allclose(d, [1.0, 0.9, 0.8, 0.7])
    assert np.isnan(plots.series("g_loss")[1][2])
    assert plots.series("quality")[1].tolist() == [30.0, 20.0]
    assert np.isfinite(plots.series("g_loss_smooth")[1]).all()


def test_truncate_after_drops_later_points(plots):
    plots.append_report(make_report(1, np.arange(10.0), swd=5.0))
    plots.append_report(make_report(11, np.arange(10.0), swd=4.0))
    plots.truncate_after(12)
    assert plots.point_count() == 12
    steps, _ = plots.series("d_loss")  # drawn at once: a rollback is rare and should show
    assert steps[-1] == 12
    assert plots.series("quality")[0].tolist() == [10]
    assert plots.series("d_loss_smooth")[0][-1] == 12
    plots.append_report(make_report(13, [1.0]))
    plots.flush()
    assert plots.series("d_loss")[0][-3:].tolist() == [11, 12, 13]


def test_clear_empties_everything(plots):
    plots.append_report(make_report(1, np.ones(10), swd=3.0))
    plots.clear()
    assert plots.point_count() == 0
    assert plots.series("d_loss")[0].size == 0 and plots.series("quality")[0].size == 0
    assert "appear" in plots.hover_text()


def test_nan_and_inf_values_do_not_break_drawing(plots, qtbot):
    plots.append_report(make_report(1, [np.nan, np.nan, 1.0, np.inf, 2.0, np.nan], g_loss=[np.nan] * 6))
    plots.flush()
    qtbot.wait(50)  # a paint happens
    steps, d = plots.series("d_loss")
    assert steps.size == 6 and np.isnan(d[0])
    s_steps, smooth = plots.series("d_loss_smooth")
    assert s_steps[0] == 3 and np.isfinite(smooth).all()  # leading gap trimmed, rest finite
    assert plots.series("g_loss_smooth")[0].size == 0  # all-NaN: nothing to draw, no crash
    plots.append_report(make_report(7, [1.5]))
    plots.flush()
    assert np.isfinite(plots.series("d_loss_smooth")[1]).all()
    plots.grab()  # render it once for real


def test_hover_over_a_point_shows_its_step_and_values(plots, qtbot):
    plots.load_history(np.arange(100, 5100, 100), np.linspace(2, 1, 50), np.linspace(1, 3, 50), [0.5] * 50,
                       [0.25] * 50, [1000, 3000], [50.0, 30.0])
    qtbot.wait(50)
    loss_plot = plots.plot_items()[0]
    scene_pos = loss_plot.getViewBox().mapViewToScene(QPointF(2300, 1.5))
    plots._on_mouse_moved((scene_pos,))
    text = plots.hover_text()
    assert "Step 2,300" in text
    assert "D(x) 0.5" in text and "SWD 50 at 1,000" in text
    # the same step in the lowest plot (shared x axis)
    q_plot = plots.plot_items()[2]
    plots._on_mouse_moved((q_plot.getViewBox().mapViewToScene(QPointF(3000, 40)),))
    assert "Step 3,000" in plots.hover_text() and "SWD 30" in plots.hover_text()
    # leaving the plots goes back to the newest values
    plots._on_mouse_moved((QPointF(-50, -50),))
    assert "Step 5,000" in plots.hover_text()


def test_the_readout_fits_a_narrow_panel_without_cutting_a_word(plots, qtbot):
    plots.append_report(make_report(1, [0.661, 0.662], g_loss=[2.631, 2.632], swd=41.5))
    plots.flush()
    full = plots.hover_text()
    assert "(2.63)" in full and "SWD 41.5" in full
    assert plots.shown_readout() == full  # 900 px: everything fits

    readout = plots.findChild(object, "plotReadout")
    for width, must_show in ((560, "G loss"), (330, "Step 2")):
        plots.resize(width, 600)
        qtbot.waitUntil(lambda: plots.shown_readout() != full, timeout=2000)
        shown = plots.shown_readout()
        assert must_show in shown and " (" not in shown  # this step's own values go first
        assert readout.fontMetrics().horizontalAdvance(shown) <= readout.width()
        # Whole values from the start of the line, never a word cut in half.
        smoothed_only = [part.split(" (")[0] for part in full.split("  ")]
        assert shown.split("  ") == smoothed_only[: len(shown.split("  "))]
        assert full in readout.toolTip()  # the whole line is one hover away
    plots.resize(900, 600)
    qtbot.waitUntil(lambda: plots.shown_readout() == full, timeout=2000)


def test_reset_view_brings_back_the_whole_run(plots, qtbot):
    plots.load_history(np.arange(1, 1001), np.ones(1000), np.ones(1000), [0.5] * 1000, [0.5] * 1000, [], [])
    loss_plot = plots.plot_items()[0]
    loss_plot.setXRange(100, 200)
    assert loss_plot.getViewBox().autoRangeEnabled()[0] is False
    plots.findChild(object, "resetPlotButton").click()
    qtbot.waitUntil(lambda: loss_plot.getViewBox().viewRange()[0][1] >= 1000, timeout=2000)
    assert loss_plot.getViewBox().viewRange()[0][0] <= 1


def test_legend_hides_raw_and_smooth_together(plots):
    plots.append_report(make_report(1, np.ones(10)))
    plots.flush()
    plots._items["d_loss_smooth"].setVisible(False)  # what a legend click does
    assert not plots._items["d_loss"].isVisible()
    assert "D loss" not in plots.hover_text() and "G loss" in plots.hover_text()


def test_memory_stays_bounded_past_the_cap(qtbot):
    widget = TrainingPlots(max_points=1000)
    qtbot.addWidget(widget)
    for i in range(100):
        widget.append_report(make_report(1 + 100 * i, np.sin(np.arange(100) + i)))
    assert widget.point_count() <= 1000
    assert widget.buffer_capacity() <= 1024
    widget.flush()
    steps, _ = widget.series("d_loss")
    assert steps[-1] == 10_000 and np.all(np.diff(steps) > 0)
    assert steps[-100:].tolist() == list(range(9901, 10_001))  # recent history at full resolution


def test_a_million_steps_append_and_redraw(plots):
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(1000):
        first = 1 + 1000 * i
        plots.append_report(make_report(first, 0.7 + 0.1 * rng.standard_normal(1000)))
    appended = time.perf_counter() - t0
    t0 = time.perf_counter()
    plots.flush()
    redraw = time.perf_counter() - t0
    t0 = time.perf_counter()
    plots.grab()
    painted = time.perf_counter() - t0
    print(f"\n1M steps: append {appended * 1e3:.0f} ms total, one redraw {redraw * 1e3:.0f} ms, paint {painted * 1e3:.0f} ms")
    assert plots.point_count() == 1_000_000
    assert plots.buffer_capacity() == 1 << 20  # doubling stopped at the first power of two that fits
    assert plots.series("d_loss")[0][-1] == 1_000_000


def test_a_hidden_widget_draws_when_shown(qtbot):
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.append_report(make_report(1, np.ones(10)))
    qtbot.wait(300)
    assert widget.redraw_count == 0  # nobody is looking: no drawing
    widget.show()
    qtbot.waitUntil(lambda: widget.series("d_loss")[0].size == 10, timeout=2000)


def test_fixed_smoothing_can_be_set(plots):
    steps = np.arange(1, 201)
    plots.load_history(steps, np.where(steps < 100, 0.0, 1.0), np.ones(200), np.ones(200), np.ones(200), [], [])
    plots.set_smoothing(10)
    plots.flush()
    assert plots.smoothing_steps() == 10
    _, smooth = plots.series("d_loss_smooth")
    assert smooth[99 + 10] == pytest.approx(1 - np.exp(-11 / 10), abs=1e-6)
    plots.set_smoothing(None)
    assert plots.smoothing_steps() == MIN_TAU


def test_follows_a_light_or_dark_palette(plots):
    from PySide6.QtGui import QColor, QPalette

    light = QPalette(QColor("#f0f0f0"))
    plots.setPalette(light)
    assert plots._theme == "light"
    dark = QPalette(QColor("#2a2b2e"))
    plots.setPalette(dark)
    assert plots._theme == "dark"
