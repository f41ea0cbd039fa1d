"""What every command shares: the user's mistakes as one plain line, and small checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

EXIT_USAGE = 2
MAX_PICTURE_SEED = 2**63 - 1


class UserError(Exception):
    """Something the user can fix; printed as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def resolution(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 16, 32, 64, 128 or 256, got '{text}'") from None
    if value not in (16, 32, 64, 128, 256):
        raise argparse.ArgumentTypeError(f"must be 16, 32, 64, 128 or 256 pixels, got {value}")
    return value


def truncation(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 2, got '{text}'") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2, got {text}")
    return value


def check_size(side: int, *, scale: int | None, size: int | None, what: str) -> None:
    """Refuse an output size export.upscale can't make, before anything is written."""
    from ganstudio.export import MAX_SIDE

    wanted = size if size is not None else side * (scale or 1)
    if wanted > MAX_SIDE:
        how = f"--size {size}" if size is not None else f"{side} px x --scale {scale}"
        raise UserError(f"{how} would make {what} {wanted} px wide; the most is {MAX_SIDE} px.")


def is_png(path: Path) -> bool:
    if path.suffix.lower() == ".png" and not path.is_dir():
        return True
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def output_folder(text: str) -> Path:
    out = Path(text)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the output folder '{out}': {exc.strerror or exc}.") from None
    return out


def say(text: str) -> None:
    print(text, flush=True)
