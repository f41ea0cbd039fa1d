"""Finding a picture's nearest training images off the GUI thread (controllers/copies.py wires it).

The training images are read through the same loader as training (the cache makes a second
read quick), in the run's own colour and with the images the artist left out left out, and
kept as a CopyBank the controller hands back to later requests.

QtCore and pure modules only (DESIGN.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from ganstudio.config import DataConfig, parse_color
from ganstudio.data import DataError, load_images
from ganstudio.data.copies import CopyBank
from ganstudio.places import crash_note
from ganstudio.plan import convert_channels
from ganstudio.wording import one_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingSet:
    """The training images of a run, ready for the copy check."""

    key: tuple
    images: np.ndarray  # as they trained
    names: list[str]
    bank: CopyBank


@dataclass(frozen=True)
class Nearest:
    """What the copy check found for some pictures."""

    title: str
    pictures: np.ndarray  # the pictures asked about (N, H, W, C)
    index: np.ndarray  # (N, k) into training.images, nearest first
    distance: np.ndarray  # (N, k)
    training: TrainingSet


def set_key(data: DataConfig) -> tuple:
    return data.scan_key() + (data.color,)


class NearestWorker(QThread):
    found = Signal(object)  # Nearest
    failed = Signal(str)

    def __init__(self, data: DataConfig, pictures: np.ndarray, title: str, k: int,
                 training: TrainingSet | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data, self.pictures, self.title, self.k, self.training = data, pictures, title, k, training
        self.setObjectName("ganstudio-copies")

    def run(self) -> None:
        d = self.data
        try:
            training = self.training
            if training is None or training.key != set_key(d):
                loaded = load_images(d.source, resolution=d.resolution, fit=d.fit, color=d.color,
                                     background=parse_color(d.background), exclude=d.exclude, frame_rate=d.frame_rate)
                images = convert_channels(loaded.images, d.color)
                training = TrainingSet(set_key(d), images, loaded.names, CopyBank.from_images(images))
            pictures = convert_channels(self.pictures, d.color)
            index, distance = training.bank.nearest(pictures, self.k)
        except DataError as exc:
            self.failed.emit(f"The training images ({d.source}) cannot be read here: {one_line(exc)}")
        except MemoryError:
            self.failed.emit("Not enough memory to hold the training images for the copy check.")
        except Exception as exc:  # a bug: plainly, never a crash
            log.exception("Copy check failed")
            self.failed.emit(f"The copy check stopped: {one_line(exc)}." + crash_note("copies"))
        else:
            self.found.emit(Nearest(self.title, pictures, index, distance, training))
