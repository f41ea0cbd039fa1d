"""Procedural demo data sets, so Start works before the user has picked a folder.

Each set should look like something an artist might train on: coherent palettes,
soft light, depth. Image i depends only on (set name, seed, i), never on how many
images were asked for, so "demo:shapes:100" is a prefix of "demo:shapes:1000".

Speed matters (the app makes 1000 of these at start-up, then caches them), so
shapes and patterns are drawn at twice the target size with PIL.ImageDraw or
vectorised numpy and averaged down 2x2, which anti-aliases every edge;
landscapes are drawn at 1x with analytic edge coverage instead.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from ganstudio.data.errors import DataCancelled, DataError

# Bump when any picture changes, so cached demo sets are regenerated.
GENERATOR_VERSION = 1


def _hex(code: str) -> tuple[float, float, float]:
    return tuple(int(code[i:i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]


def _palette(*codes: str) -> np.ndarray:
    return np.array([_hex(c) for c in codes], dtype=np.float32)


# Hand-picked five-colour palettes; every image uses one, so it stays harmonious.
PALETTES = [
    _palette("#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"),
    _palette("#355070", "#6d597a", "#b56576", "#e56b6f", "#eaac8b"),
    _palette("#1d3557", "#457b9d", "#a8dadc", "#f1faee", "#e63946"),
    _palette("#3d405b", "#81b29a", "#f2cc8f", "#e07a5f", "#f4f1de"),
    _palette("#283618", "#606c38", "#dda15e", "#bc6c25", "#fefae0"),
    _palette("#003049", "#d62828", "#f77f00", "#fcbf49", "#eae2b7"),
    _palette("#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"),
    _palette("#0b132b", "#1c2541", "#3a506b", "#5bc0be", "#f0f3bd"),
    _palette("#5f0f40", "#9a031e", "#fb8b24", "#e36414", "#0f4c5c"),
    _palette("#2b2d42", "#8d99ae", "#edf2f4", "#ef233c", "#d90429"),
    _palette("#582f0e", "#936639", "#b6ad90", "#a4ac86", "#414833"),
    _palette("#6930c3", "#5390d9", "#48bfe3", "#72efdd", "#f1f7b5"),
    _palette("#ff595e", "#ffca3a", "#8ac926", "#1982c4", "#6a4c93"),
    _palette("#cdb4db", "#ffc8dd", "#ffafcc", "#bde0fe", "#a2d2ff"),
    _palette("#10451d", "#2d6a4f", "#52b788", "#b7e4c7", "#f8edeb"),
    _palette("#370617", "#6a040f", "#dc2f02", "#faa307", "#ffe8d6"),
]

Generator = Callable[[np.random.Generator, int], np.ndarray]


def list_demo_sets() -> list[str]:
    return sorted(_GENERATORS)


def check_name(name: str) -> str:
    key = name.strip().lower()
    if key not in _GENERATORS:
        raise DataError(f"Unknown demo set '{name}'; choose from {', '.join(list_demo_sets())}.")
    return key


def make_demo_set(name: str, count: int, resolution: int, seed: int = 0) -> np.ndarray:
    """count images of demo set `name`, uint8 (count, resolution, resolution, 3)."""
    return generate(name, count, resolution, seed)


def generate(name: str, count: int, resolution: int, seed: int = 0,
             progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """make_demo_set with progress/cancel callbacks (called from this thread)."""
    draw = _GENERATORS[check_name(name)]
    if isinstance(count, bool) or int(count) != count or count < 0:
        raise DataError(f"The demo image count must be a whole number of 0 or more (got {count!r}).")
    if isinstance(resolution, bool) or int(resolution) != resolution or not 4 <= resolution <= 2048:
        raise DataError(f"The demo resolution must be a whole number from 4 to 2048 (got {resolution!r}).")
    count, resolution = int(count), int(resolution)
    out = np.empty((count, resolution, resolution, 3), dtype=np.uint8)
    name_id = zlib.crc32(name.strip().lower().encode())  # stable, unlike hash()
    for i in range(count):
        if i % 32 == 0:
            if cancel is not None and cancel():
                raise DataCancelled("Loading was cancelled.")
            if progress is not None:
                progress(i, count)
        # One generator per image, seeded by (set, seed, index) only.
        rng = np.random.default_rng([name_id, int(seed) % 2**63, i])
        out[i] = draw(rng, resolution)
    if progress is not None:
        progress(count, count)
    return out


# ---------------------------------------------------------------- helpers

def _mix(a, b, t):
    return a + (b - a) * t


def _luma(c: np.ndarray) -> np.ndarray:
    return c[..., 0] * 0.299 + c[..., 1] * 0.587 + c[..., 2] * 0.114


def _smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _jitter(rng: np.random.Generator, colors: np.ndarray, amount: float) -> np.ndarray:
    """Nudge a palette a little so no two images share exact colours."""
    shift = rng.normal(0.0, amount, size=3).astype(np.float32)  # one shift: stays coherent
    return np.clip(colors + shift, 0.0, 1.0)


def _pick_palette(rng: np.random.Generator) -> np.ndarray:
    pal = PALETTES[rng.integers(len(PALETTES))]
    return _jitter(rng, pal, 0.03)


def _downsample(canvas: np.ndarray, r: int) -> np.ndarray:
    """Average 2x2 blocks of a float (2r, 2r, 3) canvas in 0..1 to uint8 (r, r, 3)."""
    # Four strided views summed: much faster than a reshape + mean over axes.
    small = (canvas[0::2, 0::2] + canvas[1::2, 0::2] + canvas[0::2, 1::2] + canvas[1::2, 1::2]) * 0.25
    return (np.clip(small, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in 0..1 as (1, S) and (S, 1) arrays (broadcasting)."""
    t = (np.arange(size, dtype=np.float32) + 0.5) / size
    return t[None, :], t[:, None]


