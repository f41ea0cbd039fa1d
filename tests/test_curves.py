"""The numbers behind the training curves, without a display: smoothing over steps and capped buffers."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runs.curves import MIN_TAU, Columns, auto_tau, ema_over_steps


def test_smoothing_is_smooth_and_lags_as_an_ema_should():
    rng = np.random.default_rng(0)
    steps = np.arange(1, 5001, dtype=np.float64)
    noisy = 1.0 + rng.normal(0, 0.3, steps.size)
    smooth, _ = ema_over_steps(steps, noisy, 50.0)
    assert smooth[500:].std() < noisy[500:].std() / 5
    # A step from 0 to 1 at step 1000: after tau steps the average has come 1 - 1/e of the way.
    jump = np.where(steps < 1000, 0.0, 1.0)
    lagged, _ = ema_over_steps(steps, jump, 50.0)
    assert lagged[998] == 0.0
    assert lagged[999 + 50] == pytest.approx(1 - np.exp(-51 / 50), abs=1e-9)
    assert lagged[-1] == pytest.approx(1.0, abs=1e-9)


def test_smoothing_in_pieces_equals_smoothing_at_once_and_weighs_by_steps():
    rng = np.random.default_rng(1)
    steps = np.cumsum(rng.integers(1, 60, 3000)).astype(np.float64)  # uneven, like per-tick history
    values = rng.normal(size=3000)
    values[[5, 6, 700]] = np.nan
    whole, _ = ema_over_steps(steps, values, 37.0)
    parts, state = [], None
    for chunk in np.array_split(np.arange(3000), 7):
        out, state = ema_over_steps(steps[chunk], values[chunk], 37.0, state)
        parts.append(out)
    assert np.allclose(np.concatenate(parts), whole, rtol=1e-10, atol=1e-12)
    # Reference recurrence, one point at a time, skipping NaN.
    y, last, ref = None, None, []
    for s, v in zip(steps, values):
        if np.isfinite(v):
            y = v if y is None else np.exp(-(s - last) / 37.0) * y + (1 - np.exp(-(s - last) / 37.0)) * v
            last = s
        ref.append(y)
    assert np.allclose(whole, ref, rtol=1e-9, atol=1e-12)


def test_smoothing_survives_long_gaps_and_huge_spans():
    steps = np.array([1.0, 2.0, 1e9, 1e9 + 1])
    out, _ = ema_over_steps(steps, np.array([1.0, 1.0, 5.0, 5.0]), 8.0)
    assert np.isfinite(out).all() and out[-1] == pytest.approx(5.0)
    steps = np.arange(1, 200_001, dtype=np.float64)
    out, _ = ema_over_steps(steps, np.ones_like(steps), 8.0)  # thousands of chunks
    assert np.allclose(out, 1.0)


def test_auto_smoothing_follows_the_run_in_powers_of_two():
    assert auto_tau(10) == MIN_TAU
    assert auto_tau(100_000) == 1024  # 100k / 50 = 2000, rounded down to 2^10
    assert auto_tau(1_000_000) == 16384


def test_columns_decimate_the_older_half_and_keep_the_envelope():
    cols = Columns({"step": np.float64, "v": np.float32}, capacity=4)
    cols.append({"step": np.arange(8.0), "v": np.array([0, 9, 1, 8, 2, 7, 3, 6], np.float32)})
    cols.decimate_older_half(envelope=("v",))
    assert cols.view("step").tolist() == [0, 2, 4, 5, 6, 7]
    assert cols.view("v").tolist() == [9, 1, 2, 7, 3, 6]  # max of the first pair, min of the second
