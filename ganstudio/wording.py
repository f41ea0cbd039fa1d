"""Numbers in the words the app and the terminal show (pure; no Qt)."""

from __future__ import annotations


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
