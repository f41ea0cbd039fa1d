"""A folder of images with planted problems, for the data clinic's tests (CLI, pure and GUI)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image, ImageDraw

from ganstudio.data.demo import generate

CLEAN = 40
PLANTED = 7  # an exact copy, three near copies, a tiny image, a strip, an odd one out
EXTRA_COPIES = ["copy-of-01.png", "land-02-again.jpg", "land-03-small.png", "land-04-cropped.png"]


def _page_of_text() -> Image.Image:
    """Not a landscape: black lines of 'text' on a white page."""
    im = Image.new("RGB", (96, 96), "white")
    draw = ImageDraw.Draw(im)
    for row in range(8):
        draw.rectangle((8, 8 + row * 11, 88 - (row * 7) % 30, 13 + row * 11), fill="black")
    return im


def write_planted_folder(folder: Path) -> Path:
    """40 landscapes (drawn by the demo generator, 128 px), then: an exact copy, a JPEG re-encode,
    a resized copy, a copy with 4% cropped off each edge, a 12-pixel image, a 300×80 strip, and a
    page of text among the landscapes."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = generate("landscapes", CLEAN, 128, seed=3)
    for i, image in enumerate(clean):
        Image.fromarray(image).save(folder / f"land-{i:02d}.png")
    shutil.copy(folder / "land-01.png", folder / "copy-of-01.png")
    Image.fromarray(clean[2]).save(folder / "land-02-again.jpg", quality=70)
    Image.fromarray(clean[3]).resize((77, 77), Image.Resampling.BILINEAR).save(folder / "land-03-small.png")
    Image.fromarray(clean[4]).crop((5, 5, 123, 123)).save(folder / "land-04-cropped.png")
    Image.fromarray(generate("landscapes", 1, 16, seed=99)[0]).resize((12, 12)).save(folder / "tiny.png")
    Image.fromarray(clean[5]).resize((300, 80)).save(folder / "strip.png")
    _page_of_text().save(folder / "page.png")
    return folder
