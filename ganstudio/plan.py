"""From what the artist chose and what their images are to the settings a run trains with.

`decide_data` settles the data choices left on "auto" (colour and mirroring) from the
images themselves (data/traits.py) and returns the images in the shape the run needs.
The terminal, the app and the Trainer all go through it, so a folder trains the same way
from each, and the run's config.json records what was decided and why.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ganstudio.config import DataConfig
from ganstudio.data.load import to_gray
from ganstudio.data.traits import SetTraits, analyse


def decide_data(choice: DataConfig, images: np.ndarray, *, traits: SetTraits | None = None) -> tuple[DataConfig, np.ndarray]:
    """Return (a copy of `choice` with colour and mirroring decided, the images to train on).

    Images come as decoded for `choice` (three channels when colour is "auto"). A choice the
    artist made stands, with an empty reason; an "auto" one gets the measured answer and a
    sentence saying why. `traits` may be passed when they were measured already.
    """
    if choice.decided:
        return choice, images
    if traits is None:
        traits = analyse(images)
    color, color_why = choice.color, choice.color_why
    if choice.color == "auto":
        color = "gray" if traits.grayscale else "rgb"
        color_why = traits.color_reason()
    mirror, mirror_why = choice.mirror, choice.mirror_why
    if choice.mirror == "auto":
        mirror = "off" if traits.handed else "on"
        mirror_why = traits.mirror_reason()
    if color == "gray" and images.shape[-1] == 3:
        images = to_gray(images)
    decided = dataclasses.replace(choice, color=color, color_why=color_why, mirror=mirror, mirror_why=mirror_why)
    return decided, images


def convert_channels(images: np.ndarray, color: str) -> np.ndarray:
    """Images (N, H, W, 1 or 3) as the colour a run trains in: gray as one channel, rgb as three."""
    if color == "gray" and images.shape[-1] == 3:
        return to_gray(images)
    if color == "rgb" and images.shape[-1] == 1:
        return np.ascontiguousarray(np.repeat(images, 3, axis=-1))
    return images


def describe_color(data: DataConfig) -> str:
    """'gray (every image is grayscale, ...)' for `info` and the Data page."""
    name = {"gray": "grayscale", "rgb": "colour"}.get(data.color, data.color)
    return f"{name} ({data.color_why})" if data.color_why else f"{name} (set by hand)"


def describe_mirror(data: DataConfig) -> str:
    name = {"on": "on", "off": "off"}.get(data.mirror, data.mirror)
    return f"{name} ({data.mirror_why})" if data.mirror_why else f"{name} (set by hand)"
