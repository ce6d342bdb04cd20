"""Training views of annotated photos: the mask follows the picture through every warp."""

from __future__ import annotations

import numpy as np
import pytest

from bot.training.data import seg_views
from model import segment

H, W = 300, 400


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A grey photo with a pure red band: the band is the mask."""
    rng = np.random.default_rng(seed)
    image = np.full((H, W, 3), 120, np.uint8) + rng.integers(0, 10, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), bool)
    mask[180:230, 60:340] = True
    image[mask] = (230, 20, 20)
    return image, mask


def test_pyramid_halves_down_to_about_128_px():
    image, mask = scene()
    p = seg_views.pyramid(
        np.repeat(np.repeat(image, 4, 0), 4, 1), np.repeat(np.repeat(mask, 4, 0), 4, 1)
    )
    assert max(p.images[0].shape[:2]) == 640
    assert [max(i.shape[:2]) for i in p.images] == [640, 320, 160, 80]
    assert all(i.shape[:2] == m.shape for i, m in zip(p.images, p.masks, strict=True))


@pytest.mark.parametrize("kind", seg_views.KINDS)
def test_every_kind_keeps_mask_on_the_red_band(kind: str):
    image, mask = scene()
    p = seg_views.pyramid(image, mask)
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(10):
        img, m = seg_views.warp(p, seg_views.rect_for(kind, p, rng), rng, (96, 128))
        assert img.shape == (96, 128, 3) and m.shape == (96, 128) and m.dtype == bool
        inner = m & np.roll(m, 2, 0) & np.roll(m, -2, 0) & np.roll(m, 2, 1) & np.roll(m, -2, 1)
        if inner.sum() > 20:  # away from the band's edge, labelled pixels are red
            red = img[inner]
            assert (red[:, 0] > 150).mean() > 0.9, kind
            checked += 1
    assert checked > 0 or kind == "above"  # the band was in view and checked


def test_refine_view_frames_the_band_as_find_does():
    image, mask = scene()
    p = seg_views.pyramid(image, mask)
    rng = np.random.default_rng(2)
    shares = [
        seg_views.warp(p, seg_views.rect_for("refine", p, rng), rng, (96, 128))[1].mean()
        for _ in range(20)
    ]
    low, high = seg_views.REFINE_PADS
    assert low <= segment.REFINE_PAD <= high  # find's box is one the network learned

    def share(pad: float) -> float:  # the band's share of a second look with this margin
        t, b, left, r = segment.refine_box(mask, pad=pad)
        return float(mask[t:b, left:r].mean())

    assert 0.7 * share(high) < np.median(shares) < 1.3 * share(low)


def test_above_view_holds_no_lining():
    image, mask = scene()
    p = seg_views.pyramid(image, mask)
    rng = np.random.default_rng(3)
    for _ in range(10):
        _, m = seg_views.warp(p, seg_views.rect_for("above", p, rng), rng, (96, 128))
        assert m.mean() < 0.05


def test_photometric_keeps_shape_and_changes_colours():
    image, _ = scene()
    rng = np.random.default_rng(4)
    out = seg_views.photometric(image[:96, :128], rng)
    assert out.shape == (96, 128, 3) and out.dtype == np.uint8
    change = np.abs(out.astype(float) - image[:96, :128].astype(float)).mean()
    assert change > 2.0  # grey levels: light or camera visibly changed


def test_views_are_reproducible_from_the_seed():
    image, mask = scene()
    p = seg_views.pyramid(image, mask)
    a = seg_views.view(p, np.random.default_rng(5), (96, 128))
    b = seg_views.view(p, np.random.default_rng(5), (96, 128))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
