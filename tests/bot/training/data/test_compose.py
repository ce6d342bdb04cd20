"""The composer: determinism, exact masks, occlusion, negatives and plain backdrops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.training.data import compose as compose_mod
from bot.training.data import cpanemic, scenes
from bot.training.data.compose import NEGATIVE_KINDS, Composite, backdrop, compose, negative

SMALL = (240, 320)  # negatives at a smaller size keep the suite fast on two shared cores


def crescent(colour: tuple[int, int, int], *, noise: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """A 140x320 crescent (the shape of a palpebral conjunctiva cut-out) of one colour."""
    m = np.zeros((140, 320), np.uint8)
    cv2.ellipse(m, (160, 0), (150, 120), 0, 0, 180, 255, -1)
    cv2.ellipse(m, (160, -30), (150, 110), 0, 0, 180, 0, -1)
    rng = np.random.default_rng(0)
    img = np.clip(np.array(colour) + rng.normal(0, noise, (140, 320, 3)), 0, 255)
    img = img.astype(np.uint8)
    img[m == 0] = 0  # what a cut-out holds outside its alpha must not matter
    return img, m > 0


@pytest.fixture(scope="module")
def red() -> tuple[np.ndarray, np.ndarray]:
    return crescent((200, 90, 85))


@pytest.fixture(scope="module")
def green() -> tuple[np.ndarray, np.ndarray]:
    """A colour that appears nowhere else in a scene, so its pixels can be found exactly."""
    return crescent((0, 255, 0), noise=0)


def is_green(image: np.ndarray) -> np.ndarray:
    im = image.astype(int)
    return (im[..., 1] > im[..., 0] + 40) & (im[..., 1] > im[..., 2] + 40)


def ring(mask: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels at least r px inside the mask, and at least r px outside it."""
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    m = mask.astype(np.uint8)
    return cv2.erode(m, k) > 0, cv2.dilate(m, k) == 0


def test_same_seed_gives_identical_bytes(red):
    a, b = compose(*red, seed=7), compose(*red, seed=7)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.mask.tobytes() == b.mask.tobytes()


def test_different_seeds_differ(red):
    a, b = compose(*red, seed=1), compose(*red, seed=2)
    assert not np.array_equal(a.image, b.image)
    assert not np.array_equal(a.mask, b.mask)


@pytest.mark.parametrize("size", [(480, 640), (300, 260)])
def test_shapes_and_dtypes(red, size):
    c = compose(*red, seed=3, size=size)
    assert isinstance(c, Composite)
    assert c.image.shape == (*size, 3) and c.image.dtype == np.uint8
    assert c.mask.shape == size and c.mask.dtype == bool


def test_mask_is_a_sizeable_strip_inside_the_frame(red):
    for seed in range(8):
        m = compose(*red, seed=seed).mask
        ys, xs = np.nonzero(m)
        assert m.sum() > 0.005 * m.size
        span = (xs.max() - xs.min() + 1) / m.shape[1]
        assert 0.15 < span < 0.95  # roughly 25-80% of the frame width after rotation
        assert ys.min() > 0.05 * m.shape[0]  # room above it for the sclera


def test_mask_pixels_keep_the_conjunctiva_colour(red):
    ref = red[0][red[1]].mean(0)
    for seed in range(12):
        c = compose(*red, seed=seed)
        mean = c.image[c.mask].mean(0)
        assert np.all((mean / ref > 0.7) & (mean / ref < 1.35)), (seed, mean, ref)
        chroma = mean / mean.sum() - ref / ref.sum()  # grading: a few percent, no hue change
        assert np.abs(chroma).max() < 0.06, (seed, mean, ref)


def test_mask_marks_exactly_the_placed_pixels(green):
    """Across seeds (lashes, fingers, glints, blur, JPEG) the mask is where the green went."""
    for seed in range(20):
        c = compose(*green, seed=seed)
        inside, outside = ring(c.mask, 6)  # blur and JPEG chroma bleed a few px either way
        assert is_green(c.image)[inside].mean() > 0.97, seed
        assert not is_green(c.image)[outside].any(), seed


