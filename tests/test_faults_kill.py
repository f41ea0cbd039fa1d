"""A training run killed without warning (SIGKILL: power cut, OOM killer, closed laptop lid)
again and again must always leave a run folder that opens and resumes.

The real command runs in a subprocess, as on a terminal or GPU server. It writes a
checkpoint, a sample grid and a stats line every two steps, so random kills land during
start-up, mid-training and in the middle of those writes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from tiny_runs import tiny_config

from ganstudio.checkpoint import load_checkpoint
from ganstudio.runs.history import read_run

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")]

REPO = Path(__file__).resolve().parents[1]
KILLS = 20
SEED = 20240611
START_TIMEOUT = 120.0  # seconds for a start-up to reach training on a slow, busy CI machine


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def _log_size(run: Path) -> int:
    try:
        return (run / "log.txt").stat().st_size
    except OSError:
        return 0


def _start_and_kill(config: Path, run: Path, *, resume: bool, mode: str, delay: float) -> subprocess.CompletedProcess | None:
    """Start `ganstudio train`, SIGKILL it per `mode`/`delay`.

    Returns None when it was killed, or the finished process when it ended by itself first.
    - "early":    `delay` seconds after launch (interpreter and torch still loading)
    - "startup":  `delay` seconds after launch, around data loading / trainer set-up
    - "training": `delay` seconds after the trainer wrote its 'New run' / 'Resumed' log line
    - "in-save":  as "training", then at the first moment a checkpoint temp file exists
    """
    args = [sys.executable, "-m", "ganstudio", "train", "--out", str(run), "--quiet"]
    args += ["--resume"] if resume else ["--config", str(config)]
    log_before = _log_size(run)
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        launched = time.monotonic()
        deadline = launched + START_TIMEOUT
        kill_at = launched + delay if mode in ("early", "startup") else None
        checkpoints = run / "checkpoints"
        while True:
            if proc.poll() is not None:
                out, err = proc.communicate()
                return subprocess.CompletedProcess(args, proc.returncode, out, err)
            now = time.monotonic()
            if kill_at is None and _log_size(run) > log_before:
                kill_at = now + delay  # the trainer is set up: training (and saving) starts now
            in_save_window = mode == "in-save" and kill_at is not None and kill_at <= now < kill_at + 5.0
            if in_save_window and not _checkpoint_temps(checkpoints):
                continue  # spin: a save lasts about a millisecond
            if kill_at is not None and now >= kill_at:
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=30)
                assert proc.returncode == -signal.SIGKILL
                return None
            assert now < deadline, "training did not start in time"
            time.sleep(0.001)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _checkpoint_temps(checkpoints: Path) -> list[str]:
    try:
        return [e.name for e in os.scandir(checkpoints) if e.name.startswith(".latest.") and ".tmp" in e.name]
    except OSError:
        return []


def _check_run_folder(run: Path, state: dict) -> None:
    """What a user opening the folder after the crash relies on."""
    checkpoints = run / "checkpoints"
    latest = checkpoints / "latest.pt"
    temps = _checkpoint_temps(checkpoints)
    state["kills_mid_save"] += bool(set(temps) - state["temps"])  # this kill interrupted a checkpoint write
    state["temps"].update(temps)

    if not (run / "config.json").exists():
        # Killed before the run folder was set up: nothing was saved, nothing can be lost.
        assert not latest.exists()
        return

    history = read_run(run)  # opens: config, curves, samples, checkpoint list
    steps = history.steps.tolist()
    assert steps == sorted(set(steps)), f"stats steps are not increasing: {steps}"

    # Every stats line parses, except a last line torn by the kill (read_run skips it).
    stats = run / "stats.jsonl"
    if stats.exists():
        text = stats.read_text(encoding="utf-8")
        lines = text.split("\n")
        complete, torn = lines[:-1], lines[-1]
        for line in complete:
            assert isinstance(json.loads(line), dict)
        if torn:
            state["torn_lines"] += 1

    if latest.exists():
        data = load_checkpoint(latest)  # complete, weights_only-loadable
        step = int(data["step"])
        # A kill never costs work that was already checkpointed.
        assert step >= state["checkpoint_step"], (step, state["checkpoint_step"])
        state["checkpoint_step"] = step
        state["had_checkpoint"] = True
    else:
        # A temp file may be the only checkpoint-like file only if no save ever completed
        # (the kill landed in the very first save), and then nothing is lost.
        assert not state["had_checkpoint"], f"latest.pt disappeared; left only {temps}"
    for pt in checkpoints.glob("*.pt"):
        if not pt.name.startswith("."):
            load_checkpoint(pt)
    # Sample grids under their real names are whole PNGs (new ones only, to stay quick).
    for png in (run / "samples").glob("step-*.png"):
        key = (png.name, png.stat().st_mtime_ns, png.stat().st_size)
        if key not in state["pngs_ok"]:
            with Image.open(png) as image:
                image.load()
            state["pngs_ok"].add(key)


def test_run_survives_twenty_sigkills_and_then_finishes(tmp_path):
    config = tiny_config(
        train__steps=1_000_000, schedule__checkpoint_minutes=0.0005, schedule__tick_steps=2, schedule__snapshot_minutes=0.0
    )
    config_path = tmp_path / "tiny.json"
    config_path.write_text(config.to_json())
    run = tmp_path / "RUN"
    rng = random.Random(SEED)
    state = {"checkpoint_step": 0, "had_checkpoint": False, "kills_mid_save": 0, "temps": set(), "torn_lines": 0, "pngs_ok": set()}
    fresh_starts = 0
    modes = []

    for i in range(KILLS):
        mode = rng.choices(["early", "startup", "training", "in-save"], weights=[2, 3, 5, 5])[0]
        delay = {"early": rng.uniform(0.0, 1.2), "startup": rng.uniform(2.0, 4.0)}.get(mode, rng.uniform(0.0, 0.4))
        if i == 0:
            mode, delay = "early", 0.5  # before the run folder exists: the next --resume has nothing to resume
        elif i == 1:
            mode, delay = "training", 0.0  # right after set-up, usually before the first checkpoint
        modes.append(mode)
        result = _start_and_kill(config_path, run, resume=i > 0, mode=mode, delay=delay)
        if result is not None:
            # Ended by itself: only a resume with nothing to resume may do that.
            assert i > 0, result.stderr
            assert result.returncode == 3, result.stderr  # nothing to resume: a folder that cannot be used
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "Nothing to resume" in lines[0], result.stderr
            assert "Traceback" not in result.stderr
            assert not (run / "checkpoints" / "latest.pt").exists()
            assert not (run / "config.json").exists()  # with a config.json, --resume starts it over
            fresh_starts += 1
            result = _start_and_kill(config_path, run, resume=False, mode=mode, delay=delay)
            assert result is None, f"a fresh start ended by itself: {result.stderr}"
        _check_run_folder(run, state)

    # Most kills landed after training began, so the run did move forward between kills,
    # and some landed in the middle of a checkpoint write.
    assert state["had_checkpoint"] and state["checkpoint_step"] > 0, modes
    assert state["kills_mid_save"] >= 1, modes

    # The final resume trains on to a step limit and finishes normally.
    target = state["checkpoint_step"] + 6
    final = subprocess.run(
        [sys.executable, "-m", "ganstudio", "train", "--out", str(run), "--resume", "--steps", str(target)],
        env=_env(), capture_output=True, text=True, timeout=300, check=False,
    )
    assert final.returncode == 0, final.stderr
    assert f"Finished at step {target}" in final.stdout
    data = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert int(data["step"]) == target >= state["checkpoint_step"]
    history = read_run(run)
    steps = history.steps.tolist()
    assert steps == sorted(set(steps)) and history.last_step == target
    print(
        f"\n{KILLS} kills ({', '.join(modes)}); {fresh_starts} fresh start(s); kills mid-checkpoint-write: "
        f"{state['kills_mid_save']}; stale checkpoint temp files left: {len(_checkpoint_temps(run / 'checkpoints'))}; torn stats lines seen: {state['torn_lines']}; last checkpoint step {state['checkpoint_step']}"
    )


def test_a_run_killed_before_its_first_checkpoint_can_be_started_again(tiny_images, tmp_path, capsys):
    """A kill between creating the run folder and its first checkpoint leaves config.json
    and no checkpoint: nothing to lose, so both --resume and a plain start begin it again."""
    from ganstudio.cli.main import main
    from ganstudio.training.trainer import Trainer

    config = tiny_config(train__steps=2)
    (tmp_path / "tiny.json").write_text(config.to_json())
    run = tmp_path / "RUN"
    Trainer(config, tiny_images, run, device="cpu")  # sets the folder up, as a start-up does before training
    assert (run / "config.json").exists() and not (run / "checkpoints" / "latest.pt").exists()

    assert main(["train", "--out", str(run), "--resume", "--quiet"]) == 0
    assert "has no checkpoint yet" in capsys.readouterr().out
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 2

    other = tmp_path / "OTHER"
    Trainer(config, tiny_images, other, device="cpu")
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(other), "--quiet"]) == 0
    assert load_checkpoint(other / "checkpoints" / "latest.pt")["step"] == 2
    # Once a checkpoint exists, a plain start is refused again: that would lose work.
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(other), "--quiet"]) == 3
