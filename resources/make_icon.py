"""Draw GAN Studio's icon: noise turning into a picture, in a 5x5 grid of tiles.

    python resources/make_icon.py      # writes ganstudio/assets/icons/ganstudio.{svg,png}

The same geometry goes to an SVG (for desktops that scale icons) and to a 256 px PNG drawn
with Pillow at 4x and reduced (for Qt's window icon and desktops that want bitmaps)."""

from __future__ import annotations

import colorsys
import random
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "ganstudio" / "assets" / "icons"
SIZE = 256
CELLS = 5
MARGIN, GAP, RADIUS = 28, 8, 10


def tiles() -> list[tuple[float, float, float, tuple[int, int, int]]]:
    """(x, y, side, rgb) per tile: random colours at the top left settle into a sunset gradient
    towards the bottom right, the way samples settle as a GAN learns."""
    rng = random.Random(7)
    side = (SIZE - 2 * MARGIN - (CELLS - 1) * GAP) / CELLS
    out = []
    for row in range(CELLS):
        for col in range(CELLS):
            learned = ((row + col) / (2 * (CELLS - 1))) ** 0.8  # 0 at the top left, 1 at the bottom right
            target = colorsys.hsv_to_rgb(0.78 - 0.72 * row / (CELLS - 1), 0.75, 0.95)  # violet sky to orange ground
            noise = (rng.random(), rng.random(), rng.random())
            rgb = tuple(round(255 * ((1 - learned) * n + learned * t)) for n, t in zip(noise, target))
            out.append((MARGIN + col * (side + GAP), MARGIN + row * (side + GAP), side, rgb))
    return out


def svg() -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">',
        f'<rect x="8" y="8" width="{SIZE - 16}" height="{SIZE - 16}" rx="44" fill="#1d1f2b"/>',
    ]
    for x, y, side, (r, g, b) in tiles():
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{side:.1f}" height="{side:.1f}" rx="{RADIUS}" '
            f'fill="#{r:02x}{g:02x}{b:02x}"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png() -> Image.Image:
    k = 4  # draw large and reduce: Pillow's shapes have no anti-aliasing of their own
    image = Image.new("RGBA", (SIZE * k, SIZE * k), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8 * k, 8 * k, (SIZE - 8) * k, (SIZE - 8) * k), radius=44 * k, fill="#1d1f2b")
    for x, y, side, rgb in tiles():
        draw.rounded_rectangle((x * k, y * k, (x + side) * k, (y + side) * k), radius=RADIUS * k, fill=rgb)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ganstudio.svg").write_text(svg(), encoding="utf-8")
    png().save(OUT / "ganstudio.png", optimize=True)
    print(f"wrote {OUT / 'ganstudio.svg'} and {OUT / 'ganstudio.png'}")