def test_fingertip_over_the_conjunctiva_is_taken_out_of_the_mask(green, monkeypatch):
    def finger_on_it(img, rng, lid):
        x = float(lid.xs[len(lid.xs) // 2])
        tip = np.array([x, np.interp(x, lid.xs, lid.top)], np.float32)  # reaches above it
        return scenes.fingertip(img, rng, tip, 0.0, 0.3 * lid.span, lid.tone)

    def nothing(img, rng, lid):
        return np.zeros(img.shape[:2], bool)

    monkeypatch.setattr(compose_mod, "_occluders", finger_on_it)
    covered = compose(*green, seed=5)
    monkeypatch.setattr(compose_mod, "_occluders", nothing)
    clear = compose(*green, seed=5)
    assert not (covered.mask & ~clear.mask).any()  # occlusion only ever removes pixels
    hidden = clear.mask & ~covered.mask
    assert hidden.sum() > 0.1 * clear.mask.sum()
    under_finger, _ = ring(hidden, 4)
    assert under_finger.any() and not is_green(covered.image)[under_finger].any()


def test_fingertip_helper_reports_what_it_covers():
    img = np.full((200, 300, 3), 100, np.float32)
    cover = scenes.fingertip(
        img, np.random.default_rng(0), np.array([150, 80], np.float32), 0.3, 60, np.full(3, 180)
    )
    assert cover[100, 150] and not cover[10, 10]  # just below the tip, not far above
    assert np.abs(img[cover].mean(0) - 100).max() > 20  # painted where it says


def test_empty_cutout_mask_is_refused(red):
    with pytest.raises(ValueError):
        compose(red[0], np.zeros_like(red[1]), seed=0)


@pytest.mark.parametrize("kind", NEGATIVE_KINDS)
def test_every_negative_kind_runs_and_is_deterministic(kind):
    a, b = negative(kind, seed=4, size=SMALL), negative(kind, seed=4, size=SMALL)
    assert a.shape == (*SMALL, 3) and a.dtype == np.uint8
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, negative(kind, seed=5, size=SMALL))


def test_negative_kinds_cover_the_brief():
    wanted = {"noise", "text", "document", "solid", "landscape", "skin", "face_far"}
    assert wanted | {"gradient", "sclera_only"} <= set(NEGATIVE_KINDS)


def test_solid_negatives_include_conjunctiva_pinks():
    colours = [negative("solid", seed=s, size=(64, 64)).reshape(-1, 3).mean(0) for s in range(30)]
    assert any(r > 150 and r > g + 40 and r > b + 30 for r, g, b in colours)


def test_unknown_negative_kind_is_refused():
    with pytest.raises(ValueError, match="unknown negative kind"):
        negative("cat", seed=0)


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0)])
def test_backdrop_puts_the_exact_cutout_on_a_plain_background(red, colour):
    img, mask = red
    c = backdrop(img, mask, colour=colour, pad=7)
    assert c.image.shape == (140 + 14, 320 + 14, 3) and c.image.dtype == np.uint8
    assert np.array_equal(c.mask[7:-7, 7:-7], mask) and c.mask.sum() == mask.sum()
    assert np.array_equal(c.image[c.mask], img[mask])
    assert np.all(c.image[~c.mask] == colour)


def test_real_cutouts_compose(cp_anemic_dir: Path):
    for i, s in enumerate(cpanemic.load(cp_anemic_dir)[:3]):
        c = compose(s.image, s.mask, seed=i)
        assert c.image.shape == (480, 640, 3) and c.mask.sum() > 1000
        ref, mean = s.image[s.mask].mean(0), c.image[c.mask].mean(0)
        assert np.abs(mean / mean.sum() - ref / ref.sum()).max() < 0.08, (s.key, mean, ref)
