"""The small model that ships with the app, so a new artist can explore (or start from) a model at once."""

from __future__ import annotations

from pathlib import Path

BUNDLED_NAME = "landscapes-32.pt"


def bundled_model_path() -> Path | None:
    """Its checkpoint file, or None where this installation has no resources folder."""
    path = Path(__file__).resolve().parents[1] / "resources" / "models" / BUNDLED_NAME
    return path if path.is_file() else None
