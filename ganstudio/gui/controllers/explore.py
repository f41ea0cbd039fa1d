"""ExploreController: the explorer's threads. It renders what ExploreState asks for in the
render worker (the newest request per lane wins) and runs saves and walks in export workers,
answering through the state's signals. The page never sees a thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Slot

from ganstudio.gui.state import ExploreState, ExportRequest
from ganstudio.gui.workers.export import ExportThread
from ganstudio.gui.workers.render import RenderThread

log = logging.getLogger(__name__)


class ExploreController(QObject):
    def __init__(self, state: ExploreState, parent: QObject | None = None, *, render_threads: int = 0) -> None:
        super().__init__(parent)
        self.state = state
        # render_threads 0: the render thread works on one thread and leaves the cores to
        # training (see threads.leave_the_cores_to_training); > 0 for benchmarks.
        self.renderer = RenderThread(self, threads=render_threads)
        # Bound slots of this GUI-thread object: Qt queues the worker's answers to this thread.
        self.renderer.rendered.connect(self._on_rendered)
        self.renderer.failed.connect(self._on_render_failed)
        state.generatorChanged.connect(self._use_generator)
        state.renderRequested.connect(self.renderer.request)
        state.exportRequested.connect(self._start_export)
        self._exports: list[ExportThread] = []
        self._closed = False

    def _use_generator(self, generator) -> None:
        self.renderer.set_generator(generator)
        if generator is not None and not self.renderer.isRunning() and not self._closed:
            self.renderer.start()  # no thread until there is a model

    def _start_export(self, request: ExportRequest) -> None:
        if self._closed:
            self.state.answer_export(request.number, error=f"The {request.description} was not written: the window is closing.")
            return
        thread = ExportThread(request.job, request.description, self)
        thread.number = request.number
        thread.progress.connect(self._on_export_progress)
        thread.done.connect(self._on_export_done)
        thread.failed.connect(self._on_export_failed)
        thread.finished.connect(self._on_export_thread_finished)
        self._exports.append(thread)
        thread.start()

    @Slot(int, object)
    def _on_rendered(self, request_id: int, images) -> None:
        self.state.answer_render(request_id, images)

    @Slot(int, str)
    def _on_render_failed(self, request_id: int, text: str) -> None:
        self.state.answer_render(request_id, error=text)

    @Slot(int, int)
    def _on_export_progress(self, done: int, total: int) -> None:
        self.state.exportProgress.emit(self.sender().number, done, total)

    @Slot(object)
    def _on_export_done(self, result) -> None:
        self.state.answer_export(self.sender().number, result)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self.state.answer_export(self.sender().number, error=message)

    @Slot()
    def _on_export_thread_finished(self) -> None:
        thread = self.sender()
        if thread in self._exports:
            thread.wait()  # finished is emitted just before the thread ends: join it
            self._exports.remove(thread)
        thread.deleteLater()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop the render thread and cancel any export, waiting for them (app exit, tests)."""
        self._closed = True
        self.renderer.stop(timeout_ms)
        for thread in list(self._exports):
            thread.cancel()
            thread.wait(timeout_ms)