def _linear_gradient(rng, size, c1, c2) -> np.ndarray:
    x, y = _grid(size)
    angle = rng.uniform(0, 2 * np.pi)
    t = (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle) + 0.5
    t = _smoothstep(t)[..., None]
    return _mix(c1, c2, t).astype(np.float32)


def _noise1d(rng, n: int, octaves: int, base_freq: float, persistence: float) -> np.ndarray:
    """Smooth fractal noise in about -1..1 over n samples (for ridge lines)."""
    x = np.linspace(0.0, 1.0, n, dtype=np.float32)
    total = np.zeros(n, np.float32)
    amp, freq, norm = 1.0, base_freq, 0.0
    for _ in range(octaves):
        knots = rng.uniform(-1.0, 1.0, int(np.ceil(freq)) + 2).astype(np.float32)
        pos = x * freq
        i = pos.astype(np.int32)
        f = _smoothstep(pos - i)
        total += amp * _mix(knots[i], knots[i + 1], f)
        norm += amp
        amp *= persistence
        freq *= 2.0
    return total / norm


# ---------------------------------------------------------------- shapes

def _shapes(rng: np.random.Generator, r: int) -> np.ndarray:
    """Bauhaus-style compositions: overlapping flat shapes on a soft gradient."""
    size = 2 * r
    pal = _pick_palette(rng)
    order = np.argsort(_luma(pal))
    dark = rng.random() < 0.3
    bg_index = order[0] if dark else order[-1]
    tone = np.zeros(3, np.float32) if dark else np.ones(3, np.float32)
    c1 = _mix(pal[bg_index], tone, rng.uniform(0.15, 0.45))
    c2 = _mix(c1, pal[rng.integers(5)], rng.uniform(0.1, 0.3))
    # A smooth gradient loses nothing when computed small and scaled up, and
    # this is most of the cost of an image otherwise.
    canvas = _linear_gradient(rng, 32, c1, c2)
    im = Image.fromarray((canvas * 255.0 + 0.5).astype(np.uint8), "RGB").resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(im, "RGBA")  # "RGBA" so translucent fills blend

    colours = [pal[i] for i in range(5) if i != bg_index]
    n = int(rng.integers(3, 8))
    radii = np.sort(rng.uniform(0.07, 0.32, n))[::-1] * size  # big ones first
    shadow = rng.random() < 0.5
    for k in range(n):
        colour = colours[int(rng.integers(len(colours)))]
        rgba = (*(int(v * 255 + 0.5) for v in colour), int(rng.choice([255, 255, 235, 205])))
        kind = rng.choice(["circle", "ring", "rect", "triangle", "half", "circle"])
        cx, cy = rng.uniform(0.15, 0.85, 2) * size
        rad = float(radii[k])
        rot = rng.uniform(0, 2 * np.pi)
        if shadow:
            off = size * 0.018
            _draw_shape(draw, kind, cx + off, cy + off * 1.4, rad, rot, (0, 0, 0, 45), size)
        _draw_shape(draw, kind, cx, cy, rad, rot, rgba, size)
    if rng.random() < 0.35:  # a row of small dots as an accent
        colour = colours[int(rng.integers(len(colours)))]
        rgba = (*(int(v * 255 + 0.5) for v in colour), 255)
        x0, y0 = rng.uniform(0.1, 0.5) * size, rng.uniform(0.1, 0.9) * size
        step, dot = size * rng.uniform(0.05, 0.08), size * rng.uniform(0.012, 0.02)
        for j in range(int(rng.integers(4, 8))):
            x = x0 + j * step
            draw.ellipse((x - dot, y0 - dot, x + dot, y0 + dot), fill=rgba)
    arr = np.asarray(im.reduce(2))
    return arr


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, cx, cy, rad, rot, rgba, size) -> None:
    box = (cx - rad, cy - rad, cx + rad, cy + rad)
    if kind == "circle":
        draw.ellipse(box, fill=rgba)
    elif kind == "ring":
        draw.ellipse(box, outline=rgba, width=max(2, int(rad * 0.28)))
    elif kind == "half":
        start = float(np.degrees(rot))
        draw.pieslice(box, start, start + 180.0, fill=rgba)
    elif kind == "triangle":
        angles = rot + np.array([0.0, 2.0944, 4.1888])
        draw.polygon([(cx + rad * np.cos(a), cy + rad * np.sin(a)) for a in angles], fill=rgba)
    else:  # rect, at a gentle tilt or square to the frame
        w, h = rad, rad * 0.55 if (rot % 1.0) < 0.5 else rad
        tilt = 0.0 if rot < 3.0 else (rot - 3.0) * 0.25
        c, s = np.cos(tilt), np.sin(tilt)
        corners = [(-w, -h), (w, -h), (w, h), (-w, h)]
        draw.polygon([(cx + px * c - py * s, cy + px * s + py * c) for px, py in corners], fill=rgba)


