"""'Nearest training images' in the real window: beside the explorer's picture, and for a run's samples."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

import pytest



@pytest.fixture
def window(fresh_window):
    return fresh_window


def _rows_shown(win):
    dialog = win.nearest_dialog
    return dialog is not None and dialog.isVisible() and bool(dialog.rows)


def test_the_explorers_picture_is_shown_beside_its_nearest_training_images(window, qtbot, tmp_path):
    window.open_bundled_model()
    qtbot.waitUntil(lambda: window.explore_page.current_image() is not None, timeout=60_000)
    qtbot.mouseClick(window.findChild(QPushButton, "nearestButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: _rows_shown(window), timeout=120_000)
    (row,) = window.nearest_dialog.rows
    assert (row.picture == window.explore_page.current_image()).all()
    assert len(row.matches) == 4
    distances = [d for _, _, d in row.matches]
    assert distances == sorted(distances) and distances[0] > 0
    assert all(image.shape == row.picture.shape for image, _, _ in row.matches)
    assert row.matches[0][1].startswith("landscapes-")  # the bundled model's own training set
    assert row.verdict.endswith(".") and row.verdict[0].isupper()
    # A piece saved now records how near it is to the training images.
    from ganstudio.export import read_recipe

    with qtbot.waitSignal(window.explore_page.artworkSaved, timeout=60_000):
        window.explore_page.save_artwork(tmp_path / "piece.png")
    note = read_recipe(tmp_path / "piece.png")["copy_check"]
    assert abs(note["nearest"] - distances[0]) < 1e-3 and note["verdict"] == row.verdict[:-1].lower()


def test_a_runs_samples_are_put_beside_their_nearest_training_images(window, qtbot, tmp_path):
    from tiny_runs import tiny_config
    from ganstudio.cli.main import main

    (tmp_path / "tiny.json").write_text(tiny_config(train__steps=4).to_json())
    run = tmp_path / "run"
    assert main(["train", "--config", str(tmp_path / "tiny.json"), "--out", str(run), "--quiet"]) == 0
    window.open_run(run)
    qtbot.waitUntil(lambda: window.training.state == "viewing", timeout=30_000)
    button = window.findChild(QPushButton, "sampleNearestButton")
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: _rows_shown(window), timeout=60_000)
    rows = window.nearest_dialog.rows
    assert len(rows) == 4  # the run's 2×2 grid, one row per sample
    nearest = [row.matches[0][2] for row in rows]
    assert nearest == sorted(nearest)  # the closest to a training image first
    assert "samples are near copies" in window.nearest_dialog.heading.text()
    # The run's own copy figure is in its stats and on the quality plot's second scale.
    measured = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines() if '"swd"' in line]
    steps, values = window.train_page.plots.series("copies")
    assert list(values) == [line["copies"] for line in measured]
