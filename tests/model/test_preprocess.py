"""Cropping to the mask, the CNN input tensor and the age/sex vector."""

from __future__ import annotations

import numpy as np
import pytest

from model.preprocess import bbox, crop, meta_vector, to_input


def _coords_image(h: int, w: int) -> np.ndarray:
    """uint8 RGB whose R and G channels encode the row and column of each pixel."""
    yy, xx = np.mgrid[:h, :w]
    return np.stack([yy, xx, np.full_like(yy, 7)], axis=-1).astype(np.uint8)


def test_crop_to_bbox_with_margin() -> None:
    img = _coords_image(100, 120)
    mask = np.zeros((100, 120), bool)
    mask[10:30, 20:70] = True  # 20 rows (margin int(0.8) = 0), 50 columns (margin 2)
    assert bbox(mask) == (10, 30, 18, 72)
    c_img, c_mask = crop(img, mask)
    assert c_img.shape == (20, 54, 3)
    assert c_mask.shape == (20, 54)
    assert c_mask.sum() == mask.sum()  # nothing of the mask is cut
    assert (c_img[0, 0, 0], c_img[0, 0, 1]) == (10, 18)  # top-left is image[10, 18]
    assert (c_img[-1, -1, 0], c_img[-1, -1, 1]) == (29, 71)


def test_bbox_margin_is_clipped_to_the_image() -> None:
    mask = np.zeros((40, 60), bool)
    mask[0:40, 50:60] = True
    t, b, lft, r = bbox(mask, pad=0.5)
    assert (t, b, r) == (0, 40, 60)
    assert lft == 45


def test_empty_mask_raises() -> None:
    img = _coords_image(10, 10)
    empty = np.zeros((10, 10), bool)
    with pytest.raises(ValueError, match="empty mask"):
        bbox(empty)
    with pytest.raises(ValueError):
        crop(img, empty)


def test_to_input_shape_masking_and_binary_mask_channel() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:45, :70]
    mask = ((yy - 22) / 18.0) ** 2 + ((xx - 30) / 25.0) ** 2 <= 1.0  # off-centre ellipse
    x = to_input(img, mask, 16, 32)
    assert x.shape == (16, 32, 4)
    assert x.dtype == np.float32
    m = x[..., 3]
    assert set(np.unique(m)) <= {0.0, 1.0}
    assert 0 < m.sum() < m.size
    assert np.all(x[..., :3][m == 0] == 0.0)
    assert np.abs(x[..., :3]).max() <= 2.0  # Lab scaled to about [-1, 1]
    # the mask channel follows the mask: the right edge of the image is outside it
    assert m[:, -3:].sum() == 0


def test_to_input_colour_scaling() -> None:
    mask = np.ones((8, 8), bool)
    white = to_input(np.full((8, 8, 3), 255, np.uint8), mask, 4, 4)
    black = to_input(np.zeros((8, 8, 3), np.uint8), mask, 4, 4)
    red = to_input(np.tile(np.array([200, 30, 40], np.uint8), (8, 8, 1)), mask, 4, 4)
    np.testing.assert_allclose(white[..., 0], 1.0, atol=1e-3)  # L* = 100
    np.testing.assert_allclose(black[..., 0], -1.0, atol=1e-3)  # L* = 0
    np.testing.assert_allclose(white[..., 1:3], 0.0, atol=1e-3)  # neutral
    assert (red[..., 1] > 0.5).all()  # strongly positive a*


@pytest.mark.parametrize(
    ("age", "sex", "expected"),
    [
        (24.0, "f", [2.0, 1.0, 1.0, 0.0]),
        (18.0, "m", [1.5, 1.0, 0.0, 1.0]),
        (0.0, "m", [0.0, 1.0, 0.0, 1.0]),  # a newborn: age known, just zero
        (None, "f", [0.0, 0.0, 1.0, 0.0]),
        (30.0, None, [2.5, 1.0, 0.0, 0.0]),
        (None, None, [0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_meta_vector(age: float | None, sex: str | None, expected: list[float]) -> None:
    v = meta_vector(age, sex)
    assert v.shape == (4,)
    assert v.dtype == np.float32
    np.testing.assert_allclose(v, expected)