# ---------------------------------------------------------------- landscapes

# (sky top, sky at horizon, sun or moon, nearest land) and whether it is night.
_MOODS = [
    (("#3b6fb6", "#cfe6f2", "#fff8e0", "#24453a"), False),  # clear day
    (("#56719e", "#f6c28b", "#fff0c4", "#3a2b45"), False),  # golden hour
    (("#2a1d4e", "#f08a6b", "#ffd58a", "#1b1230"), False),  # sunset
    (("#070b20", "#27406e", "#e9edf6", "#04060d"), True),   # moonlit night
    (("#8ea5cf", "#f5d5d8", "#fff5ea", "#475978"), False),  # pastel dawn
    (("#9aadb9", "#e4e9eb", "#fbfbf5", "#3d4f5a"), False),  # mist
    (("#0c3c4e", "#86d3bc", "#fbf4c1", "#0f2a2e"), False),  # teal dusk
    (("#3a0f3f", "#f2796b", "#ffe3a3", "#1d0b24"), False),  # magenta evening
]


def _landscapes(rng: np.random.Generator, r: int) -> np.ndarray:
    """A sky, a sun or moon, and 2-4 hazy ridges; sometimes a lake reflecting it.

    Drawn at 1x with analytic anti-aliasing (each edge gets a coverage from its
    distance to the pixel centre) instead of 2x supersampling: 4x less work.
    """
    size = r
    px = 1.0 / size
    (top, horizon, light, near), night = _MOODS[rng.integers(len(_MOODS))]
    top, horizon, light, near = (_jitter(rng, np.array(_hex(c), np.float32), 0.035)
                                 for c in (top, horizon, light, near))
    x, y = _grid(size)
    horizon_y = rng.uniform(0.5, 0.72)

    # Sky: top colour easing into the horizon colour.
    t = np.clip(y / horizon_y, 0.0, 1.0) ** rng.uniform(0.8, 1.6)
    canvas = np.broadcast_to(_mix(top, horizon, t[..., None]), (size, size, 3)).copy()

    if night:
        n = int(rng.integers(20, 55) * (size / 64) ** 2) + 5
        sx = rng.integers(0, size, n)
        sy = (rng.random(n) ** 1.5 * horizon_y * size).astype(int)
        canvas[sy, sx] = np.clip(canvas[sy, sx] + rng.uniform(0.2, 0.6, (n, 1)), 0, 1)
    _clouds(rng, canvas, x, y, horizon_y, light, night)

    # Sun or moon with a glow that lights the sky around it.
    cx = rng.uniform(0.15, 0.85)
    cy = rng.uniform(0.12, horizon_y - 0.06)
    rad = rng.uniform(0.045, 0.09) if night else rng.uniform(0.06, 0.12)
    d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    glow = np.exp(-(d / (rad * rng.uniform(2.5, 5.0))) ** 2) * rng.uniform(0.25, 0.55)
    cover = np.clip((rad - d) / px + 0.5, 0.0, 1.0)
    if night and rng.random() < 0.6:  # crescent: cut a second disc out of the moon
        off = rad * rng.uniform(0.35, 0.7)
        d2 = np.sqrt((x - cx - off) ** 2 + (y - cy + off * 0.4) ** 2)
        cover *= np.clip((d2 - rad) / px + 0.5, 0.0, 1.0)
    canvas = _mix(canvas, light, np.maximum(glow, cover)[..., None])

    # Ridges from far to near. Far ones are jagged mountains that fade into the
    # horizon colour (aerial perspective); near ones are rolling, darker hills.
    haze = _mix(horizon, top, 0.15)
    if rng.random() < 0.4:  # 1-2 mountain ranges, a lake, maybe a near shore
        far = int(rng.integers(1, 3))
        for k in range(far):
            depth = (k + 1) / (far + 2)
            canvas = _ridge(rng, canvas, x, y, horizon_y + 0.03 * k, True, _mix(haze, near, depth), haze, depth)
        canvas = _lake(rng, canvas, horizon_y + 0.03 * far + rng.uniform(0.0, 0.06), top)
        if rng.random() < 0.65:
            tilt = rng.uniform(-0.3, 0.3) * (x[0] - 0.5)
            canvas = _ridge(rng, canvas, x, y, rng.uniform(0.9, 1.0) + tilt, False, near, haze, 1.0)
    else:
        layers = int(rng.integers(2, 5))
        for k in range(layers):
            depth = (k + 1) / layers  # 0 = far, 1 = near
            mountain = k < max(1, layers - 2) or rng.random() < 0.3
            base = horizon_y + (0.97 - horizon_y) * (k / layers) * 0.9
            canvas = _ridge(rng, canvas, x, y, base, mountain, _mix(haze, near, depth ** 1.3), haze, depth)
    return (np.clip(canvas, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _ridge(rng, canvas, x, y, base, mountain: bool, colour, haze, depth: float) -> np.ndarray:
    """Paint one range of mountains or hills whose foot is below the frame."""
    size = canvas.shape[0]
    px = 1.0 / size
    if mountain:
        amp = rng.uniform(0.1, 0.26)
        # Folded fractal noise: sharp peaks and ridges instead of blobs.
        noise = 1.0 - 2.0 * np.abs(_noise1d(rng, size, 5, rng.uniform(1.5, 3.5), 0.5))
    else:
        amp = rng.uniform(0.05, 0.14)
        noise = _noise1d(rng, size, 2, rng.uniform(0.7, 1.5), 0.3)
    ridge = (base - amp * (0.5 + 0.5 * noise)).astype(np.float32)
    top_row = max(0, int((float(ridge.min()) - px) * size))
    if top_row >= size:
        return canvas
    yy = y[top_row:]
    # Distance to the ridge line across its slope, so steep flanks get
    # anti-aliased as well as flat tops.
    slope = np.gradient(ridge, px) if size > 1 else np.zeros_like(ridge)
    dist = (yy - ridge[None, :]) / np.sqrt(1.0 + slope * slope)[None, :]
    alpha = np.clip(dist / px + 0.5, 0.0, 1.0)
    # Mist settles in the valleys: each layer pales towards its foot.
    fog = _smoothstep((yy - ridge[None, :]) / rng.uniform(0.12, 0.3)) * (0.55 * (1.0 - depth) + 0.08)
    shaded = _mix(colour, haze, fog[..., None])
    canvas[top_row:] = _mix(canvas[top_row:], shaded, alpha[..., None])
    return canvas


def _clouds(rng, canvas, x, y, horizon_y, light, night) -> None:
    n = int(rng.integers(0, 4)) if not night else int(rng.integers(0, 2))
    size = canvas.shape[0]
    for _ in range(n):
        cx, cy = rng.uniform(-0.1, 1.1), rng.uniform(0.08, horizon_y * 0.8)
        w, h = rng.uniform(0.15, 0.4), rng.uniform(0.02, 0.05)
        # Only the rows where the blob is visible: a cloud is a thin band.
        r0, r1 = max(0, int((cy - 3 * h) * size)), min(size, int((cy + 3 * h) * size) + 1)
        blob = np.exp(-(((x - cx) / w) ** 2 + ((y[r0:r1] - cy) / h) ** 2))[..., None]
        band = canvas[r0:r1]
        band[:] = _mix(band, _mix(light, band, 0.3), blob * rng.uniform(0.3, 0.6))


def _lake(rng, canvas, level: float, top) -> np.ndarray:
    """Mirror everything above the waterline, darkened, with rippling rows."""
    size = canvas.shape[0]
    line = min(int(level * size), size - 1)
    rows = np.arange(line, size)
    src = np.clip(2 * line - rows - 1, 0, size - 1)
    # A small sideways wobble per row breaks the mirror into ripples.
    shift = np.rint(np.sin(rows * rng.uniform(0.6, 1.0)) * size * 0.01).astype(np.int64)
    cols = (np.arange(size)[None, :] - shift[:, None]) % size
    reflected = canvas[src[:, None], cols]
    ripple = 1.0 + 0.06 * np.sin(rows * rng.uniform(1.2, 2.2) + rng.uniform(0, 6.3))
    canvas[line:] = _mix(reflected, top, 0.2) * (0.8 * ripple).astype(np.float32)[:, None, None]
    return canvas


# ---------------------------------------------------------------- patterns

def _patterns(rng: np.random.Generator, r: int) -> np.ndarray:
    """Textile-like repeats: bands, rings, checks, dots and waves in one palette."""
    size = 2 * r
    pal = _pick_palette(rng)
    x, y = _grid(size)
    angle = rng.uniform(0, np.pi)
    # math.cos, not np.cos: a numpy float64 scalar would promote every array
    # below to float64 and double the cost.
    cos, sin = math.cos(angle), math.sin(angle)
    u = (x - 0.5) * cos + (y - 0.5) * sin
    v = (y - 0.5) * cos - (x - 0.5) * sin
    period = rng.uniform(0.07, 0.2)
    colours = pal[rng.permutation(5)[: int(rng.integers(2, 5))]]
    kind = rng.choice(["stripes", "rings", "checks", "dots", "waves", "spiral"])

    if kind == "stripes":
        field = u / period + rng.uniform(0, 0.6) * np.sin(v * rng.uniform(4, 14))
    elif kind == "rings":
        cx, cy = (float(c) for c in rng.uniform(0.2, 0.8, 2))
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
        # Petal-like wobble, faded out at the centre where it would turn spiky.
        wobble = 0.3 * np.sin(np.arctan2(y - cy, x - cx) * int(rng.integers(3, 9)))
        field = d / period + wobble * _smoothstep(d / (2.5 * period))
    elif kind == "checks":
        field = np.floor(u / period) + np.floor(v / period) * int(rng.choice([1, 2]))
    elif kind == "dots":
        gu, gv = u / period, v / period
        # Offset every other row, like a printed polka dot fabric.
        gu = gu + 0.5 * (np.floor(gv) % 2)
        d = np.sqrt((gu - np.floor(gu) - 0.5) ** 2 + (gv - np.floor(gv) - 0.5) ** 2)
        field = np.where(d < rng.uniform(0.18, 0.38), 1.0 + (np.floor(gu) % 2) * (len(colours) > 2), 0.0)
    elif kind == "waves":
        field = v / period + rng.uniform(0.5, 1.5) * np.sin(u * rng.uniform(6, 18) + rng.uniform(0, 6.3))
    else:  # spiral
        cx, cy = (float(c) for c in rng.uniform(0.3, 0.7, 2))
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
        # A whole number of colour cycles per turn, or the bands break at the seam.
        arms = len(colours) * int(rng.integers(1, 3))
        field = d / period + np.arctan2(y - cy, x - cx) * arms / (2 * np.pi)
    band = np.floor(np.broadcast_to(field, (size, size))).astype(np.int64) % len(colours)
    canvas = colours[band]
    # Soft light across the cloth, so it does not look like a flat vector fill.
    shade = 0.88 + 0.18 * _smoothstep(1.0 - np.sqrt((x - rng.uniform(0.2, 0.8)) ** 2 + (y - rng.uniform(0.2, 0.8)) ** 2))
    return _downsample(canvas * shade[..., None], r)


_GENERATORS: dict[str, Generator] = {
    "shapes": _shapes,
    "landscapes": _landscapes,
    "patterns": _patterns,
}
