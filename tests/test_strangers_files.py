"""Nothing of the artist's is overwritten, and a stranger's file name is never an error.

Issue #29 cases 1 and 3: `train --out` on a folder of the artist's own files (a config.json,
stats, a log and sample PNGs, but no checkpoint) used to overwrite the config, empty the stats
and delete the PNGs; one file name that is not UTF-8 in a data folder made it untrainable
from the terminal (writing "Skipped <name>" to log.txt raised UnicodeEncodeError).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from ganstudio.runs.folder import MARKER_NAME, RunFolderError
from ganstudio.training.trainer import Trainer
from tiny_runs import tiny_config

TRAIN = ["--data", "demo:shapes:24", "--resolution", "16", "--steps", "2", "--batch", "8", "--quiet",
         "--set", "model.width=8", "--set", "model.z_dim=16"]


def _artists_folder(root):
    files = {
        "config.json": b'{"my": "own settings for another program"}\n',
        "stats.jsonl": b'{"step": 1, "note": "my measurements"}\n',
        "log.txt": b"my diary\n",
        "samples/step-000000001.png": None,
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(path)
        else:
            path.write_bytes(content)
    return {name: (root / name).read_bytes() for name in files}


def test_a_new_run_refuses_a_folder_of_the_artists_own_files_and_changes_nothing(tmp_path, capsys):
    folder = tmp_path / "my-things"
    before = _artists_folder(folder)
    assert main(["train", "--out", str(folder), *TRAIN]) == 3
    err = capsys.readouterr().err
    assert "already holds files GAN Studio did not make" in err and "nothing in it was changed" in err
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "log.txt", "samples", "stats.jsonl"]
    # --resume has nothing to continue there either, and says so without touching a file.
    assert main(["train", "--out", str(folder), "--resume", "--quiet"]) == 3
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_the_trainer_itself_refuses_such_a_folder(tmp_path, tiny_images):
    folder = tmp_path / "my-things"
    before = _artists_folder(folder)
    with pytest.raises(RunFolderError, match="GAN Studio did not make"):
        Trainer(tiny_config(), tiny_images, folder, device="cpu")
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_an_empty_folder_or_a_run_of_ours_still_starts(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--out", str(empty), *TRAIN]) == 0
    assert (empty / MARKER_NAME).is_file() and (empty / "checkpoints" / "latest.pt").is_file()


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes on POSIX only")
def test_a_file_name_that_is_not_utf8_is_skipped_and_logged_safely(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(data / f"good-{i}.png")
    damaged = os.path.join(os.fsencode(data), b"broken-\xe9t\xe9.png")  # Latin-1 bytes, not UTF-8
    with open(damaged, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n not really")
    run = tmp_path / "run"
    args = ["train", "--data", str(data), "--out", str(run), "--resolution", "16", "--steps", "2", "--batch", "8",
            "--set", "model.width=8", "--set", "model.z_dim=16"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "broken-\ufffdt\ufffd.png" in out  # shown as a file manager shows it
    log = (run / "log.txt").read_text(encoding="utf-8")
    assert "Skipped" in log and "broken-\ufffdt\ufffd.png" in log
    assert (run / "checkpoints" / "latest.pt").is_file()
