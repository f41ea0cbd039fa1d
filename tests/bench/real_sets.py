"""Labelled real image sets that ship in packages, written as PNG folders an artist could have.

None is drawn by our own code: the shapes are other people's design work or photographs.

* `fonts`: 40 letters and signs from every font installed (Debian's fonts-urw-base35,
  fonts-noto-core, fonts-dejavu, fonts-liberation2, fonts-freefont-ttf, fonts-texgyre, ...),
  black on white: a grayscale, handed set. Label: which character.
* `emoji`: the colour emoji of Debian's fonts-noto-color-emoji, drawn by Pillow. Label:
  the Unicode block (faces, people, animals and plants, food, travel, objects, ...).
* `photos`: crops of the colour photographs scikit-image ships (astronaut, cat, coffee,
  rocket, Hubble deep field, ...). Label: which photograph.

Each set is split in two halves that share no image: `train` (the folder the GANs learn
from) and `judge` (what the judge's classifier learns from; no GAN sees it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from font_glyphs import CHARACTERS, installed_fonts

EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
# Unicode blocks of emoji, one label each.
EMOJI_BLOCKS = (
    ("nature and weather", 0x1F300, 0x1F344),
    ("food", 0x1F345, 0x1F37F),
    ("celebrations, sport and places", 0x1F380, 0x1F3FA),
    ("animals", 0x1F400, 0x1F43F),
    ("people, hands and body", 0x1F440, 0x1F4AA),
    ("objects", 0x1F4AB, 0x1F4FF),
    ("signs and tools", 0x1F500, 0x1F5FF),
    ("faces", 0x1F600, 0x1F64F),
    ("travel", 0x1F680, 0x1F6FF),
    ("more faces, animals and food", 0x1F900, 0x1F9FF),
    ("more objects", 0x1FA70, 0x1FAFF),
    ("symbols", 0x2600, 0x27BF),
)
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "ihc.png",
          "retina.jpg", "motorcycle_left.png")


@dataclass
class RealSet:
    name: str
    train_dir: Path
    judge_dir: Path
    train_labels: np.ndarray
    judge_labels: np.ndarray
    classes: int


def _split_write(name: str, root: Path, items: list[tuple[Image.Image, int]], per_half: int, seed: int) -> RealSet:
    rng = random.Random(seed)
    rng.shuffle(items)
    items = items[: 2 * per_half]
    half = len(items) // 2
    out = {}
    for part, chunk in (("train", items[:half]), ("judge", items[half:])):
        folder = root / name / part
        folder.mkdir(parents=True, exist_ok=True)
        labels = []
        for i, (image, label) in enumerate(chunk):
            image.save(folder / f"{i:05d}.png")
            labels.append(label)
        out[part] = (folder, np.array(labels))
    classes = int(max(label for _, label in items)) + 1
    return RealSet(name, out["train"][0], out["judge"][0], out["train"][1], out["judge"][1], classes)


def fonts(root: Path, per_half: int = 1400, seed: int = 0) -> RealSet:
    faces = []
    for path in installed_fonts():
        try:
            faces.append(ImageFont.truetype(str(path), size=90))
        except OSError:
            continue
    items = []
    for face in faces:
        for label, ch in enumerate(CHARACTERS):
            image = Image.new("L", (128, 128), 250)
            draw = ImageDraw.Draw(image)
            left, top, right, bottom = draw.textbbox((0, 0), ch, font=face)
            if right - left < 4 or bottom - top < 4:
                continue  # the font has no drawing for it
            draw.text(((128 - (right - left)) / 2 - left, (128 - (bottom - top)) / 2 - top), ch, font=face, fill=15)
            items.append((image, label))
    return _split_write("fonts", root, _unique(items), per_half, seed)


def emoji(root: Path, per_half: int = 1400, seed: int = 0) -> RealSet:
    face = ImageFont.truetype(EMOJI_FONT, size=109)  # the one size its bitmaps come in
    blank = _draw_emoji(face, chr(0x10FFFD))  # what a missing glyph draws
    items = []
    for label, (_, first, last) in enumerate(EMOJI_BLOCKS):
        for code in range(first, last + 1):
            image = _draw_emoji(face, chr(code))
            if image is not None and (blank is None or image.tobytes() != blank.tobytes()):
                items.append((image, label))
    return _split_write("emoji", root, items, per_half, seed)


def _draw_emoji(face, ch: str) -> Image.Image | None:
    image = Image.new("RGB", (136, 136), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    try:
        draw.text((0, 0), ch, font=face, embedded_color=True)
    except (OSError, ValueError):
        return None
    if image.getextrema() == ((255, 255), (255, 255), (255, 255)):
        return None
    return image


def photos(root: Path, per_half: int = 1400, seed: int = 0) -> RealSet:
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    rng = np.random.default_rng(seed)
    items = []
    per_photo = (2 * per_half) // len(PHOTOS) + 1
    for label, name in enumerate(PHOTOS):
        photo = Image.open(folder / name).convert("RGB")
        w, h = photo.size
        for _ in range(per_photo):
            side = int(rng.integers(min(w, h) // 8, min(w, h) // 3))
            x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
            items.append((photo.crop((x, y, x + side, y + side)).resize((64, 64), Image.LANCZOS), label))
    return _split_write("photos", root, items, per_half, seed)


def _unique(items):
    seen, out = set(), []
    for image, label in items:
        key = image.tobytes()
        if key not in seen:
            seen.add(key)
            out.append((image, label))
    return out


BUILDERS = {"fonts": fonts, "emoji": emoji, "photos": photos}
