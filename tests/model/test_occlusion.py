"""Occlusion maps point at the part of the lining whose colour moves the estimate."""

from __future__ import annotations

import numpy as np
import pytest

from model import features, occlusion

H, W = 48, 96
RED = np.array([170, 60, 70], np.uint8)


def _lining(lower_varies: bool) -> tuple[np.ndarray, np.ndarray]:
    """A lining of one colour, one of whose halves holds stripes a* above and below it (the
    stripes average to that colour, so painting the other half changes nothing)."""
    image = np.zeros((H, W, 3), np.uint8)
    mask = np.zeros((H, W), bool)
    mask[8:40, 4:92] = True  # rows 8..39: lower half rows 24..39
    image[mask] = RED
    rows = slice(24, 40) if lower_varies else slice(8, 24)
    for col in range(4, 92):
        image[rows, col] = RED + (30 if col % 2 else -30) * np.array([1, 0, 0])
    return image, mask


def _a_spread(colour: np.ndarray) -> np.ndarray:
    """A stand-in model: the estimate is the spread of a* over the whole lining."""
    return 10.0 + colour[:, features.NAMES.index("whole_a_std")]


@pytest.mark.parametrize("lower_varies", [True, False])
def test_the_map_sits_where_the_colour_moves_the_estimate(lower_varies: bool) -> None:
    image, mask = _lining(lower_varies)
    colour = features.colour_features(image, mask)
    ex = occlusion.explain(_a_spread, image, mask, colour)
    assert ex.heatmap.shape == mask.shape and ex.heatmap.max() == pytest.approx(1.0)
    assert ex.estimate == pytest.approx(float(_a_spread(colour[None])[0]))
    if lower_varies:
        assert ex.lower_share > 0.8
    else:
        assert ex.lower_share < 0.2


def test_a_model_blind_to_colour_gives_no_map() -> None:
    image, mask = _lining(True)
    colour = features.colour_features(image, mask)
    ex = occlusion.explain(lambda c: np.full(len(c), 12.0), image, mask, colour)
    assert not ex.heatmap.any() and np.isnan(ex.lower_share)


def test_cells_tile_the_crop() -> None:
    grid = occlusion.cells((50, 70))
    assert grid.min() == 0 and grid.max() == occlusion.GRID[0] * occlusion.GRID[1] - 1
    assert len(np.unique(grid)) == occlusion.GRID[0] * occlusion.GRID[1]


@pytest.mark.parametrize("max_pixels", [occlusion.MAX_PIXELS, 500])
def test_the_lining_measured_for_the_statistics_gives_the_same_map(
    max_pixels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also where the map is measured on a shrunk crop, which the lining given does not fit."""
    monkeypatch.setattr(occlusion, "MAX_PIXELS", max_pixels)
    image, mask = _lining(True)
    measured = features.lining(image, mask)
    colour = features.statistics(measured)
    np.testing.assert_array_equal(colour, features.colour_features(image, mask))
    again = occlusion.explain(_a_spread, image, mask, colour)
    reused = occlusion.explain(_a_spread, image, mask, colour, measured=measured)
    assert reused.estimate == again.estimate and reused.lower_share == again.lower_share
    np.testing.assert_array_equal(reused.heatmap, again.heatmap)
