"""Saving fails (disk full, read-only folder): training goes on, the user is told in plain
words, and what was already saved stays whole."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_runs import tiny_config

import ganstudio.atomic
import ganstudio.training.snapshot
import ganstudio.export
from ganstudio.checkpoint import load_checkpoint
from ganstudio.training.trainer import Trainer
from ganstudio.runs.history import read_run
from ganstudio.runs.folder import RunFolder

STEPS = 12


def _config():
    # A tick every 2 steps, and a checkpoint and a sample grid at every tick.
    return tiny_config(train__steps=STEPS, schedule__tick_steps=2, schedule__checkpoint_minutes=0.0)


def _enospc(path="") -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _temp_files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if ".tmp" in p.name)


def _events(reports) -> list[str]:
    return [e.text for r in reports for e in r.events]


def _assert_finished_every_step(reports) -> None:
    assert reports[-1].state == "finished" and reports[-1].step == STEPS
    steps = np.concatenate([np.arange(r.first_step, r.first_step + len(r.d_loss)) for r in reports])
    assert steps.tolist() == list(range(1, STEPS + 1))


def _assert_plain(message: str) -> None:
    assert "Traceback" not in message and "[Errno" not in message and "OSError" not in message, message


class _FailingSaves:
    """Makes checkpoint saves after the first good one fail at one point of the atomic write."""

    def __init__(self, monkeypatch, where: str, fail_steps=lambda step: step > 2):
        self.where = where
        self.active = False
        self.failed = 0
        real_save = ganstudio.training.snapshot.save_checkpoint

        def save_checkpoint(path, payload):
            self.active = fail_steps(int(payload["step"]))
            try:
                return real_save(path, payload)
            finally:
                self.active = False

        monkeypatch.setattr(ganstudio.training.snapshot, "save_checkpoint", save_checkpoint)
        if where == "write":  # the disk fills up halfway through writing the temp file
            real_torch_save = torch.save

            def torch_save(obj, f, *args, **kwargs):
                if self.active:
                    Path(f).write_bytes(b"PK\x03\x04 half a checkpoint")
                    self._raise(f)
                return real_torch_save(obj, f, *args, **kwargs)

            monkeypatch.setattr(torch, "save", torch_save)
        elif where == "fsync":  # the data can't be flushed to disk
            real_fsync = os.fsync

            def fsync(fd):
                if self.active:
                    self._raise("")
                return real_fsync(fd)

            monkeypatch.setattr(ganstudio.atomic.os, "fsync", fsync)
        elif where == "replace":  # the rename into place fails
            real_replace = os.replace

            def replace(src, dst, *args, **kwargs):
                if self.active:
                    self._raise(dst)
                return real_replace(src, dst, *args, **kwargs)

            monkeypatch.setattr(ganstudio.atomic.os, "replace", replace)
        else:
            raise ValueError(where)

    def _raise(self, path) -> None:
        self.failed += 1
        raise _enospc(path)


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_disk_full_while_saving_a_checkpoint_keeps_training_and_the_old_checkpoint(tiny_images, tmp_path, monkeypatch, where):
    run = tmp_path / "run"
    faults = _FailingSaves(monkeypatch, where)
    trainer = Trainer(_config(), tiny_images, run, device="cpu")
    latest = run / "checkpoints" / "latest.pt"
    reports = []
    good = None
    for report in trainer.run():
        reports.append(report)
        if good is None:
            assert report.step == 2 and report.checkpoint == str(latest)  # the first save is fine
            good = _digest(latest)
        else:
            assert report.checkpoint is None  # no tick claims a checkpoint it could not write
            assert _digest(latest) == good  # the previous checkpoint is untouched, at every tick

    _assert_finished_every_step(reports)
    assert faults.failed >= 5  # steps 4, 6, 8, 10, 12 (and the final 'best')
    failures = [e for e in _events(reports) if "Could not save" in e]
    latest_failures = [e for e in failures if "'latest' checkpoint" in e]
    assert len(latest_failures) == 5, failures
    for message in failures:
        assert "No space left on device" in message
        assert "training continues" in message and "previous checkpoint is untouched" in message
        _assert_plain(message)

    assert load_checkpoint(latest)["step"] == 2
    assert _temp_files(run) == []
    # Someone opening the run folder later sees what happened, too.
    assert "Could not save the 'latest' checkpoint" in (run / "log.txt").read_text(encoding="utf-8")
    history = read_run(run)
    assert any("No space left on device" in text for _, text in history.events)
    assert history.steps.tolist() == [2, 4, 6, 8, 10, 12]


def test_checkpoints_are_saved_again_once_the_disk_has_room(tiny_images, tmp_path, monkeypatch):
    run = tmp_path / "run"
    faults = _FailingSaves(monkeypatch, "write", fail_steps=lambda step: 2 < step <= 8)
    reports = list(Trainer(_config(), tiny_images, run, device="cpu").run())
    _assert_finished_every_step(reports)
    assert faults.failed == 3
    assert reports[-1].checkpoint is not None
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == STEPS
    assert (run / "checkpoints" / "best.pt").is_file()
    assert _temp_files(run) == []


def test_disk_full_for_sample_grids_and_stats_keeps_training_and_says_so(tiny_images, tmp_path, monkeypatch):
    run = tmp_path / "run"
    full = {"on": False}
    real_write_bytes = ganstudio.export.write_bytes_atomically

    def write_bytes_atomically(target, data, **kwargs):
        if not full["on"]:
            return real_write_bytes(target, data, **kwargs)

        def half(tmp: Path) -> None:  # half the PNG lands in the temp file, then the disk is full
            tmp.write_bytes(data[: len(data) // 2])
            raise _enospc(tmp)

        return ganstudio.atomic.replace_atomically(target, half, **kwargs)

    real_append = RunFolder.append_stats

    def append_stats(self, record):
        if full["on"]:
            raise _enospc(self.stats_path)
        return real_append(self, record)

    monkeypatch.setattr(ganstudio.export, "write_bytes_atomically", write_bytes_atomically)
    monkeypatch.setattr(RunFolder, "append_stats", append_stats)

    trainer = Trainer(_config(), tiny_images, run, device="cpu")
    reports = []
    for report in trainer.run():
        reports.append(report)
        full["on"] = True  # full from the second tick on

    _assert_finished_every_step(reports)
    later = reports[1:]
    for report in later:
        events = " | ".join(e.text for e in report.events)
        assert "Could not save the sample grid: No space left on device" in events, events
        assert "Could not write stats.jsonl: No space left on device" in events, events
        for message in (e.text for e in report.events):
            _assert_plain(message)
        # The app still shows the newest samples and curves: they travel in the report.
        assert report.sample_grid is not None and len(report.d_loss) == 2

    assert _temp_files(run) == []
    assert [p.name for p in sorted((run / "samples").glob("*"))] == ["step-000000002.png"]
    assert read_run(run).steps.tolist() == [2]  # the line written before the disk filled up
    # Checkpoints were not affected: the run can be resumed from its end.
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == STEPS


def test_read_only_run_folder_for_checkpoints_keeps_training_and_the_old_checkpoint(tiny_images, tmp_path, monkeypatch):
    run = tmp_path / "run"
    real_save = ganstudio.training.snapshot.save_checkpoint
    attempts = []

    def save_checkpoint(path, payload):
        attempts.append(int(payload["step"]))
        if len(attempts) > 1:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_save(path, payload)

    monkeypatch.setattr(ganstudio.training.snapshot, "save_checkpoint", save_checkpoint)
    trainer = Trainer(_config(), tiny_images, run, device="cpu")
    latest = run / "checkpoints" / "latest.pt"
    reports = list(trainer.run())
    good = _digest(latest)

    _assert_finished_every_step(reports)
    failures = [e for e in _events(reports) if "Could not save" in e]
    assert sum("'latest' checkpoint" in e for e in failures) == 5, failures
    for message in failures:
        assert "Permission denied" in message and "training continues" in message
        _assert_plain(message)
    assert load_checkpoint(latest)["step"] == 2
    assert _temp_files(run) == []

    # Saving on close (what the app does when the window is closed) reports instead of raising.
    assert trainer.save() is None
    assert _digest(latest) == good and load_checkpoint(latest)["step"] == 2


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES], ids=["disk-full", "read-only"])
def test_nothing_in_the_run_folder_can_be_written_keeps_training(tiny_images, tmp_path, monkeypatch, error):
    """A disk that is really full (or a folder that became read-only) refuses every write:
    checkpoints, sample grids, stats and the log. Training must still reach its end."""
    run = tmp_path / "run"
    broken = {"on": False}

    def fail(path=""):
        exc_type = PermissionError if error == errno.EACCES else OSError
        raise exc_type(error, os.strerror(error), str(path))

    real_save = ganstudio.training.snapshot.save_checkpoint
    real_write_bytes = ganstudio.export.write_bytes_atomically
    real_append = RunFolder.append_stats
    monkeypatch.setattr(ganstudio.training.snapshot, "save_checkpoint", lambda p, s: fail(p) if broken["on"] else real_save(p, s))
    monkeypatch.setattr(
        ganstudio.export, "write_bytes_atomically", lambda t, d, **k: fail(t) if broken["on"] else real_write_bytes(t, d, **k)
    )
    monkeypatch.setattr(RunFolder, "append_stats", lambda self, r: fail(self.stats_path) if broken["on"] else real_append(self, r))
    import builtins

    from ganstudio.runs import folder as runfolder_module

    def open_unless_log(file, *args, **kwargs):  # log.txt refuses writes like every other file
        if broken["on"] and str(file).endswith("log.txt"):
            fail(file)
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(runfolder_module, "open", open_unless_log, raising=False)

    trainer = Trainer(_config(), tiny_images, run, device="cpu")
    reports = []
    for report in trainer.run():
        reports.append(report)
        broken["on"] = True
    _assert_finished_every_step(reports)
    assert any("Could not save the 'latest' checkpoint" in e for e in _events(reports))
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 2


def test_a_damaged_latest_checkpoint_carries_on_from_the_newest_readable_one(tmp_path):
    """latest.pt cut short by a bad copy or a disk error: the run resumes from its newest
    snapshot instead of being lost, says so, and keeps the damaged file."""
    from ganstudio.cli.main import main

    run = tmp_path / "run"
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config(train__steps=12, schedule__snapshot_minutes=1e-9).to_json())
    assert main(["train", "--config", str(config), "--out", str(run), "--quiet"]) == 0
    snapshots = sorted(p.name for p in (run / "checkpoints").glob("step-*.pt"))
    assert snapshots and snapshots[-1] == "step-000000012.pt"
    latest = run / "checkpoints" / "latest.pt"
    damaged = latest.read_bytes()[: latest.stat().st_size // 2]
    latest.write_bytes(damaged)
    (run / "checkpoints" / "step-000000012.pt").write_bytes(b"also damaged")  # the newest snapshot too,
    (run / "checkpoints" / "best.pt").write_bytes(b"and best")  # and best.pt: step 8's snapshot is left

    assert main(["train", "--out", str(run), "--resume", "--steps", "16", "--quiet"]) == 0
    log = (run / "log.txt").read_text()
    assert "The latest checkpoint could not be read" in log and "'step-000000008.pt' (step 8)" in log
    assert (run / "checkpoints" / "latest-unreadable.pt").read_bytes() == damaged  # kept, not lost
    assert load_checkpoint(latest)["step"] == 16
    history = read_run(run)
    assert history.last_step == 16 and list(history.steps) == sorted(set(history.steps))
    trained = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert trained == sorted(set(trained))  # steps 9-12, trained again, are not in the curve twice


def test_a_latest_checkpoint_from_a_newer_version_is_not_replaced_by_an_older_one(tmp_path):
    """Only damage falls back: a checkpoint that reads fine but is not ours to use (a newer
    GAN Studio's) stops the resume with its own plain message, and nothing is rewritten."""
    from ganstudio.cli.main import main

    run = tmp_path / "run"
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config(train__steps=8, schedule__snapshot_minutes=1e-9).to_json())
    assert main(["train", "--config", str(config), "--out", str(run), "--quiet"]) == 0
    latest = run / "checkpoints" / "latest.pt"
    data = torch.load(latest, weights_only=True)
    data["version"] = 99
    torch.save(data, latest)
    before = _digest(latest)
    assert main(["train", "--out", str(run), "--resume", "--steps", "12", "--quiet"]) == 3
    assert _digest(latest) == before and not (run / "checkpoints" / "latest-unreadable.pt").exists()
