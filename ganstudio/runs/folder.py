"""The run folder: everything a run writes, laid out so it can be reopened anywhere.

    RUN/
      config.json          the RunConfig
      stats.jsonl          one JSON line per tick
      log.txt              plain-language events (checkpoints, rollbacks, warnings)
      samples/step-NNNNNNNNN.png   fixed-noise sample grids over time
      checkpoints/latest.pt, best.pt, step-NNNNNNNNN.pt
      artwork/             saved pieces (written by the explorer)
      direction-names.json the names an artist gave the explorer's directions, per generator

Every path name of a run is spelled here, and only here.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ganstudio.atomic import write_text_atomically
from ganstudio.config import ConfigError, RunConfig
from ganstudio.wording import printable


class RunFolderError(ValueError):
    """The run folder can't be created or read; one-line message."""


class RunFolderBusy(RunFolderError):
    """Another process is training in this run folder right now."""


_OUR_TEMP_NAME = re.compile(r"^\..*\.[0-9a-f]{12}\.tmp(\.[^.]*)?$")  # see atomic.replace_atomically
LOCK_NAME = ".ganstudio-train.lock"  # hidden; held (never just present) while a process trains here
# Written into every run folder GAN Studio makes: only such a folder (or one holding a GAN Studio
# checkpoint, from before the mark) is ever cleared or started over; an artist's own files never are.
MARKER_NAME = ".ganstudio-run"


class RunLock:
    """An OS lock on a file in the run folder, held while one process trains in it.

    The operating system drops the lock when the process ends, however it ends (a kill,
    a crash, a power cut), so a stale lock can never keep a run from being resumed.
    """

    def __init__(self, root: Path, handle: Any, created: bool) -> None:
        self.root, self._handle, self._created = root, handle, created

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        except OSError:
            pass
        self._handle.close()
        self._handle = None
        # Not a run after all (the start failed, or it was refused: an artist's own folder):
        # leave no trace, and no folder that was made only to hold the lock.
        try:
            if not (self.root / MARKER_NAME).is_file():
                (self.root / LOCK_NAME).unlink(missing_ok=True)
                if self._created and not any(self.root.iterdir()):
                    self.root.rmdir()
        except OSError:
            pass


