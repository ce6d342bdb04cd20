"""Photo quality gates: a constructed image for each reason code, and good photos that pass."""

from __future__ import annotations

import re
from collections import Counter

import cv2
import numpy as np
import pytest

from bot.pipeline.decode import ImageRejected
from bot.pipeline.quality import GATES, Thresholds, check_photo, check_region, reject
from bot.texts.i18n import t
from bot.training.data import compose
from tests.bot.cutouts import textured_cutout

SIZE = (480, 640)
COVERED: set[str] = set()  # codes with a constructed case; "no_conjunctiva" is the screener's


def trips(code: str):
    """Mark a test as the constructed case for gate `code` (see the coverage test)."""
    COVERED.add(code)
    return lambda test: test


def refused(code: str, check, *args, **kwargs) -> None:
    """Assert that check(*args) refuses with exactly `code`."""
    with pytest.raises(ImageRejected) as info:
        check(*args, **kwargs)
    assert info.value.code == code
    assert info.value.params == reject(code).params == {}


@pytest.fixture(scope="module")
def good() -> compose.Composite:
    """A realistic composite that passes every gate (see the positive control below)."""
    c = compose.compose(*textured_cutout(), seed=0, size=SIZE)
    check_photo(c.image)
    check_region(c.image, c.mask, confidence=0.95)
    return c


