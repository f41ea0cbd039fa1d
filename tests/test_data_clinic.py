"""The data clinic (data/clinic.py) on a folder with planted problems, and `ganstudio check-data`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ganstudio.cli.main import main
from ganstudio.data import load_images
from ganstudio.data.clinic import examine, load_exclusions
from planted_data import CLEAN, write_planted_folder

@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return write_planted_folder(tmp_path_factory.mktemp("planted"))


def _check(folder, tmp_path):
    images = load_images(str(folder), resolution=32, cache_dir=tmp_path / "cache")
    return images, examine(images.images, images.names, resolution=32, source=str(folder))


def test_the_clinic_finds_each_planted_case_and_flags_no_clean_image(planted, tmp_path):
    images, report = _check(planted, tmp_path)
    names = report.names
    assert report.images == CLEAN + 7
    assert [[names[i] for i in g] for g in report.exact] == [["land-01.png", "copy-of-01.png"]]
    near = sorted(sorted(names[i] for i in g) for g in report.near)
    assert near == [["land-02-again.jpg", "land-02.png"], ["land-03-small.png", "land-03.png"],
                    ["land-04-cropped.png", "land-04.png"]]
    assert [f.name for f in report.small] == ["tiny.png"]
    assert "12×12" in report.small[0].reason and "blur" in report.small[0].reason
    assert [f.name for f in report.stretched] == ["strip.png"]
    assert "3.8:1" in report.stretched[0].reason
    assert [f.name for f in report.odd] == ["page.png"]
    # "Keep one of each" keeps the original (most pixels, then the plainest name) and leaves out the rest.
    assert sorted(report.extra_copies()) == ["copy-of-01.png", "land-02-again.jpg", "land-03-small.png",
                                             "land-04-cropped.png"]
    assert report.summary().startswith(f"Checked {CLEAN + 7} images: 1 exact duplicate, 3 near-duplicates")


def test_a_clean_folder_gets_a_clean_bill(planted, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    for path in sorted(planted.glob("land-??.png")):
        shutil.copy(path, clean / path.name)
    _, report = _check(clean, tmp_path)
    assert report.finding_count == 0
    assert report.summary() == f"Checked {CLEAN} images: nothing to look at."


def test_excluded_images_stay_on_disk_and_out_of_training(planted, tmp_path):
    before = sorted(p.name for p in planted.iterdir())
    images = load_images(str(planted), resolution=32, cache_dir=tmp_path / "cache", exclude=["page.png", "tiny.png"])
    assert images.count == CLEAN + 5
    assert "page.png" not in images.names and "tiny.png" not in images.names
    assert sorted(p.name for p in planted.iterdir()) == before  # nothing deleted or moved


def test_check_data_prints_findings_writes_a_list_and_train_reads_it(planted, tmp_path, capsys):
    listing = tmp_path / "leave-out.txt"
    assert main(["check-data", str(planted), "--json", "--write-exclusions", str(listing)]) == 0
    out = capsys.readouterr().out
    found = json.loads(out[out.index("{"):])
    assert found["images"] == CLEAN + 7
    assert [f["name"] for f in found["odd_ones_out"]] == ["page.png"]
    assert len(found["near_duplicates"]) == 3 and len(found["exact_duplicates"]) == 1
    names = load_exclusions(listing)
    assert sorted(names) == sorted(found["keep_one_of_each_leaves_out"]) and len(names) == 4
    # Plain words by default, and exit 0 whatever it finds.
    assert main(["check-data", str(planted)]) == 0
    text = capsys.readouterr().out
    assert "page.png: unlike the rest" in text and "strip.png: 300×80 pixels" in text


def test_a_demo_set_and_a_single_image_are_checked_by_pixels(tmp_path):
    images = load_images("demo:shapes:24", resolution=16, cache_dir=tmp_path)
    doubled = np.concatenate([images.images, images.images[:1]])
    report = examine(doubled, images.names + ["again"], resolution=16, source="demo:shapes:24")
    assert [[report.names[i] for i in g] for g in report.exact] == [["again", "shapes-00000"]]
    single = examine(images.images[:1], images.names[:1], resolution=16)
    assert single.finding_count == 0


def test_an_exclusion_list_that_is_missing_is_said_plainly(tmp_path, capsys):
    code = main(["train", "--data", "demo:shapes:16", "--out", str(tmp_path / "run"), "--steps", "1",
                 "--exclude", str(tmp_path / "nope.txt")])
    assert code == 3
    assert "No exclusion list at" in capsys.readouterr().err


def test_only_files_of_a_shared_length_are_read_whole(planted, tmp_path, monkeypatch):
    """Exact copies have the same length: the clinic reads the others' headers only."""
    import ganstudio.data.clinic as clinic

    read_whole = []
    original = clinic._read_bytes
    monkeypatch.setattr(clinic, "_read_bytes", lambda path: read_whole.append(path) or original(path))
    _, report = _check(planted, tmp_path)
    assert len(report.exact) == 1
    lengths = {}
    for path in planted.iterdir():
        lengths.setdefault(path.stat().st_size, []).append(path.name)
    shared = sorted(name for names in lengths.values() if len(names) > 1 for name in names)
    assert sorted(p.rsplit("/", 1)[-1] for p in read_whole) == shared
