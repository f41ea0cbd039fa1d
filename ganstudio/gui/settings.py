"""What the window remembers between sessions (QSettings), each value checked on its own.

Settings may come from another version or be edited by hand: a bad value falls back to its
default (and is named, so the window can say so), and nothing raises.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QByteArray, QSettings

from ganstudio.config import DataConfig, RunConfig, int_or_none, mirror_from_old_flip

MAX_RECENT = 8


class AppSettings:
    def __init__(self, settings: QSettings) -> None:
        self.qsettings = settings

    # -- window
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, (QByteArray, bytes, bytearray)) else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)

    # -- the data choice
    def data_choice(self) -> tuple[DataConfig, list[str]]:
        """The data choice of the last session, and the names of the values that were unusable."""
        default = DataConfig()  # first launch: a demo set, so Start works
        reset: list[str] = []
        source = self.qsettings.value("data/source", default.source)
        if not isinstance(source, str) or not source.strip():
            source = default.source
            reset.append("data set")
        choice = DataConfig(source=source)
        values = {
            "resolution": int_or_none(self.qsettings.value("data/resolution", default.resolution)),
            "fit": self._text("data/fit", default.fit),
            "color": self._text("data/color", default.color),
            "mirror": self._text("data/mirror", mirror_from_old_flip(self._text("data/flip", None), default.mirror)),
        }
        for name, value in values.items():
            if value is None:
                reset.append(name)
                continue
            trial = replace(choice, **{name: value})
            try:
                RunConfig(data=trial).validate()
            except (ValueError, TypeError):
                reset.append(name)
                continue
            choice = trial
        return self._with_exclusions(choice), reset

    def _with_exclusions(self, choice: DataConfig) -> DataConfig:
        """The images left out last time, if they were left out of this same source."""
        import json

        if self.qsettings.value("data/exclude_source", "") != choice.source:
            return choice
        try:
            names = json.loads(str(self.qsettings.value("data/exclude", "[]")))
            rate = float(self.qsettings.value("data/frame_rate", 0.0))
            trial = replace(choice, exclude=[str(n) for n in names if isinstance(n, str)], frame_rate=rate)
            RunConfig(data=trial).validate()
            return trial
        except (ValueError, TypeError):
            return choice

    def set_data_choice(self, choice: DataConfig) -> None:
        import json

        for key in ("source", "resolution", "fit", "color", "mirror", "frame_rate"):
            self.qsettings.setValue(f"data/{key}", getattr(choice, key))
        self.qsettings.setValue("data/exclude", json.dumps(list(choice.exclude)))
        self.qsettings.setValue("data/exclude_source", choice.source)

    # -- the Train page's own choices
    def train_choices(self) -> dict:
        return {
            "preset": self.qsettings.value("train/preset"),
            "minutes": int_or_none(self.qsettings.value("train/minutes")),
            "seed": int_or_none(self.qsettings.value("train/seed")),
            "threads": int_or_none(self.qsettings.value("train/threads")),
        }

    def set_train_choices(self, values: dict) -> None:
        for key, value in values.items():
            self.qsettings.setValue(f"train/{key}", value)

    # -- recent sources and runs
    def recent(self, key: str) -> list[str]:
        return self.strings(key)[:MAX_RECENT]

    def push_recent(self, key: str, item: str) -> None:
        items = [item] + [v for v in self.recent(key) if v != item]
        self.qsettings.setValue(key, items[:MAX_RECENT])

    # -- direction names of a model without a run folder (the bundled one)
    def direction_names(self, fingerprint: str) -> list[str]:
        return self.strings(f"directions/{fingerprint}")

    def set_direction_names(self, fingerprint: str, names: list[str]) -> None:
        self.qsettings.setValue(f"directions/{fingerprint}", [str(n) for n in names])

    def strings(self, key: str) -> list[str]:
        value = self.qsettings.value(key, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def sync(self) -> None:
        self.qsettings.sync()

    def _text(self, key, fallback):
        value = self.qsettings.value(key, fallback)
        return value.strip().lower() if isinstance(value, str) else value
