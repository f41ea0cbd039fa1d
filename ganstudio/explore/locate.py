"""Finding the model a saved piece was made with, wherever its run lives now.

A recipe never holds an absolute path: a PNG posted online must not carry the artist's
home folder, and a run folder that moved (another disk, another machine) must still be
found. It names the run (its folder's name), the checkpoint inside it (`checkpoints/best.pt`)
or a lone model file's name, and the generator's fingerprint, which decides: a candidate
whose generator differs is passed over (best.pt moves on as a run trains; the piece's
generator may now be one of the numbered snapshots).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Callable

from ganstudio.bundled import bundled_model_path
from ganstudio.checkpoint import CheckpointError, LoadedGenerator, load_generator
from ganstudio.explore.recipe import portable_checkpoint
from ganstudio.runs.folder import RunFolder, default_runs_dir

BUNDLED_RUN = "bundled"
_RUN_DEPTH = 3  # a piece in RUN/artwork/x.png, or one folder further down


def model_candidates(run: str | None, checkpoint: str | None, *, piece: str | Path | None = None,
                     runs_dir: Path | None = None) -> list[Path]:
    """Files that may hold the piece's generator, most likely first (only existing regular files)."""
    found: list[Path] = []

    def add(path: Path) -> None:
        if path not in found and path.is_file():
            found.append(path)

    inside, name = _split(checkpoint)
    if checkpoint and _is_absolute(checkpoint):  # a recipe from before 0.2 named the full path
        add(Path(checkpoint))
    for root in _run_roots(run, piece, runs_dir):
        folder = RunFolder(root)
        if inside and name:
            add(root / "checkpoints" / name)
        for candidate in folder.checkpoint_candidates("best"):
            add(candidate)
    if not inside and name:  # a lone model file: beside the piece, or among the runs
        for folder in _piece_folders(piece) + [runs_dir or default_runs_dir()]:
            add(folder / name)
    bundled = bundled_model_path()
    if bundled is not None and (run == BUNDLED_RUN or name == bundled.name):
        add(bundled)
    return found


def find_model_for(fingerprint: str, run: str | None, checkpoint: str | None, *, piece: str | Path | None = None,
                   runs_dir: Path | None = None,
                   load: Callable[[Path], LoadedGenerator] = load_generator) -> LoadedGenerator:
    """The piece's generator, loaded; CheckpointError (in words) when no candidate holds it."""
    candidates = model_candidates(run, checkpoint, piece=piece, runs_dir=runs_dir)
    other = None
    for path in candidates:
        try:
            loaded = load(path)
        except CheckpointError:
            continue
        if loaded.fingerprint == fingerprint:
            return loaded
        other = other or loaded
    if other is not None:
        raise CheckpointError(
            f"'{other.path}' holds generator {other.fingerprint}, not {fingerprint} that this piece was made with, "
            "and no other checkpoint of its run does; the picture would differ."
        )
    where = f"run '{run}'" if run else "its model"
    places = f"'{runs_dir or default_runs_dir()}'" + (f" or beside '{Path(piece).name}'" if piece else "")
    raise CheckpointError(f"Could not find {where} in {places}.")


def _split(checkpoint: str | None) -> tuple[bool, str | None]:
    """(is it inside a run's checkpoints folder, its file name) for old and new recipes alike."""
    portable = portable_checkpoint(checkpoint)  # what a new recipe records, from either kind
    if not portable:
        return False, None
    name = portable.rsplit("/", 1)[-1]
    if name in ("", ".", "..") or not name.endswith(".pt"):
        return False, None
    return portable.startswith("checkpoints/"), name


def _is_absolute(text: str) -> bool:
    return PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()


def _run_roots(run: str | None, piece: str | Path | None, runs_dir: Path | None) -> list[Path]:
    roots: list[Path] = []
    # The run the piece sits in (RUN/artwork/piece.png): found even when the folder was renamed.
    if piece is not None:
        for parent in list(Path(piece).resolve().parents)[:_RUN_DEPTH]:
            if RunFolder(parent).looks_like_a_run():
                roots.append(parent)
                break
    if run and _is_plain_name(run) and run != BUNDLED_RUN:
        for base in [runs_dir or default_runs_dir()] + _piece_folders(piece):
            roots.append(base / run)
    return [root for i, root in enumerate(roots) if root.is_dir() and root not in roots[:i]]


def _piece_folders(piece: str | Path | None) -> list[Path]:
    if piece is None:
        return []
    folder = Path(piece).resolve().parent
    return [folder, folder.parent]


def _is_plain_name(text: str) -> bool:
    """A run name from a shared file is used as one folder name, never as a path."""
    return text not in ("", ".", "..") and "/" not in text and "\\" not in text and "\x00" not in text
