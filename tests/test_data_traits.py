"""What the images decide: grayscale sets train one channel, handed sets are not mirrored."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.config import DataConfig
from ganstudio.data.traits import analyse, is_gray, mirror_accuracy
from ganstudio.plan import decide_data, describe_color, describe_mirror


def arrows(n: int, *, size: int = 32, seed: int = 0, handed: bool = True) -> np.ndarray:
    """Dark arrows on light paper, at random places and lengths. Handed: all point right.
    Not handed: each points right or left at random, so mirroring changes nothing."""
    rng = np.random.default_rng(seed)
    out = np.full((n, size, size, 3), 235, np.uint8)
    head = max(3, size // 5)
    for image in out:
        length = rng.integers(size // 3, size - 4)
        x0 = rng.integers(1, size - length - 1)
        y = rng.integers(head, size - head)
        image[y - 1 : y + 2, x0 : x0 + length] = 20  # the shaft
        tip = x0 + length
        for k in range(head):  # the head, at the right end
            image[y - k : y + k + 1, max(0, tip - head + k)] = 20
        if not handed and rng.random() < 0.5:
            image[:] = image[:, ::-1]
    return out


def test_equal_channels_are_gray_even_with_jpeg_noise():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (24, 24, 1), dtype=np.uint8).repeat(3, axis=2)
    noisy = np.clip(gray.astype(int) + rng.integers(-3, 4, gray.shape), 0, 255).astype(np.uint8)
    assert is_gray(gray) and is_gray(noisy)
    tinted = gray.copy()
    tinted[..., 0] = np.clip(tinted[..., 0].astype(int) + 40, 0, 255)
    assert not is_gray(tinted)


def test_handed_images_are_told_from_their_mirror_images_and_symmetric_ones_are_not():
    assert mirror_accuracy(arrows(300)) > 0.9
    assert abs(mirror_accuracy(arrows(300, handed=False)) - 0.5) < 0.1
    handed, mixed = analyse(arrows(300)), analyse(arrows(300, handed=False))
    assert handed.handed and "told from the original" in handed.mirror_reason()
    assert not mixed.handed and "look like the set" in mixed.mirror_reason()


def test_a_tiny_set_keeps_mirroring_unless_the_evidence_is_clear():
    few = analyse(arrows(6, handed=False))
    assert few.mirror_accuracy == 0.5 and not few.handed


def test_auto_choices_follow_the_images_and_the_artists_choices_stand():
    images = arrows(200)
    decided, out = decide_data(DataConfig(), images)
    assert (decided.color, decided.mirror) == ("gray", "off")
    assert out.shape == (200, 32, 32, 1)  # one channel to train on
    assert "every image is grayscale" in describe_color(decided)
    assert describe_mirror(decided).startswith("off (a mirrored image")
    colour = images.copy()
    colour[..., 2] = 255 - colour[..., 2]  # blue paper, yellow ink: not gray any more
    decided, out = decide_data(DataConfig(), colour)
    assert decided.color == "rgb" and out.shape[-1] == 3
    chosen, out = decide_data(DataConfig(color="rgb", mirror="on"), images)
    assert (chosen.color, chosen.mirror, chosen.color_why, chosen.mirror_why) == ("rgb", "on", "", "")
    assert out.shape[-1] == 3 and describe_mirror(chosen) == "on (set by hand)"


def test_settings_from_earlier_versions_still_open():
    from ganstudio.config import ConfigError, RunConfig

    old = RunConfig(data=DataConfig(color="rgb", mirror="on")).to_dict()
    del old["data"]["mirror"], old["data"]["color_why"], old["data"]["mirror_why"]
    old["data"]["flip"] = False
    config = RunConfig.from_dict(old)
    assert config.data.mirror == "off" and not config.data.flip
    old["data"]["flip"] = "yes"
    with pytest.raises(ConfigError, match="data.flip"):
        RunConfig.from_dict(old)
