"""The terminal conventions a script or a GPU server relies on: progress output only on a
terminal, one line per tick with -v, --minutes on resume, crash reports in the log folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tiny_runs import tiny_config
from ganstudio.cli.main import main

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, timeout=300, env=env)


def _elapsed(run: Path) -> float:
    """Training seconds the run's latest checkpoint holds (what a resume counts from)."""
    from ganstudio.checkpoint import load_checkpoint

    return float(load_checkpoint(run / "checkpoints" / "latest.pt")["elapsed"])


def test_train_into_a_log_file_writes_lines_not_a_redrawn_bar(tmp_path):
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=8).to_json())
    done = _cli("train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b[" not in done.stderr  # no progress-bar redraws in the file
    assert "Finished at step 8" in done.stdout


def test_verbose_prints_one_line_per_tick(tmp_path):
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=12).to_json())  # a tick every 4 steps
    done = _cli("train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "run"), "-v")
    assert done.returncode == 0, done.stderr
    ticks = [line for line in done.stderr.splitlines() if line.startswith("step ") and "img/s" in line]
    assert [line.split()[1] for line in ticks] == ["4", "8", "12"], done.stderr


def test_quiet_prints_nothing_on_success(tmp_path):
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=4).to_json())
    done = _cli("train", "--config", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "run"), "-q")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (done.stdout, done.stderr)


def test_minutes_on_resume_means_more_minutes(tmp_path):
    """A run that trained 1.2 s, resumed with --minutes 0.01 (0.6 s): it trains 0.6 s more,
    where counting the run's total would stop it at once."""
    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=0, train__minutes=0.02).to_json())
    run = tmp_path / "run"
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(run), "--quiet"]) == 0
    before = _elapsed(run)
    assert before >= 1.2
    assert main(["train", "--out", str(run), "--resume", "--minutes", "0.01", "--quiet"]) == 0
    assert _elapsed(run) >= before + 0.6


def test_a_crash_leaves_a_report_in_the_log_folder_and_exit_code_1(tmp_path, monkeypatch, capsys):
    import ganstudio.cli.info as info

    def broken(args):  # a bug of ours, as if info.py had one
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(info, "run_info", broken)
    monkeypatch.setenv("GANSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    assert main(["info", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "unexpected error: ZeroDivisionError: planted; details in" in err
    (report,) = (tmp_path / "logs").glob("info-crash-*.txt")
    assert str(report) in err and "ZeroDivisionError: planted" in report.read_text()
    assert "Traceback" not in err


def test_help_lists_the_exit_codes():
    done = _cli("--help")
    assert done.returncode == 0
    for code in ("0 done", "1 crashed", "2 bad command line", "3 data", "4 training diverged", "130 interrupted"):
        assert code in " ".join(done.stdout.split()), done.stdout
