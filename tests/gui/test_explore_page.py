"""Explore page: sliders change the picture, looks are reproducible, saved pieces reopen
exactly, keyframe walks export, undo is exact, follow-training behaves."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtWidgets import QCheckBox, QPushButton, QSlider, QSpinBox, QToolButton

from ganstudio.checkpoint import generator_fingerprint
from ganstudio.export import read_recipe
from ganstudio.gui.controllers.explore import ExploreController
from ganstudio.gui.pages.explore import EMPTY_TEXT, ExplorePage
from ganstudio.gui.state import ExploreState
from ganstudio.models import build_generator
from ganstudio.explore.recipe import parse_recipe


def tiny_generator(seed: int = 0):
    torch.manual_seed(seed)
    return build_generator("dcgan", resolution=16, channels=3, z_dim=16, width=8).eval()


def settle(qtbot, page):
    qtbot.waitUntil(page.is_idle, timeout=5000)
    return page.current_image().copy()


def saved_piece(qtbot, page, path, **options) -> Path:
    """Save as the Save button does (rendered and written in the export worker) and wait for it."""
    with qtbot.waitSignal(page.artworkSaved, timeout=10_000) as saved:
        page.save_artwork(path, **options)
    return Path(saved.args[0])


def child(page, cls, name):
    widget = page.findChild(cls, name)
    assert widget is not None, name
    return widget


@pytest.fixture
def make_page(qtbot):
    pages = []

    def make(generator=None, *, live=False, fingerprint="fp-0", run="tiny-run", step=100):
        state = ExploreState()
        page = ExplorePage(state)
        page.controller = ExploreController(state, page)  # as the window wires them
        qtbot.addWidget(page)
        page.resize(1100, 760)
        pages.append(page)
        if generator is not None:
            page.set_generator(generator, fingerprint=fingerprint, run=run, checkpoint=None, step=step, live=live)
            settle(qtbot, page)
        return page

    yield make
    for page in pages:
        page.shutdown()
        page.controller.shutdown()


def test_empty_state_is_friendly_and_offers_the_demo_model(qtbot, make_page):
    page = make_page()
    assert page.objectName() == "explorePage"
    text = child(page, object, "exploreEmptyText").text()
    assert text == EMPTY_TEXT and "bundled demo model" in text
    assert page.current_image() is None
    with qtbot.waitSignal(page.openBundledRequested, timeout=1000):
        child(page, QPushButton, "openBundledButton").click()
    assert not page.controller.renderer.isRunning()  # no thread until there is a model


def test_controls_have_their_names_and_the_image_shows(qtbot, make_page):
    page = make_page(tiny_generator())
    for cls, name in [(QSpinBox, "seedSpin"), (QPushButton, "randomSeedButton"), (QSlider, "truncationSlider"),
                      (QSlider, "interpolationSlider"), (QSlider, "variationAmountSlider"), (QToolButton, "undoButton"),
                      (QToolButton, "redoButton"), (QToolButton, "resetLookButton"), (QPushButton, "saveArtworkButton"),
                      (QCheckBox, "followTrainingCheck"), (object, "explorerImage"), (object, "variationsGrid")]:
        child(page, cls, name)
    assert len(page.direction_sliders) == 12
    assert child(page, QSlider, "directionSlider11").accessibleName() == "Direction 12"
    image = page.current_image()
    assert image.dtype == np.uint8 and image.shape == (16, 16, 3)
    assert not child(page, QSlider, "interpolationSlider").isEnabled()  # needs two keyframes


def test_moving_a_direction_slider_changes_the_image(qtbot, make_page):
    page = make_page(tiny_generator())
    before = page.current_image().copy()
    child(page, QSlider, "directionSlider0").setValue(80)
    after = settle(qtbot, page)
    assert not np.array_equal(before, after)
    assert page.current_look().offsets[0] == pytest.approx(0.8 * 3.0)


def test_same_seed_and_sliders_give_identical_pixels(qtbot, make_page):
    g = tiny_generator()
    page = make_page(g)
    seed, psi, d1 = child(page, QSpinBox, "seedSpin"), child(page, QSlider, "truncationSlider"), child(page, QSlider, "directionSlider1")
    seed.setValue(7)
    psi.setValue(70)
    d1.setValue(-40)
    first = settle(qtbot, page)
    seed.setValue(8)
    d1.setValue(55)
    assert not np.array_equal(settle(qtbot, page), first)
    seed.setValue(7)
    d1.setValue(-40)
    assert np.array_equal(settle(qtbot, page), first)
    other = make_page(g)  # a second page with the same model and values
    child(other, QSpinBox, "seedSpin").setValue(7)
    child(other, QSlider, "truncationSlider").setValue(70)
    child(other, QSlider, "directionSlider1").setValue(-40)
    assert np.array_equal(settle(qtbot, other), first)


def test_saved_png_reopens_with_identical_pixels_and_controls(qtbot, make_page, tmp_path):
    g = tiny_generator()
    page = make_page(g, fingerprint=generator_fingerprint(g.state_dict()))
    child(page, QSpinBox, "seedSpin").setValue(1234)
    child(page, QSlider, "truncationSlider").setValue(85)
    child(page, QSlider, "directionSlider2").setValue(37)
    shown = settle(qtbot, page)
    with qtbot.waitSignal(page.artworkSaved, timeout=2000) as saved:
        path = page.save_artwork(tmp_path / "piece.png", scale=1)
    assert saved.args == [str(path)]
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), shown)
    big = saved_piece(qtbot, page, tmp_path / "piece-4x.png", scale=4, smooth=False)
    big_pixels = np.asarray(Image.open(big).convert("RGB"))
    assert big_pixels.shape == (64, 64, 3) and np.array_equal(big_pixels[::4, ::4], shown)  # crisp blocks
    assert saved_piece(qtbot, page, tmp_path / "custom.png", size=100).exists()
    assert Image.open(tmp_path / "custom.png").size == (100, 100)

    # Wander off, then reopen the piece from its file.
    child(page, QSpinBox, "seedSpin").setValue(5)
    child(page, QSlider, "directionSlider2").setValue(-90)
    child(page, QSlider, "truncationSlider").setValue(40)
    assert not np.array_equal(settle(qtbot, page), shown)
    assert page.open_recipe(parse_recipe(read_recipe(path)))
    assert np.array_equal(settle(qtbot, page), shown)
    assert child(page, QSpinBox, "seedSpin").value() == 1234
    assert child(page, QSlider, "truncationSlider").value() == 85
    assert child(page, QSlider, "directionSlider2").value() == 37
    page.undo()  # reopening is one undo step
    assert child(page, QSpinBox, "seedSpin").value() == 5


def test_a_piece_from_another_model_asks_for_it(qtbot, make_page, tmp_path):
    a, b = tiny_generator(0), tiny_generator(1)
    page = make_page(a, fingerprint=generator_fingerprint(a.state_dict()))
    path = saved_piece(qtbot, page, tmp_path / "a.png")
    page.set_generator(b, fingerprint=generator_fingerprint(b.state_dict()), run="other", checkpoint=None, step=1, live=False)
    settle(qtbot, page)
    recipe = parse_recipe(read_recipe(path))
    messages = []
    page.messagePosted.connect(lambda level, text: messages.append(text))
    with qtbot.waitSignal(page.modelNeeded, timeout=1000):
        assert not page.open_recipe(recipe)
    assert "different model" in messages[-1]
    # When the lead then opens the right model, the piece opens by itself.
    page.set_generator(a, fingerprint=generator_fingerprint(a.state_dict()), run="tiny-run", checkpoint=None, step=100, live=False)
    assert np.array_equal(settle(qtbot, page), np.asarray(Image.open(path).convert("RGB")))


def test_gif_of_a_three_keyframe_walk_has_the_requested_frames(qtbot, make_page, tmp_path):
    page = make_page(tiny_generator())
    seed = child(page, QSpinBox, "seedSpin")
    for s in (1, 2, 3):
        seed.setValue(s)
        page.add_keyframe()
    assert [b.text() for b in page.chips.buttons] == ["A", "B", "C"]
    interp = child(page, QSlider, "interpolationSlider")
    assert interp.isEnabled()
    interp.setValue(500)  # the middle of the walk is keyframe B exactly
    assert page.current_look().seed == 2
    with qtbot.waitSignal(page.exportFinished, timeout=20000) as done:
        page.export_animation(tmp_path / "walk.gif", frames=10, fps=10, loop=False, size=48)
    with Image.open(done.args[0]) as gif:
        assert gif.n_frames == 10 and gif.size == (48, 48)
    page.chips.buttons[0].click()  # jump to A
    assert page.current_look().seed == 1


@pytest.mark.parametrize("name,format_name", [("walk.webp", "WEBP"), ("walk.png", "PNG")])
def test_a_walk_exports_as_webp_or_apng_from_the_page(qtbot, make_page, tmp_path, name, format_name):
    page = make_page(tiny_generator())
    page.add_keyframe()
    child(page, QSpinBox, "seedSpin").setValue(4)
    page.add_keyframe()
    with qtbot.waitSignal(page.exportFinished, timeout=20000) as done:
        page.export_animation(tmp_path / name, frames=6, fps=6, loop=True, size=32)
    with Image.open(done.args[0]) as walk:
        assert walk.format == format_name and walk.size == (32, 32)
        # (Frame count and timing: tests/test_export_animation.py. The untrained test generator
        # barely changes between frames, and lossy WebP folds frames that look alike.)
        assert walk.n_frames == 6 or format_name == "WEBP"


def test_an_animation_too_big_to_write_is_refused_before_any_work(qtbot, make_page, tmp_path):
    # 2,000 frames at 4,096 px would be ~190 GB of frames in memory: written, it would take
    # the machine's memory, and the app with it (a training run included).
    from ganstudio.gui.pages.explore_saving import AnimationDialog

    dialog = AnimationDialog(resolution=16)
    qtbot.addWidget(dialog)
    export = dialog.export_button
    assert export.isEnabled() and "MB of memory" in dialog.length_label.text()
    dialog.frames_spin.setValue(2000)
    dialog.size_spin.setValue(4096)
    assert not export.isEnabled()
    assert "GB of memory" in dialog.length_label.text() and "at most 21 frames" in dialog.length_label.text()
    dialog.frames_spin.setValue(21)  # within what fits: Export comes back
    assert export.isEnabled()
    # MP4 streams its frames to disk: the long, large walk is offered there.
    assert [dialog.format_combo.itemData(i) for i in range(dialog.format_combo.count())] == ["gif", "webp", "apng", "mp4"]
    dialog.frames_spin.setValue(2000)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("mp4"))
    assert export.isEnabled() and "MB of memory" in dialog.length_label.text()

    page = make_page(tiny_generator())
    page.add_keyframe()
    child(page, QSpinBox, "seedSpin").setValue(3)
    page.add_keyframe()
    with pytest.raises(ValueError, match="at most 21 frames"):
        page.export_animation(tmp_path / "walk.gif", frames=2000, fps=12, loop=True, size=4096)
    assert page.exports_running() == 0 and not (tmp_path / "walk.gif").exists()


def test_mp4_without_ffmpeg_says_so_plainly(qtbot, make_page, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ffmpeg(name, *args, **kwargs):
        if name == "imageio_ffmpeg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ffmpeg)
    page = make_page(tiny_generator())
    page.add_keyframe()
    child(page, QSpinBox, "seedSpin").setValue(3)
    page.add_keyframe()
    with qtbot.waitSignal(page.exportFailed, timeout=20000) as failed:
        page.export_animation(tmp_path / "walk.mp4", frames=4, fps=8, loop=True, size=16)
    assert "imageio-ffmpeg" in failed.args[0] and "Traceback" not in failed.args[0]


def test_undo_returns_the_previous_image_exactly(qtbot, make_page):
    page = make_page(tiny_generator())
    first = page.current_image().copy()
    undo, redo = child(page, QToolButton, "undoButton"), child(page, QToolButton, "redoButton")
    assert not undo.isEnabled()
    child(page, QSlider, "directionSlider0").setValue(-70)
    second = settle(qtbot, page)
    child(page, QSpinBox, "seedSpin").setValue(99)
    third = settle(qtbot, page)
    assert undo.isEnabled()
    undo.click()
    assert np.array_equal(settle(qtbot, page), second)
    undo.click()
    assert np.array_equal(settle(qtbot, page), first)
    assert child(page, QSlider, "directionSlider0").value() == 0
    redo.click()
    redo.click()
    assert np.array_equal(settle(qtbot, page), third)
    child(page, QToolButton, "resetLookButton").click()
    assert page.current_look().offsets == (0.0,) * 12 and page.current_look().seed == 99


def test_a_drag_is_one_undo_step(qtbot, make_page):
    page = make_page(tiny_generator())
    first = page.current_image().copy()
    slider = child(page, QSlider, "directionSlider3")
    slider.setSliderDown(True)
    for v in range(0, 60, 5):
        slider.setValue(v)
    slider.setSliderDown(False)  # emits sliderReleased
    assert page.current_look().offsets[3] == pytest.approx(55 / 100 * 3)
    assert not np.array_equal(settle(qtbot, page), first)
    page.undo()
    assert np.array_equal(settle(qtbot, page), first)
    assert not page.model.can_undo


def test_follow_training_takes_live_copies_only_when_on(qtbot, make_page):
    page = make_page(tiny_generator(0), live=True, fingerprint=None, step=10)
    follow = child(page, QCheckBox, "followTrainingCheck")
    assert follow.isChecked() and follow.isEnabled()
    first = page.current_image().copy()
    assert page.offer_live_generator(tiny_generator(1), 20)
    second = settle(qtbot, page)
    assert not np.array_equal(first, second) and "20" in page.model_label.text()
    follow.setChecked(False)  # freeze
    assert not page.offer_live_generator(tiny_generator(2), 30)
    qtbot.wait(50)
    assert np.array_equal(settle(qtbot, page), second) and "frozen" in page.model_label.text()
    follow.setChecked(True)  # follow again: the newest copy is taken at once
    third = settle(qtbot, page)
    assert not np.array_equal(third, second) and "30" in page.model_label.text()


def test_a_saved_model_is_not_replaced_until_asked(qtbot, make_page):
    page = make_page(tiny_generator(0), live=False)
    follow = child(page, QCheckBox, "followTrainingCheck")
    assert not follow.isChecked()
    shown = page.current_image().copy()
    assert not page.offer_live_generator(tiny_generator(1), 50)
    assert np.array_equal(settle(qtbot, page), shown)
    assert follow.isEnabled()
    follow.setChecked(True)
    assert not np.array_equal(settle(qtbot, page), shown)


def test_variations_click_and_crossbreed(qtbot, make_page):
    page = make_page(tiny_generator())
    qtbot.waitUntil(lambda: all(im is not None for im in page.grid.images()), timeout=5000)
    looks = page.variation_looks()
    assert len(looks) == 9 and len({lk.base for lk in looks}) == 9
    page.grid.click(4)
    assert page.current_look() == looks[4]
    settle(qtbot, page)
    qtbot.waitUntil(lambda: page.variation_looks() != looks, timeout=5000)  # new relatives of the new current
    page.grid.click(0, ctrl=True)
    page.grid.click(1, ctrl=True)
    assert page.grid.picked() == [0, 1] and page.crossbreed_button.isEnabled()
    parents = page.variation_looks()
    before = page.current_look()
    page.crossbreed_button.click()
    assert page.current_look() not in (before, parents[0], parents[1])
    assert page.grid.picked() == []
    amount = child(page, QSlider, "variationAmountSlider")
    old = page.variation_looks()
    amount.setValue(120)
    qtbot.waitUntil(lambda: page.variation_looks() != old, timeout=5000)
    page.new_variations()
    assert page.variation_looks() != old


def test_renaming_a_direction_is_announced(qtbot, make_page):
    page = make_page(tiny_generator())
    with qtbot.waitSignal(page.directionNamesChanged, timeout=1000) as renamed:
        page.rename_direction(0, "  Roundness  ")
    assert renamed.args[0][0] == "Roundness"
    assert page.findChild(object, "directionName0").text() == "Roundness"
    page.set_direction_names(["Hue", "Size"])
    assert page.model.direction_names[:3] == ["Hue", "Size", "Direction 3"]


def test_raw_latent_sliders_edit_the_base(qtbot, make_page):
    page = make_page(tiny_generator())
    page.raw_section.set_expanded(True)
    before = page.current_image().copy()
    child(page, QSlider, "rawSlider2").setValue(250)
    assert page.current_look().base[2] == pytest.approx(2.5)
    assert not np.array_equal(settle(qtbot, page), before)


def test_view_paints_crisp_by_default_and_smooth_on_request(qtbot, make_page):
    page = make_page(tiny_generator())
    page.show()
    qtbot.waitExposed(page)
    shot = page.view.grab().toImage()
    rect = page.view.image_rect()
    assert rect.width() >= 16 * 4 and rect.width() == rect.height()
    x, y = int(rect.left()) + 1, int(rect.top()) + 1
    assert shot.pixelColor(x, y) == shot.pixelColor(x + 2, y + 2)  # one generated pixel is a block
    page.smooth_button.click()
    assert page.smooth() and page.view.smooth()


class _Gate:
    """Hold a generator's forward on a threading.Event (only while armed), so a test can
    keep a render in flight and decide when it lands."""

    def __init__(self, generator):
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        inner = generator.forward

        def forward(z):
            if self.armed:
                self.entered.set()
                assert self.release.wait(10)
            return inner(z)

        generator.forward = forward


def test_a_render_of_the_previous_model_never_shows_after_switching(qtbot, make_page):
    a, b = tiny_generator(0), tiny_generator(1)
    gate_a, gate_b = _Gate(a), _Gate(b)
    page = make_page(a)
    qtbot.waitUntil(lambda: page.state.pending_renders() == 0, timeout=5000)  # the grid is done too
    before = page.current_image().copy()
    shown = []
    page.imageShown.connect(shown.append)
    gate_a.armed = True
    child(page, QSpinBox, "seedSpin").setValue(5)  # model A starts rendering seed 5 ...
    assert gate_a.entered.wait(5)
    gate_b.armed = True  # ... and B's first picture is held back, so the stale one lands first
    try:
        page.set_generator(b, fingerprint="fp-1", run="other-run", checkpoint=None, step=1, live=False)
        assert page.variation_looks() == [] and page.grid.images() == [None] * 9  # A's thumbnails are gone
        with qtbot.waitSignal(page.state.rendered, timeout=5000):
            gate_a.release.set()  # A's seed-5 picture arrives after the switch
        qtbot.wait(20)
        assert shown == []  # not announced as shown ...
        assert np.array_equal(page.current_image(), before)  # ... nor on the screen
    finally:
        gate_a.release.set()
        gate_b.release.set()
    after = settle(qtbot, page)
    b_alone = make_page(tiny_generator(1))
    child(b_alone, QSpinBox, "seedSpin").setValue(5)
    assert np.array_equal(after, settle(qtbot, b_alone))


def raw_numbers_shown(page):
    return [s.value() for s in page.raw_sliders if not s.isHidden()]


def expected_raw(look, z_dim=16):
    from ganstudio.explore.latent import z_from_seed

    base = np.asarray(look.base, np.float32) if look.base is not None else z_from_seed(look.seed, z_dim).numpy()
    return [int(round(float(np.clip(v, -3, 3)) * 100)) for v in base[:8]]


def test_opening_the_raw_latent_shows_the_numbers_of_the_picture_on_show(qtbot, make_page):
    page = make_page(tiny_generator())
    page.show()
    qtbot.waitExposed(page)
    assert not page.raw_section.is_expanded()
    child(page, QSpinBox, "seedSpin").setValue(7)  # edited while the raw numbers are folded away
    settle(qtbot, page)
    page.raw_section.header.click()  # the artist unfolds RAW LATENT
    assert page.raw_section.is_expanded()
    assert raw_numbers_shown(page) == expected_raw(page.current_look())
    child(page, QSlider, "rawSlider2").setValue(250)
    page.raw_section.header.click()  # fold, undo the raw edit, unfold: the numbers follow
    page.undo()
    page.raw_section.header.click()
    assert page.current_look().base is None
    assert raw_numbers_shown(page) == expected_raw(page.current_look())


def test_raw_numbers_follow_undo_while_the_page_is_not_on_screen(qtbot, make_page):
    page = make_page(tiny_generator())  # another tab is current: the page is not visible
    page.raw_section.set_expanded(True)
    child(page, QSlider, "rawSlider1").setValue(-200)
    settle(qtbot, page)
    page.undo()
    assert raw_numbers_shown(page) == expected_raw(page.current_look())


def test_a_recipe_whose_latent_does_not_fit_the_model_is_refused_plainly(qtbot, make_page, tmp_path):
    g = tiny_generator()
    page = make_page(g, fingerprint=generator_fingerprint(g.state_dict()))
    shown = page.current_image().copy()
    look = page.current_look()
    raw = read_recipe(saved_piece(qtbot, page, tmp_path / "piece.png"))
    raw["latent"] = raw["latent"][:8]  # tampered (or damaged): the right model, the wrong latent size
    recipe = parse_recipe(raw)
    assert recipe is not None
    messages = []
    page.messagePosted.connect(lambda level, text: messages.append((level, text)))
    assert not page.open_recipe(recipe)
    assert messages and messages[-1][0] == "warning" and "Traceback" not in messages[-1][1]
    assert page.current_look() == look
    assert np.array_equal(settle(qtbot, page), shown)
    page.new_variations()  # the explorer still works


def test_a_reopened_piece_saves_again_at_its_size_and_look(qtbot, make_page, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QComboBox, QFileDialog

    g = tiny_generator()
    page = make_page(g, fingerprint=generator_fingerprint(g.state_dict()))
    targets = iter([tmp_path / "first.png", tmp_path / "again.png"])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(next(targets)), ""))
    child(page, QSpinBox, "seedSpin").setValue(42)
    combo = child(page, QComboBox, "saveScaleCombo")
    combo.setCurrentIndex(combo.findData(0))  # Custom size…
    child(page, QSpinBox, "saveSizeSpin").setValue(100)
    page.smooth_button.click()
    settle(qtbot, page)
    with qtbot.waitSignal(page.artworkSaved, timeout=5000) as saved:
        page.save_button.click()
    first = np.asarray(Image.open(saved.args[0]).convert("RGB"))
    assert first.shape == (100, 100, 3)

    # Another day: other choices next to Save, another picture; then the piece is dropped back in.
    page.crisp_button.click()
    combo.setCurrentIndex(combo.findData(1))
    child(page, QSpinBox, "seedSpin").setValue(3)
    settle(qtbot, page)
    assert page.open_recipe(parse_recipe(read_recipe(saved.args[0])))
    assert page.smooth() and page.save_options() == {"size": 100, "smooth": True}
    with qtbot.waitSignal(page.artworkSaved, timeout=5000) as again:
        page.save_button.click()
    assert np.array_equal(np.asarray(Image.open(again.args[0]).convert("RGB")), first)


def test_saving_where_nothing_can_be_written_says_so_plainly(qtbot, make_page, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder would have to be")
    page = make_page(tiny_generator())
    page.set_run_dir(blocker)  # the run's artwork/ folder can't be made (a read-only run, say)
    asked = []

    def dialog(parent, caption, suggested, flt):
        asked.append(suggested)
        return str(blocker / "grid.png"), ""  # and the artist picks a place that can't be written

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    messages = []
    page.messagePosted.connect(lambda level, text: messages.append((level, text)))
    qtbot.waitUntil(lambda: all(im is not None for im in page.grid.images()), timeout=5000)
    with qtbot.waitSignal(page.exportFailed, timeout=5000):  # written in the export worker: said when it fails
        page.save_grid_button.click()
    assert asked, "the save dialog never opened"
    assert messages and messages[-1][0] == "error" and "grid" in messages[-1][1]
    assert "Traceback" not in messages[-1][1]
    with qtbot.waitSignal(page.exportFailed, timeout=5000) as failed:
        page.save_button.click()
    assert len(asked) == 2 and "Traceback" not in failed.args[0]
    assert blocker.read_text() == "a file where a folder would have to be"


def test_a_click_on_a_variation_gives_the_one_on_show_while_new_ones_render(qtbot, make_page):
    g = tiny_generator()
    gate = _Gate(g)
    page = make_page(g)
    qtbot.waitUntil(lambda: page.state.pending_renders() == 0 and all(im is not None for im in page.grid.images()), timeout=5000)
    on_show = page.variation_looks()
    thumbnails = page.grid.images()
    gate.armed = True
    try:
        page.new_variations_button.click()  # a new set is on its way (held back) ...
        assert gate.entered.wait(5)
        assert all(np.array_equal(a, b) for a, b in zip(page.grid.images(), thumbnails))  # ... the old set still shows
        page.grid.click(2)  # the artist clicks the third thumbnail they see
        assert page.current_look() == on_show[2]
        page.grid.click(0, ctrl=True)
        page.crossbreed_button.click()  # a parent they can see, too
        child_look = page.current_look()
    finally:
        gate.release.set()
    settle(qtbot, page)
    expected = page.model.crossbreed(on_show[2], on_show[0], seed=page._variation_seed)
    assert child_look == expected


def test_copy_puts_the_picture_at_the_chosen_size_on_the_clipboard(qtbot, make_page):
    from PySide6.QtGui import QGuiApplication

    page = make_page(tiny_generator())
    shown = settle(qtbot, page)
    scale = page.save_options().get("scale")
    assert scale  # a scale is chosen by default, not a custom size
    with qtbot.waitSignal(page.imageCopied, timeout=10_000):  # rendered in the export worker
        page.copy_image()
    copied = QGuiApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (shown.shape[1] * scale, shown.shape[0] * scale)


def test_the_model_label_names_the_model_on_show_not_the_run_that_just_started(qtbot, make_page):
    """Start a run while a saved model is on show, with Follow training off: the label keeps
    naming the picture's own model until the artist follows the new run."""
    page = make_page(tiny_generator(0), run="old-run", step=6000)
    page.follow_check.setEnabled(True)
    page.follow_check.setChecked(False)
    page.set_run_name("new-run")  # Start pressed: the window names the run it trains
    assert "old-run" in page.model_label.text() and "6,000" in page.model_label.text()
    assert not page.offer_live_generator(tiny_generator(1), 40)  # kept, not shown
    assert "old-run" in page.model_label.text() and "6,000" in page.model_label.text()
    page.follow_check.setChecked(True)  # now the picture is the run's, and so is the label
    settle(qtbot, page)
    assert "new-run" in page.model_label.text() and "step 40" in page.model_label.text()
    assert "old-run" not in page.model_label.text()
