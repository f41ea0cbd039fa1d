"""When quality is measured, and which generator is 'best' (ganstudio/quality.py)."""

from __future__ import annotations

import pytest

from ganstudio.training.quality import QualityTracker


def marks(tracker: QualityTracker, seconds: float, cost: float) -> list[float]:
    """The training times at which a run of `seconds` measures, each measurement taking `cost`."""
    out, t = [], 0.0
    while t < seconds:
        t += 0.25  # a tick
        if tracker.due(t):
            out.append(t)
            tracker.measured(t, cost)
    return out


def test_measurements_are_dense_early_sparse_later_and_cost_at_most_the_budget():
    tracker = QualityTracker(first_seconds=15, growth=0.25, budget=0.05, max_spacing=600)
    times = marks(tracker, 3600, cost=1.0)
    assert times[0] == 15
    assert sum(t < 120 for t in times) >= 5  # the first two minutes are watched most
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g >= 20 - 1e-9 for g in gaps)  # 1 s a measurement at 5%: never closer than 20 s
    assert gaps[-1] > gaps[0] and max(gaps) <= 600 + 0.25
    assert len(times) * 1.0 / 3600 <= 0.05


def test_every_tick_when_the_spacing_is_zero():
    tracker = QualityTracker(first_seconds=1e9, max_spacing=0)
    assert tracker.due(0.0) and tracker.due(1.0)


def test_a_newer_generator_is_best_unless_an_older_one_is_better_beyond_the_noise():
    tracker = QualityTracker()
    first = tracker.judge(100, 50.0, 52.0)  # two sample sets: figure 51, noise from their gap
    assert first.best and first.new_lowest
    assert tracker.noise == pytest.approx(2 ** 0.5)  # sqrt((50 - 52)^2 / 2)
    slightly_worse = tracker.judge(200, 52.0, 53.0)  # 52.5: within 2 x noise of 51
    assert slightly_worse.best and not slightly_worse.new_lowest
    assert "within the measurement's noise" in slightly_worse.reason()
    much_worse = tracker.judge(300, 70.0, 70.5)  # far above 51 + 2 x noise
    assert not much_worse.best
    assert much_worse.reason().startswith("step 100 measured 51.00")
    better = tracker.judge(400, 40.0, 41.0)
    assert better.best and better.new_lowest and tracker.lowest == pytest.approx(40.5)


def test_an_older_generator_wins_only_when_the_shapes_only_view_agrees():
    tracker = QualityTracker()
    tracker.judge(100, 50.0, 52.0, shapes=(30.0, 31.0))
    # Far worse in overall tone, as good in shapes and textures: the newer one stays 'best'.
    toned = tracker.judge(200, 70.0, 70.5, shapes=(30.5, 31.0))
    assert toned.best and toned.second_view_keeps and "wins only on overall tone" in toned.reason()
    # Worse in both views: the older one wins.
    worse = tracker.judge(300, 71.0, 71.5, shapes=(45.0, 46.0))
    assert not worse.best and not worse.second_view_keeps


def test_the_tracker_survives_a_save_and_a_damaged_state():
    tracker = QualityTracker()
    tracker.judge(10, 30.0, 31.0)
    tracker.measured(20.0, 1.0)
    again = QualityTracker()
    again.load_state_dict(tracker.state_dict())
    assert again.state_dict() == tracker.state_dict()
    damaged = QualityTracker()
    damaged.load_state_dict({"next_due": "soon", "lowest": float("nan"), "noise_count": None})
    assert damaged.lowest is None and damaged.next_due == damaged.first_seconds and damaged.noise == 0.0
