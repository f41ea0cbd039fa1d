"""How many CPU threads training gets, and how the window's threads share the cores.

No torch import at module level: the window asks before torch loads.
"""

from __future__ import annotations

import os
import sys
import threading


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_torch_default: int | None = None


def remember_torch_default(current: int) -> int:
    """torch's own thread count (its pick: usually the physical cores), taken before we change it."""
    global _torch_default
    if _torch_default is None:
        _torch_default = int(current)
    return _torch_default


def training_threads_beside_window(torch_default: int, cores: int | None = None) -> int:
    """CPU threads for training while the window is open: every core but one, at most torch's pick.

    The spare core keeps the GUI thread from queueing behind the training threads. On a
    machine with two cores or fewer a spare core would be half the machine, and there it
    measured no smoother (tests/bench/gui_latency.py: p99 lateness 28 ms with one training
    thread, 26 ms with two, at 11% fewer images/s), so training keeps every core; the GUI
    thread gets its turns from the short interpreter switch interval instead. torch's
    default already leaves out hyper-threads, which only slow convolutions down.
    """
    cores = cpu_cores() if cores is None else int(cores)
    if cores <= 2:
        return max(1, int(torch_default))
    return max(1, min(int(torch_default), cores - 1))


def leave_the_cores_to_training() -> None:
    """Run this thread's PyTorch CPU work on one thread, and make that the default for new threads.

    For every thread of the window except training's (the GUI thread, the explorer's render
    thread, exports, loaders). A thread that runs multi-threaded PyTorch work keeps its own
    team of OpenMP helper threads for as long as it lives, even if it later drops to one
    thread. Once the process holds more OpenMP threads than there are cores, OpenMP stops
    letting idle helpers spin and puts them to sleep instead, so every parallel region of
    the training thread waits for its helper to be woken: with the explorer's thread and
    the GUI thread each holding a team, Quick sketch trained in the window at about half
    the speed it had on its own, and the cores sat 40% idle (tests/bench/gui_latency.py).
    The window's own torch work is small (one 64 px picture renders in a few ms on one
    thread), so it gives up nothing that matters.

    Calls `remember_torch_default` first, so torch's own thread count is still known for
    training. Asking torch for its count also runs this thread's one-time thread set-up,
    which would otherwise reset the count at its first parallel operation.
    """
    import torch

    remember_torch_default(torch.get_num_threads())
    torch.set_num_threads(1)


# How much lower than the window's the training thread's CPU priority is (a nice value).
TRAINING_NICENESS = 5


def let_the_window_go_first() -> int | None:
    """Lower this thread's CPU priority by TRAINING_NICENESS (Linux); returns its nice value.

    For the window's training thread, called before it runs any torch work, so that the
    OpenMP helpers it starts inherit the priority. Training keeps both cores of a 2-core
    machine busy, and the GUI thread then waited for a core: a 10 ms timer's p99 lateness
    was 35-41 ms. With training at nice 5 it was 18-23 ms, and training ran as fast
    (1,509-1,843 against 1,367-1,689 images/s, tests/bench/gui_latency.py, in turns).
    Elsewhere (macOS, Windows) thread priorities work differently: nothing changes there.
    """
    if not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()  # on Linux a thread's own id is a valid PRIO_PROCESS target
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + TRAINING_NICENESS))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError:  # a sandbox that forbids it: train at the normal priority
        return None
