"""What ships inside the package: the small model a new artist explores (or starts from) at once,
and the app's icon. Read through importlib.resources, so a wheel, pipx or a zip install finds
them as surely as a checkout does."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

BUNDLED_NAME = "landscapes-32.pt"
ICON_NAME = "ganstudio.png"
ICON_SVG_NAME = "ganstudio.svg"
DESKTOP_NAME = "ganstudio.desktop"


def asset_path(*parts: str) -> Path | None:
    """A real file path for one of the package's assets, or None where this installation lacks it.

    A normal install keeps assets as files; an install that keeps them inside an archive gets
    them copied once into the user's cache folder, since torch and Qt read paths, not streams."""
    node = resources.files("ganstudio.assets").joinpath(*parts)
    if not node.is_file():
        return None
    if isinstance(node, Path):
        return node
    from ganstudio.places import cache_dir

    target = cache_dir() / "assets" / Path(*parts)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with resources.as_file(node) as extracted:
            shutil.copyfile(extracted, target)
    return target


def bundled_model_path() -> Path | None:
    """The bundled model's checkpoint file, or None where this installation has none."""
    return asset_path("models", BUNDLED_NAME)


def bundled_config_path() -> Path | None:
    """The settings the bundled model was trained with (to re-make it)."""
    return asset_path("models", BUNDLED_NAME.replace(".pt", ".json"))


def icon_path() -> Path | None:
    return asset_path("icons", ICON_NAME)
