"""The numbers behind the training curves (pure numpy; the plots widget draws them).

* `Columns`: growable buffers for a run's series, capped at `max_points` each by
  decimating the older half, so a million-step run stays light;
* `ema_over_steps`: an exponential moving average over *steps*, not points, so a point
  standing for a tick of 50 steps weighs as much as 50 per-step points;
* `auto_tau`: the smoothing's time constant for the steps shown;
* `step_labels` / `format_value`: numbers as people say them (12k, 1.5M, 3.2e-05).
"""

from __future__ import annotations

import math

import numpy as np

MAX_POINTS = 1 << 20  # per series; ~40 MB for all columns at the cap
MIN_TAU = 8.0  # steps; shorter would barely smooth per-step noise
TAU_FRACTION = 1 / 50  # auto time constant: this fraction of the steps shown
_EMA_CHUNK = 200.0  # time constants per closed-form chunk: exp(200) ~ 7e86 cannot overflow


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


class Columns:
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


def format_value(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def first_finite(values: np.ndarray) -> int:
    if not values.size or math.isfinite(values[0]):
        return 0
    finite = np.isfinite(values)
    return int(np.argmax(finite)) if finite.any() else values.size
