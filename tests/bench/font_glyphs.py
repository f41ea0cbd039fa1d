"""A real image set made on this machine: letters drawn by the fonts installed here.

The shapes are real design work (DejaVu, Noto, the URW base-35 faces, ...), not a
generator of ours, and there is no download. Each image is one character of one font,
dark ink on paper of a slightly varying tone, written as a PNG file so the benchmark
reads it through the same folder loader an artist's images go through.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "C:/Windows/Fonts")
CHARACTERS = "ABDEFGHKMNPRSWXYabdefghkmnqrsty2345689&?"
CANVAS = 128


def installed_fonts() -> list[Path]:
    found: list[Path] = []
    for root in FONT_DIRS:
        base = Path(root)
        if base.is_dir():
            found += [p for p in base.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
    return sorted(found)


def write_glyph_folder(folder: Path, count: int, seed: int = 0) -> int:
    """Write up to `count` glyph PNGs into `folder`; returns how many were written (0: no fonts)."""
    folder.mkdir(parents=True, exist_ok=True)
    faces = []
    for path in installed_fonts():
        try:
            faces.append(ImageFont.truetype(str(path), size=int(CANVAS * 0.7)))
        except OSError:
            continue  # a font Pillow cannot read: not ours to fix
    if not faces:
        return 0
    pairs = [(face, ch) for face in faces for ch in CHARACTERS]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    written = 0
    for face, ch in pairs[:count]:
        paper = tuple(rng.randint(225, 250) for _ in range(3))
        ink = tuple(rng.randint(10, 60) for _ in range(3))
        image = Image.new("RGB", (CANVAS, CANVAS), paper)
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((0, 0), ch, font=face)
        if right - left < 2 or bottom - top < 2:
            continue  # the font has no drawing for this character
        x = (CANVAS - (right - left)) / 2 - left
        y = (CANVAS - (bottom - top)) / 2 - top
        draw.text((x, y), ch, font=face, fill=ink)
        image.save(folder / f"glyph-{written:05d}.png")
        written += 1
    return written
