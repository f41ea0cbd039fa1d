"""What every command shares: the user's mistakes as one plain line, and small checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from ganstudio.wording import printable

# Exit codes, the same for every command (README and `ganstudio --help` list them).
EXIT_OK = 0
EXIT_CRASHED = 1  # a bug of ours: a crash report names where the details are
EXIT_USAGE = 2  # a mistake on the command line or in a setting
EXIT_FILES = 3  # data, a checkpoint or a run folder that cannot be used (or a device that is not there)
EXIT_DIVERGED = 4  # training stopped because it diverged; the last good checkpoint is kept
EXIT_INTERRUPTED = 130  # Ctrl+C or a termination signal; a checkpoint was saved where there was work to save

EXIT_CODES_HELP = (
    "exit codes: 0 done; 1 crashed (a bug: a report file is named); 2 bad command line or setting; "
    "3 data, checkpoint or run folder cannot be used; 4 training diverged; 130 interrupted (Ctrl+C)"
)
MAX_PICTURE_SEED = 2**63 - 1


class UserError(Exception):
    """Something the user can fix; printed as one line (exit code 2)."""


class FileProblem(UserError):
    """A file or folder that cannot be used as it is (exit code 3)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _checked(convert, expected: str, ok, must: str):
    """An argparse `type=`: `convert` the text (else "expected ..."), then `ok(value)` (else "must ...")."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {must}, got {text}")
        return value

    return parse


positive_int = _checked(int, "a whole number", lambda v: v >= 1, "at least 1")
non_negative_int = _checked(int, "a whole number", lambda v: v >= 0, "0 or more")
positive_float = _checked(float, "a number", lambda v: 0 < v < float("inf"), "a positive number")
resolution = _checked(int, "16, 32, 64, 128 or 256", lambda v: v in (16, 32, 64, 128, 256), "16, 32, 64, 128 or 256 pixels")
truncation = _checked(float, "a number between 0 and 2", lambda v: 0.0 <= v <= 2.0, "between 0 and 2")


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
    if not path.is_file():  # a folder, or a pipe or device: reading one could wait for ever
        return False
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
        raise FileProblem(f"Cannot create the output folder '{out}': {exc.strerror or exc}.") from None
    return out


def say(text: str) -> None:
    """A line for the terminal; a file name's bytes that are not UTF-8 show as '\ufffd', never as an error."""
    print(printable(text), flush=True)
