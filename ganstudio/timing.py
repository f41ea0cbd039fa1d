"""Timing a few ways of doing the same work on a shared, noisy machine: in turns, best of N."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable

import torch


def best_seconds_taking_turns(
    calls: dict[Hashable, Callable[[], object]], rounds: int, clock: Callable[[], float] = time.perf_counter
) -> dict[Hashable, float]:
    """The fastest of `rounds` timings of each call, the calls taking turns (after one untimed call each).

    Taking turns lets every call meet the same busy moments (another program, a drifting
    cloud machine), and the best of several finds a quiet one for each. The first call of
    each is not timed: it allocates and picks its kernels.
    """
    best = {key: math.inf for key in calls}
    with torch.no_grad():
        for call in calls.values():
            call()
        for _ in range(rounds):
            for key, call in calls.items():
                start = clock()
                call()
                best[key] = min(best[key], clock() - start)
    return best