def pink_region(blur: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A textured pink ellipse on skin-coloured texture, optionally Gaussian-blurred."""
    rng = np.random.default_rng(11)
    img = np.empty((*SIZE, 3), np.float32)
    img[:] = (205, 160, 135)
    mask = np.zeros(SIZE, np.uint8)
    cv2.ellipse(mask, (320, 260), (200, 60), 0, 0, 360, 1, -1)
    img[mask > 0] = (195, 90, 95)
    img += rng.normal(0, 8, img.shape)
    for _ in range(60):  # vessels and skin creases
        p, q = rng.integers((0, 0), (640, 480), (2, 2))
        cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), (140, 45, 55), 2)
    out = np.clip(img, 0, 255).astype(np.uint8)
    return (cv2.GaussianBlur(out, (0, 0), blur) if blur else out), mask > 0


# --- whole-photo gates -------------------------------------------------------------------


@trips("not_eyelid")
@pytest.mark.parametrize("colour", [(200, 80, 80), (255, 255, 255), (0, 0, 0), (90, 160, 60)])
def test_solid_colour_is_not_an_eyelid(colour):
    refused("not_eyelid", check_photo, np.full((*SIZE, 3), colour, np.uint8))


@trips("not_eyelid")
def test_uniform_noise_is_not_an_eyelid():
    noise = np.random.default_rng(0).integers(0, 256, (*SIZE, 3), dtype=np.uint8)
    small = cv2.resize(noise, (128, 96), interpolation=cv2.INTER_AREA)
    assert cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).std() > Thresholds().min_std  # noise path
    refused("not_eyelid", check_photo, noise)


@trips("colour_lost")
def test_greyscale_photo_has_lost_its_colour(good):
    grey = cv2.cvtColor(cv2.cvtColor(good.image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    refused("colour_lost", check_photo, grey)


# --- gates on the found region -----------------------------------------------------------


@trips("not_eyelid")
def test_low_confidence_region_is_not_an_eyelid(good):
    refused("not_eyelid", check_region, good.image, good.mask, confidence=0.3)


@trips("colour_lost")
@pytest.mark.parametrize("gain", [(0.45, 1.0, 1.05), (0.3, 1.0, 1.15)])  # green, blue-green
def test_conjunctiva_tinted_by_a_filter_has_lost_its_colour(good, gain):
    tinted = good.image.astype(np.float32)
    tinted[good.mask] *= gain
    refused("colour_lost", check_region, tinted.clip(0, 255).astype(np.uint8), good.mask, 0.95)


@trips("too_small")
def test_tiny_mask_is_too_small(good):
    mask = np.zeros(SIZE, bool)
    mask[200:210, 300:310] = True
    refused("too_small", check_region, good.image, mask, 0.95)


@trips("too_small")
def test_narrow_mask_is_too_small(good):
    mask = np.zeros(SIZE, bool)
    mask[50:450, 300:320] = True  # 2.6% of the frame, but only 20 px wide
    assert mask.mean() > Thresholds().min_area_fraction
    refused("too_small", check_region, good.image, mask, 0.95)


@trips("too_dark")
def test_dark_photo_is_too_dark(good):
    dark = (good.image * 0.15).astype(np.uint8)
    refused("too_dark", check_region, dark, good.mask, 0.95)


@trips("over_exposed")
def test_washed_out_photo_is_over_exposed(good):
    bright = (255 - (255 - good.image.astype(np.float32)) * 0.15).astype(np.uint8)
    refused("over_exposed", check_region, bright, good.mask, 0.95)


@trips("glare")
def test_white_specular_patch_is_glare(good):
    img = good.image.copy()
    xs = np.nonzero(good.mask)[1]
    patch = good.mask & (np.arange(SIZE[1]) < np.percentile(xs, 25))[None, :]  # left quarter
    assert 0.18 < patch.sum() / good.mask.sum() < 0.4
    img[patch] = (250, 250, 250)
    refused("glare", check_region, img, good.mask, 0.95)


@trips("blurred")
def test_heavily_blurred_region_is_blurred():
    sharp, mask = pink_region()
    check_region(sharp, mask, 0.95)  # the same region in focus passes every gate
    refused("blurred", check_region, *pink_region(blur=8.0), 0.95)


def test_every_gate_has_a_constructed_case():
    """A new gate code needs its own constructed image above ("no_conjunctiva": screening)."""
    assert set(GATES) - {"no_conjunctiva"} <= COVERED <= set(GATES)


# --- messages and the positive control ---------------------------------------------------


@pytest.mark.parametrize("code", sorted(GATES))
def test_every_message_says_what_to_do(code):
    e = reject(code)
    assert isinstance(e, ImageRejected) and e.code == code
    message = t("en", f"reject.{code}", **e.params)
    assert message.endswith(".")
    assert len(re.split(r"[.;] ", message)) >= 2  # what went wrong, then what to do


def test_realistic_composites_pass_every_gate():
    """Good photos must get through: >= 9 of 10 composites with the true mask pass."""
    cutout, mask = textured_cutout()
    outcome: Counter[str] = Counter()
    for seed in range(10):
        c = compose.compose(cutout, mask, seed=100 + seed, size=SIZE)
        try:
            check_photo(c.image)
            check_region(c.image, c.mask, confidence=0.95)
            outcome["passed"] += 1
        except ImageRejected as e:
            outcome[e.code] += 1
    assert outcome["passed"] >= 9, dict(outcome)


# --- every gate at once, and the chain on real photographs -------------------------------


def test_failures_lists_every_gate_that_fires_in_order():
    from bot.pipeline.quality import photo_failures, region_failures

    img, mask = pink_region(blur=8.0)
    dark = (img * 0.15).astype(np.uint8)  # too dark and, in that darkness, blurred too
    assert region_failures(dark, mask, 0.95)[:1] == ["too_dark"]
    assert "blurred" in region_failures(dark, mask, 0.95)
    assert region_failures(*pink_region(), 0.95) == []
    grey = np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    assert photo_failures(grey) == ["colour_lost"]


def test_a_speck_is_only_too_small():
    from bot.pipeline.quality import region_failures

    img, _ = pink_region()
    speck = np.zeros(SIZE, bool)
    speck[100:102, 100:103] = True
    assert region_failures(img, speck, 0.1) == ["too_small"]


def test_region_gates_are_listed_in_the_order_they_are_told():
    from bot.pipeline.quality import REGION_GATES, _region_checks

    img, mask = pink_region()
    assert tuple(code for code, _ in _region_checks(img, mask, 0.95, Thresholds())) == REGION_GATES


def test_the_photo_gates_read_the_first_looks_thumbnail_as_the_photo():
    """`find_small` hands the photo gates the U-Net's 128x96 input picture, made once: the
    gates say exactly what they say of the photo it was made from."""
    from bot.pipeline.quality import photo_failures
    from model import segment, unet

    config = unet.Config()
    pictures = [compose.negative(kind, seed=1) for kind in ("text", "noise", "solid")]
    pictures.append(compose.compose(*textured_cutout(), seed=0, size=SIZE).image)
    pictures.append(np.repeat(cv2.cvtColor(pictures[-1], cv2.COLOR_RGB2GRAY)[..., None], 3, 2))
    for rgb in pictures:
        thumb = segment.thumbnail(rgb, config)
        assert thumb.shape == (config.height, config.width, 3)
        assert photo_failures(thumb) == photo_failures(rgb)
    assert [photo_failures(p) for p in pictures][-1] == ["colour_lost"]
