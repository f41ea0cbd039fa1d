"""The explorer's renderer: a QThread where the newest request wins.

QtCore and pure modules only (it cannot touch a widget; a test enforces it).

The GUI thread calls `request(id, latents)` as often as it likes (every slider tick of a
drag). Each *lane* ("view" for the big image, "grid" for the variation thumbnails, ...)
holds at most ONE pending request: a newer request replaces the older one, which is then
never rendered. So a fast drag can never build a queue: the thread renders the newest
latent, and by the time it is done only the newest of the ones that came in meanwhile is
waiting. The "view" lane goes first, so a grid refresh never delays the big image.

The generator is a detached CPU eval copy that nobody else trains (`set_generator`). Each
result leaves as `rendered(id, uint8 (N, H, W, C) contiguous array)`; results for a request
that was superseded while it rendered are still emitted (the id tells the receiver whether
it still cares), but nothing ever waits in a queue.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QThread, Signal

if TYPE_CHECKING:  # imported where used: the window is built before torch has loaded
    import torch

log = logging.getLogger("ganstudio.gui.render")

VIEW = "view"


class RenderThread(QThread):
    rendered = Signal(int, object)  # request id, uint8 (N, H, W, C) contiguous
    failed = Signal(int, str)  # request id, one plain line

    def __init__(self, parent=None, *, threads: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("RenderThread")
        # 0: one thread, leaving the cores to training (threads.leave_the_cores_to_training).
        # More makes a render faster when nothing trains, but then this thread keeps a team
        # of OpenMP helpers for its whole life, and training beside it runs about half speed.
        self._threads = int(threads)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[int, torch.Tensor]] = {}  # lane -> newest request
        self._generator: torch.nn.Module | None = None
        self._generation = 0  # bumped by set_generator, so a stale result can be told apart
        self._stopping = False
        # Counters for tests and benches (read from the GUI thread; ints are atomic enough).
        self.torch_threads = 0  # the CPU threads this thread's renders use, once it runs
        self.renders = 0
        self.dropped = 0
        self.last_render_ms = 0.0

    # -- from the GUI thread ----------------------------------------------------------------
    def set_generator(self, generator: torch.nn.Module | None) -> None:
        """Use this generator from the next render on. Pass a detached copy, never the
        module being trained; it is put in eval mode with gradients off."""
        if generator is not None:
            from ganstudio.explore.latent import prepare_generator

            generator = prepare_generator(generator)
        with self._cond:
            self._generator = generator
            self._generation += 1
            self._cond.notify_all()

    def generator(self) -> torch.nn.Module | None:
        with self._cond:
            return self._generator

    def request(self, request_id: int, latents: torch.Tensor, lane: str = VIEW) -> None:
        """Render `latents` ((z_dim,) or (N, z_dim)); replaces any pending request of the lane."""
        import torch

        z = torch.as_tensor(latents, dtype=torch.float32).detach()
        if z.ndim == 1:
            z = z.unsqueeze(0)
        if z.ndim != 2 or z.shape[0] == 0:
            raise ValueError(f"latents must be (z_dim,) or (N, z_dim), got {tuple(z.shape)}")
        z = z.to("cpu").clone()  # our own copy: the caller may reuse its tensor
        with self._cond:
            if lane in self._pending:
                self.dropped += 1
            self._pending[lane] = (int(request_id), z)
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Drop what is pending, finish the render in progress, end the thread; True when it ended."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        if self.isRunning():
            return self.wait(timeout_ms)
        return True

    # -- the thread ----------------------------------------------------------------------------
    def _take(self):
        with self._cond:
            while not self._stopping and (not self._pending or self._generator is None):
                self._cond.wait()
            if self._stopping:
                return None
            lane = VIEW if VIEW in self._pending else next(iter(self._pending))
            request_id, z = self._pending.pop(lane)
            return request_id, z, self._generator

    def run(self) -> None:  # noqa: D401 - QThread entry point
        import torch

        from ganstudio.explore.latent import to_uint8

        if self._threads > 0:
            torch.set_num_threads(self._threads)
        else:
            from ganstudio.threads import leave_the_cores_to_training

            leave_the_cores_to_training()
        self.torch_threads = torch.get_num_threads()
        while True:
            job = self._take()
            if job is None:
                return
            request_id, z, generator = job
            started = time.perf_counter()
            try:
                with torch.inference_mode():
                    images = to_uint8(generator(z))
            except Exception as exc:  # a generator that can't take this latent: say so, keep going
                log.warning("render %d failed: %s", request_id, exc)
                self.failed.emit(request_id, f"Could not render: {type(exc).__name__}: {exc}")
                continue
            self.last_render_ms = (time.perf_counter() - started) * 1000.0
            self.renders += 1
            self.rendered.emit(request_id, np.ascontiguousarray(images))