def _try_lock(handle: Any) -> None:
    """Lock without waiting; raises BlockingIOError (or PermissionError on Windows) if held."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: Any) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def stats_path(self) -> Path:
        return self.root / "stats.jsonl"

    @property
    def log_path(self) -> Path:
        return self.root / "log.txt"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def artwork_dir(self) -> Path:
        return self.root / "artwork"

    @property
    def direction_names_path(self) -> Path:
        return self.root / "direction-names.json"

    def checkpoint_path(self, name: str) -> Path:
        return self.checkpoints_dir / f"{name}.pt"

    def snapshot_paths(self) -> list[Path]:
        """The numbered checkpoints (step-NNNNNNNNN.pt), oldest first."""
        return sorted(self.checkpoints_dir.glob("step-*.pt")) if self.checkpoints_dir.is_dir() else []

    def checkpoint_candidates(self, prefer: str = "latest") -> list[Path]:
        """The run's checkpoints in the order to try them: `prefer`, latest, best, then the
        numbered ones, newest first (only those that exist)."""
        names = dict.fromkeys([prefer, "latest", "best"])
        named = [self.checkpoint_path(name) for name in names if self.checkpoint_path(name).is_file()]
        return named + self.snapshot_paths()[::-1]

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> RunFolder | None:
        """The run a checkpoint file belongs to (RUN/checkpoints/NAME.pt); None for a lone file."""
        path = Path(checkpoint)
        return cls(path.parent.parent) if path.parent.name == "checkpoints" else None

    def looks_like_a_run(self) -> bool:
        """A folder with a config and stats: a run (what a dropped folder opens as)."""
        return self.root.is_dir() and self.config_path.is_file() and self.stats_path.exists()

    def revert_to_best(self) -> None:
        """latest.pt becomes a copy of best.pt, so the next resume continues from the best
        generator; the old latest.pt is kept as latest-before-going-back.pt. Raises OSError;
        RunFolderError when there is no best checkpoint."""
        best, latest = self.checkpoint_path("best"), self.checkpoint_path("latest")
        if not best.is_file():
            raise RunFolderError("This run has no best checkpoint yet.")
        if latest.is_file():
            shutil.copy2(latest, self.checkpoint_path("latest-before-going-back"))
        tmp = self.checkpoints_dir / ".latest.pt.revert"
        shutil.copy2(best, tmp)
        os.replace(tmp, latest)

    def read_direction_names(self, fingerprint: str) -> list[str]:
        """Names the artist gave the explorer's directions for this generator (or the run's latest)."""
        try:
            data = json.loads(self.direction_names_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = (data.get(fingerprint) or data.get("latest")) if isinstance(data, dict) else None
        return [str(n) for n in names] if isinstance(names, list) else []

    def write_direction_names(self, fingerprint: str, names: list[str]) -> None:
        """Keep the names under this generator, and as the run's latest (later checkpoints of
        the same run start from them). Raises OSError."""
        try:
            data = json.loads(self.direction_names_path.read_text(encoding="utf-8"))
            data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            data = {}
        data[fingerprint] = [str(n) for n in names]
        data["latest"] = [str(n) for n in names]
        write_text_atomically(self.direction_names_path, json.dumps(data, indent=1))

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step-{step:09d}.png"

    def create(self) -> None:
        try:
            for folder in (self.root, self.samples_dir, self.checkpoints_dir, self.artwork_dir):
                folder.mkdir(parents=True, exist_ok=True)
            self.mark()
        except OSError as exc:
            raise RunFolderError(f"Cannot create the run folder '{self.root}': {exc.strerror or exc}.") from None

    def mark(self) -> None:
        """Say that GAN Studio made this folder (raises OSError)."""
        marker = self.root / MARKER_NAME
        if not marker.is_file():
            marker.write_text("This folder is a GAN Studio run.\n", encoding="utf-8")

    def is_ours(self) -> bool:
        """GAN Studio made this folder: it carries the mark, or a checkpoint (runs from before the mark)."""
        return (self.root / MARKER_NAME).is_file() or self.has_checkpoint()

    def foreign_entries(self) -> list[str]:
        """Files a new run would overwrite or clear (config, stats, log, samples, checkpoints) that
        GAN Studio did not make: none in a run of ours. A new run must not start over them; other
        files of the artist's (a photo, notes) are never touched, so they do not count."""
        if not self.root.is_dir() or self.is_ours():
            return []
        owned = [self.config_path, self.stats_path, self.log_path, self.samples_dir, self.checkpoints_dir,
                 self.direction_names_path]
        found = []
        for path in owned:
            try:
                if path.is_dir() and any(path.iterdir()) or path.is_file():
                    found.append(path.name)
            except OSError:
                found.append(path.name)
        return found

    def exists(self) -> bool:
        return self.config_path.is_file()

    def lock(self) -> RunLock:
        """Claim the folder for training by this process (creating it if needed).

        Raises RunFolderBusy if another process is training here: two trainers in one
        folder overwrite each other's checkpoints and interleave their curves. Where no
        lock file can be written (a read-only folder) training goes on unguarded, as before.
        """
        created = not self.root.exists()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"Cannot create the run folder '{self.root}': {exc.strerror or exc}.") from None
        try:
            handle = open(self.root / LOCK_NAME, "a+b")
        except OSError:
            return RunLock(self.root, None, False)
        try:
            _try_lock(handle)
        except OSError as exc:
            handle.close()
            if isinstance(exc, (BlockingIOError, PermissionError)):  # held by another process
                raise RunFolderBusy(
                    f"Another GAN Studio process (the app or `ganstudio train`) is training in '{self.root}' "
                    "right now; wait for it to finish or stop it, or train into another folder."
                ) from None
            return RunLock(self.root, None, False)  # no locking on this file system (some network shares)
        return RunLock(self.root, handle, created)

    # -- config ---------------------------------------------------------------------
    def write_config(self, config: RunConfig) -> None:
        write_text_atomically(self.config_path, config.to_json() + "\n")

    def read_config(self) -> RunConfig:
        try:
            return RunConfig.from_json_file(self.config_path)
        except ConfigError as exc:
            raise RunFolderError(f"The run folder '{self.root}' has unusable settings: {exc}") from None

    # -- stats ----------------------------------------------------------------------
    def append_stats(self, record: dict[str, Any]) -> None:
        line = json.dumps(_json_safe(record), separators=(",", ":"))
        with open(self.stats_path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def read_stats(self) -> list[dict[str, Any]]:
        """Every complete line; a torn last line (from a crash mid-write) is ignored."""
        return list(iter_stats(self.stats_path))

    def truncate_after(self, step: int) -> None:
        """Forget stats and samples from after `step`, so a resumed run continues seamlessly."""
        if self.stats_path.exists():
            kept = [r for r in iter_stats(self.stats_path) if int(r.get("step", 0)) <= step]
            text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept)
            write_text_atomically(self.stats_path, text)
        if self.samples_dir.is_dir():
            for png in self.samples_dir.glob("step-*.png"):
                try:
                    if int(png.stem.split("-")[1]) > step:
                        png.unlink()
                except (ValueError, IndexError, OSError):
                    continue

    def sample_steps(self) -> list[int]:
        steps = []
        for png in self.samples_dir.glob("step-*.png") if self.samples_dir.is_dir() else []:
            try:
                steps.append(int(png.stem.split("-")[1]))
            except (ValueError, IndexError):
                continue
        return sorted(steps)

    # -- log ------------------------------------------------------------------------
    def log(self, message: str) -> bool:
        """Append a line to log.txt. Best effort: a full disk or a read-only folder must not stop
        training (the same message also reaches the user through the tick report)."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            with open(self.log_path, "a", encoding="utf-8") as handle:
                handle.write(f"{stamp}  {printable(message)}\n")
        except OSError:
            return False
        return True

    def remove_stale_temp_files(self) -> int:
        """Delete half-written files left by a crash or a kill mid-save: only the temporary names
        atomic.replace_atomically makes (`.NAME.<12 hex>.tmp.EXT`), never a user's own hidden file."""
        removed = 0
        for folder in (self.root, self.checkpoints_dir, self.samples_dir, self.artwork_dir):
            if not folder.is_dir():
                continue
            for path in folder.glob(".*.tmp*"):
                if not _OUR_TEMP_NAME.match(path.name):
                    continue
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    continue
        return removed

    def checkpoint_names(self) -> list[str]:
        """Complete checkpoints only: hidden *.tmp.pt files are writes that never finished."""
        if not self.checkpoints_dir.is_dir():
            return []
        return sorted(p.name for p in self.checkpoints_dir.glob("*.pt") if not p.name.startswith("."))

    def has_checkpoint(self) -> bool:
        return bool(self.checkpoint_names())


