"""Explore page: sliders change the picture, looks are reproducible, saved pieces reopen
exactly, keyframe walks export, undo is exact, follow-training behaves."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtWidgets import QCheckBox, QPushButton, QSlider, QSpinBox, QToolButton

from ganstudio.checkpoint import generator_fingerprint
from ganstudio.export import read_recipe
from ganstudio.gui.explore_page import EMPTY_TEXT, ExplorePage
from ganstudio.models import build_generator
from ganstudio.recipe import parse_recipe


def tiny_generator(seed: int = 0):
    torch.manual_seed(seed)
    return build_generator("dcgan", resolution=16, channels=3, z_dim=16, width=8).eval()


def settle(qtbot, page):
    qtbot.waitUntil(page.is_idle, timeout=5000)
    return page.current_image().copy()


def child(page, cls, name):
    widget = page.findChild(cls, name)
    assert widget is not None, name
    return widget


@pytest.fixture
def make_page(qtbot):
    pages = []

    def make(generator=None, *, live=False, fingerprint="fp-0", run="tiny-run", step=100):
        page = ExplorePage()
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


def test_empty_state_is_friendly_and_offers_the_demo_model(qtbot, make_page):
    page = make_page()
    assert page.objectName() == "explorePage"
    text = child(page, object, "exploreEmptyText").text()
    assert text == EMPTY_TEXT and "bundled demo model" in text
    assert page.current_image() is None
    with qtbot.waitSignal(page.openBundledRequested, timeout=1000):
        child(page, QPushButton, "openBundledButton").click()
    assert not page.renderer.isRunning()  # no thread until there is a model


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
    big = page.save_artwork(tmp_path / "piece-4x.png", scale=4, smooth=False)
    big_pixels = np.asarray(Image.open(big).convert("RGB"))
    assert big_pixels.shape == (64, 64, 3) and np.array_equal(big_pixels[::4, ::4], shown)  # crisp blocks
    assert page.save_artwork(tmp_path / "custom.png", size=100).exists()
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
    path = page.save_artwork(tmp_path / "a.png")
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
