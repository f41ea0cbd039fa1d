"""Numbers, names and errors in the words the app and the terminal show (pure; no Qt)."""

from __future__ import annotations

import html
import os
from datetime import datetime


def format_duration(seconds: float | None) -> str:
    """12 -> '12s', 95 -> '1m 35s', 7260 -> '2h 01m'; None -> '—' (unknown)."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def printable(text: str) -> str:
    """A file name as a window can show it: a byte that is not UTF-8 (an old zip, a USB stick)
    becomes U+FFFD, as file managers show it. Qt would drop it, naming another file."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def one_line(exc: BaseException) -> str:
    text = printable(str(exc)).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def display_name(name: str) -> str:
    """A file name as a file manager shows it: bytes that are not UTF-8 become '�'
    (Qt cannot carry Python's surrogate escapes, and would drop them)."""
    return os.fsencode(name).decode("utf-8", "replace") if os.name == "posix" else name


def escaped(value, limit: int = 80) -> str:
    """Recipe or file text for rich-text tooltips: shortened, and shown, never interpreted."""
    text = display_name(str(value))
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def describe_source(spec: str) -> str:
    """How a source reads in a list: demo sets by name, paths as they are."""
    if spec.lower().startswith("demo:"):
        parts = spec.split(":")
        name = parts[1].strip().capitalize() if len(parts) > 1 else spec
        count = f" ({parts[2]} images)" if len(parts) > 2 and parts[2] else ""
        return f"Demo set: {name}{count}"
    return spec


def relative_path(path: str, source: str) -> str:
    for sep in ("/", os.sep):
        prefix = source.rstrip("/" + os.sep) + sep
        if source and path.startswith(prefix):
            return path[len(prefix):]
    return path


def keyframe_name(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < 26 else f"{letters[index // 26 - 1]}{letters[index % 26]}"


def piece_tooltip(path, mtime: float, recipe: dict | None) -> str:
    """A gallery tooltip (rich text): the file's name and time, and what its recipe says."""
    when = datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M")
    lines = [f"<b>{escaped(path.name, 200)}</b>", when]
    if recipe:
        kind = recipe.get("kind")
        if kind:
            lines.append(escaped(kind))
        seed, step = recipe.get("seed"), recipe.get("step")
        if isinstance(seed, int) and not isinstance(seed, bool):
            lines.append(f"Seed {seed}")
        if isinstance(step, int) and not isinstance(step, bool):
            lines.append(f"Model at step {step:,}")
        psi = recipe.get("truncation")
        if isinstance(psi, (int, float)) and not isinstance(psi, bool):
            lines.append(f"Variety ψ {psi:.2f}")
        run = recipe.get("run")
        if isinstance(run, str) and run:
            lines.append(f"Run {escaped(run)}")
        if recipe.get("latent") is not None:
            lines.append("<i>Double-click to keep editing it</i>")
    else:
        lines.append("<i>No recipe: made outside GAN Studio's explorer</i>")
    return "<br>".join(lines)
