"""Regional colour statistics: the column-wise lower half and the feature vector."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from model.features import (
    N_FEATURES,
    NAMES,
    REGIONS,
    STATS,
    colour_features,
    lining,
    lower_half,
    lower_share,
    occluded_features,
)


def _check_partition(mask: np.ndarray, lower: np.ndarray) -> None:
    upper = mask & ~lower
    assert lower.dtype == bool
    assert not (lower & ~mask).any(), "lower half leaks outside the mask"
    assert not (lower & upper).any()
    np.testing.assert_array_equal(lower | upper, mask)


def test_lower_half_of_rectangle() -> None:
    mask = np.zeros((12, 16), bool)
    mask[2:8, 3:11] = True  # rows 2..7: mid-line 4.5
    lower = lower_half(mask)
    expected = np.zeros_like(mask)
    expected[5:8, 3:11] = True
    np.testing.assert_array_equal(lower, expected)
    _check_partition(mask, lower)


def test_lower_half_of_odd_height_gives_middle_row_to_upper() -> None:
    mask = np.zeros((9, 4), bool)
    mask[1:6] = True  # rows 1..5: the middle row 3 is not strictly below the mid-line
    lower = lower_half(mask)
    assert lower[4:6].all()
    assert not lower[:4].any()
    assert not lower[6:].any()


def test_lower_half_follows_a_curved_strip() -> None:
    h, w = 40, 60
    cols = np.arange(w)
    top = np.round(5 + 15 * np.sin(np.pi * cols / (w - 1))).astype(int)  # an arc
    thickness = 6 + cols % 5  # even and odd extents
    mask = np.zeros((h, w), bool)
    for col in cols:
        mask[top[col] : top[col] + thickness[col], col] = True
    mask[:, 55:] = False  # some empty columns

    lower = lower_half(mask)
    _check_partition(mask, lower)
    assert not lower[:, 55:].any()
    for c in range(55):
        filled = np.flatnonzero(mask[:, c])
        low = np.flatnonzero(lower[:, c])
        up = np.flatnonzero(mask[:, c] & ~lower[:, c])
        assert len(low) == len(filled) // 2, f"column {c}: not split at its own middle"
        assert low.min() > up.max(), f"column {c}: lower pixels above upper ones"
    # no single horizontal cut gives this split: some lower-half pixels (at the arc's ends)
    # sit above some upper-half pixels (at its middle)
    lower_rows = np.nonzero(lower)[0]
    upper_rows = np.nonzero(mask & ~lower)[0]
    assert lower_rows.min() < upper_rows.max()


def _image(rgb: tuple[int, int, int], shape=(30, 50), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.asarray(rgb, np.float32) + rng.normal(0.0, 4.0, (*shape, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _ellipse_mask(shape=(30, 50)) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    cy, cx = (shape[0] - 1) / 2, (shape[1] - 1) / 2
    return ((yy - cy) / (shape[0] * 0.4)) ** 2 + ((xx - cx) / (shape[1] * 0.45)) ** 2 <= 1.0


def test_names_cover_every_region_and_stat() -> None:
    assert len(NAMES) == N_FEATURES == len(REGIONS) * len(STATS)
    assert len(set(NAMES)) == N_FEATURES


def test_colour_features_shape_and_finite() -> None:
    feats = colour_features(_image((190, 90, 95)), _ellipse_mask())
    assert feats.shape == (N_FEATURES,)
    assert feats.dtype == np.float32
    assert np.isfinite(feats).all()


def test_redder_conjunctiva_scores_higher_a_star_and_erythema() -> None:
    mask = _ellipse_mask()
    red = colour_features(_image((185, 45, 60), seed=1), mask)
    pale = colour_features(_image((225, 175, 170), seed=2), mask)
    for name in ("whole_a", "whole_erythema", "lower_a", "upper_a", "whole_chroma_r"):
        i = NAMES.index(name)
        assert red[i] > pale[i] + 0.05 * abs(pale[i]), name


def test_features_are_masked() -> None:
    """Pixels outside the mask do not move any statistic."""
    mask = _ellipse_mask()
    img = _image((185, 45, 60))
    other = img.copy()
    other[~mask] = (0, 255, 0)
    np.testing.assert_allclose(colour_features(img, mask), colour_features(other, mask), rtol=1e-6)


def test_lower_and_upper_regions_take_their_own_pixels() -> None:
    mask = _ellipse_mask()
    img = _image((225, 175, 170))  # pale
    lower = lower_half(mask)
    img[lower] = (185, 45, 60)  # red lid-margin side
    feats = colour_features(img, mask)
    a_lower, a_upper, a_whole = (feats[NAMES.index(f"{r}_a")] for r in ("lower", "upper", "whole"))
    assert a_lower > a_whole > a_upper


def test_tiny_mask_falls_back_to_whole_mask_statistics() -> None:
    img = _image((185, 45, 60), shape=(10, 10))
    n = len(STATS)
    for rows, cols in ((slice(4, 5), slice(2, 8)), (slice(4, 6), slice(4, 6))):
        mask = np.zeros((10, 10), bool)
        mask[rows, cols] = True  # one row: no lower half; 2x2: halves of 2 pixels each
        feats = colour_features(img, mask)
        assert np.isfinite(feats).all()
        np.testing.assert_array_equal(feats[n : 2 * n], feats[:n])  # lower <- whole
        np.testing.assert_array_equal(feats[2 * n :], feats[:n])  # upper <- whole


def _plain_stats(image: np.ndarray, region: np.ndarray) -> list[float]:
    """Four of STATS by their plain definition on the whole picture: RGB means and the mean
    scaled a* (OpenCV's Lab of the picture, a* / 128), over the region's pixels."""
    rgb = image.astype(np.float32) / 255.0
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    return [*rgb[region].astype(np.float64).mean(axis=0), lab[region][:, 1].mean() / 128.0]


def test_features_are_the_plain_statistics_of_each_region() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    mask = np.zeros((60, 80), bool)
    mask[10:50, 5:75] = rng.random((40, 70)) < 0.7  # ragged, with holes
    lower = lower_half(mask)
    got = colour_features(image, mask).reshape(len(REGIONS), len(STATS))
    cols = [STATS.index(s) for s in ("r", "g", "b", "a")]
    for row, region in zip(got, (mask, lower, mask & ~lower), strict=True):
        np.testing.assert_allclose(row[cols], _plain_stats(image, region), rtol=1e-4)


def test_lower_share_counts_only_the_mask_and_its_lower_half() -> None:
    mask = np.zeros((10, 6), bool)
    mask[2:8] = True  # rows 2..7: lower half rows 5..7
    heat = np.zeros((10, 6), np.float32)
    heat[6] = 3.0  # lower half
    heat[3] = 1.0  # upper half
    heat[9] = 100.0  # outside the mask: ignored
    assert lower_share(heat, mask) == pytest.approx(0.75)
    assert np.isnan(lower_share(np.zeros((10, 6)), mask))  # no weight on the lining


@pytest.mark.parametrize("levels, grid", [(256, (3, 4)), (3, (3, 4)), (256, (1, 1))])
def test_occluded_features_equal_the_painted_crops_statistics(
    levels: int, grid: tuple[int, int]
) -> None:
    """Also with many equal values (3 levels: ties at the quartiles and at the paint) and with
    one cell holding the whole lining."""
    rng = np.random.default_rng(3)
    h, w, k = 40, 64, grid[0] * grid[1]
    image = (rng.integers(0, levels, (h, w, 3)) * (255 // max(levels - 1, 1))).astype(np.uint8)
    mask = np.zeros((h, w), bool)
    mask[4:36, 2:60] = True
    mask[20:, 40:] = False  # a cell and a half with little or no lining
    cells = (np.arange(h)[:, None] * grid[0] // h) * grid[1] + np.arange(w)[None] * grid[1] // w
    got = occluded_features(lining(image, mask), cells, k)
    paint = np.round(image[mask].mean(axis=0)).astype(np.uint8)
    for c in range(k):
        painted = image.copy()
        painted[(cells == c) & mask] = paint
        np.testing.assert_allclose(got[c], colour_features(painted, mask), rtol=1e-5, atol=1e-6)