def foreign_files_message(root: Path, names: list[str]) -> str:
    shown = ", ".join(printable(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (f"'{printable(str(root))}' already holds files GAN Studio did not make ({shown}); a new run there would "
            "overwrite them. Choose an empty folder or a new one: nothing in it was changed.")


def default_runs_dir() -> Path:
    """Where the app puts new runs: $GANSTUDIO_RUNS_DIR, else ~/GAN Studio/runs."""
    env = os.environ.get("GANSTUDIO_RUNS_DIR")
    return Path(env) if env else Path.home() / "GAN Studio" / "runs"


def run_name_of(checkpoint: str | Path) -> str:
    """A checkpoint's run, in words: its run folder's name, or the file's own stem."""
    folder = RunFolder.of_checkpoint(checkpoint)
    return folder.root.name if folder is not None else Path(checkpoint).stem


def _stamp(now: float | None = None) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(now))


def new_run_dir(source: str, runs_dir: Path | None = None, now: float | None = None) -> Path:
    """A folder for a new run, named after its data and the time: never one that exists.

    Names go to the second, and a new run clears what its folder held: a second run
    started in the same second (Start, Stop, New run, Start) would have wiped the first.
    """
    base = source.split(":")[1] if source.startswith("demo:") else Path(source).stem or "run"
    base = re.sub(r"[^\w\-]+", "-", base).strip("-")[:40] or "run"
    name = f"{base}-{_stamp(now)}"
    runs = runs_dir if runs_dir is not None else default_runs_dir()
    folder, n = runs / name, 2
    while folder.exists():
        folder, n = runs / f"{name}-{n}", n + 1
    return folder


def chosen_generator(stats: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Which measured generator `generate` and the explorer use (best.pt), and why, from
    the run's stats: the last measurement judged best, with the last measurement's reason."""
    measured = [r for r in stats if isinstance(r.get("swd"), (int, float)) and isinstance(r.get("best"), bool)]
    if not measured:
        return None  # a run from before the noise-aware choice: best is simply the lowest
    chosen = next((r for r in reversed(measured) if r["best"]), None)
    if chosen is None:
        return None
    reason = measured[-1].get("best_reason")
    return {
        "checkpoint": "best.pt",
        "step": int(chosen["step"]),
        "swd": float(chosen["swd"]),
        "reason": reason if isinstance(reason, str) else "",
    }


def best_reason(checkpoint: Path, step: int) -> str:
    """For a run's best.pt at `step`: "best.pt (SWD 41.20): the newest measurement ..."; else ""."""
    if checkpoint.name != "best.pt" or checkpoint.parent.name != "checkpoints":
        return ""
    chosen = chosen_generator(list(iter_stats(checkpoint.parent.parent / "stats.jsonl")))
    if chosen is None or chosen["step"] != step:
        return ""
    return f"best.pt (SWD {chosen['swd']:.2f}): {chosen['reason']}" if chosen["reason"] else "best.pt"


# Fields of a stats line that are numbers: one that is not a finite number (a hand edit, "soon",
# NaN) is dropped from its line, so `info`, the curves and the choice of 'best' never see it.
NUMERIC_FIELDS = ("time", "images", "steps_per_sec", "images_per_sec", "lr_scale", "augment_p", "d_loss", "g_loss",
                  "d_real", "d_fake", "diversity", "swd", "swd_noise", "swd_shapes", "swd_shapes_noise", "copies")


def iter_stats(path: Path) -> Iterator[dict[str, Any]]:
    """The usable records of a stats file. Lines that are not a JSON object with a numeric
    step (a torn write, bytes damaged on disk, a hand edit) are skipped, so they can neither
    stop a run from opening or resuming nor hide the good lines around them; within a line,
    a number field that is not a finite number is dropped (NUMERIC_FIELDS), and so are a
    'best' that is not true/false and a 'best_reason' that is not text."""
    try:
        handle = open(path, encoding="utf-8", errors="replace")  # damaged bytes: that line fails to parse
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            step = record.get("step", 0)
            if not _finite_number(step):
                continue
            for key in NUMERIC_FIELDS:
                if key in record and not _finite_number(record[key]):
                    del record[key]
            if "best" in record and not isinstance(record["best"], bool):
                del record["best"]
            if "best_reason" in record and not isinstance(record["best_reason"], str):
                del record["best_reason"]
            if "events" in record and not isinstance(record["events"], list):
                del record["events"]
            yield record


def latest_value(records: list[dict[str, Any]], key: str):
    """The value of `key` in the newest record that has it (a damaged last line lost it), else None."""
    return next((r[key] for r in reversed(records) if key in r), None)


def _finite_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _json_safe(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null so every line stays standard JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
