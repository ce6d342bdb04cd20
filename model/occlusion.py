"""Occlusion sensitivity (Zeiler and Fergus 2014) for the adults' model, which reads colour
statistics rather than pixels and so has no Grad-CAM.

A coarse grid of cells is laid over the lining's crop; each cell's lining pixels in turn are
painted the lining's mean colour, the colour statistics are measured again for every cell at
once (`features.occluded_features`) and the model estimates them in one batched call. How far
the estimate moves, in g/dL, is the cell's weight; the map is that grid, smoothly enlarged to
the crop and scaled to [0, 1], like a Grad-CAM heat map, and its share on the lower half of the
lining (`features.lower_share`) is the same `attention_lower_half` as the children's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from model import features, jitcache
from model.gradcam import Explanation

if TYPE_CHECKING:  # serving an exported program never imports the NNX model (nor Flax)
    from model import adult, exported

GRID = (6, 8)  # rows x columns of cells over the crop: cells of about 5x10% of the crop
ROWS = 2 + GRID[0] * GRID[1]  # the estimate, the map's base and one row per cell: one shape

Predict = Callable[[np.ndarray], np.ndarray]  # (B, N_FEATURES) colour statistics -> (B,) Hb


def cells(shape: tuple[int, int], grid: tuple[int, int] = GRID) -> np.ndarray:
    """(H, W) int: each pixel's cell, row-major over a `grid` of near-equal cells."""
    (h, w), (rows, cols) = shape, grid
    return (np.arange(h)[:, None] * rows // h) * cols + np.arange(w)[None] * cols // w


def explain(
    predict: Predict,
    image: np.ndarray,
    mask: np.ndarray,
    colour: np.ndarray,
    grid: tuple[int, int] = GRID,
    measured: features.Lining | None = None,
) -> Explanation:
    """The estimate on `colour` (the crop's `colour_features`), the occlusion map at the
    crop's size and its share on the lower half of `mask`. `predict` gets 2 + cells rows.
    `measured`: `features.lining(image, mask)`, where the caller measured it for `colour`."""
    k = grid[0] * grid[1]
    small, small_mask = bounded(image, mask)
    if small is image:
        base = colour
        lining = measured if measured is not None else features.lining(image, mask)
    else:
        lining = features.lining(small, small_mask)
        base = features.statistics(lining)
    occluded = features.occluded_features(lining, cells(small_mask.shape, grid), k)
    out = np.asarray(predict(np.concatenate([colour[None], base[None], occluded])), np.float64)
    change = np.abs(out[2:] - out[1]).reshape(grid).astype(np.float32)  # g/dL per cell
    # bilinear between cell centres: smooth, never negative, and no wider than its cells
    heat = cv2.resize(change, mask.shape[::-1], interpolation=cv2.INTER_LINEAR)
    heat = heat / heat.max() if heat.max() > 0 else heat
    lower = lining.lower if lining.mask.shape == mask.shape else None  # not when `bounded`
    return Explanation(float(out[0]), heat, features.lower_share(heat, mask, lower))


MAX_PIXELS = 200_000  # lining pixels measured for the map: a whole photo's can be 1.3 M


def bounded(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The crop as it is, or shrunk (area-averaged) until its lining has about MAX_PIXELS:
    the map's cost stays near 60 ms on the 2-core machine whatever the photo's size."""
    scale = float(np.sqrt(MAX_PIXELS / max(int(np.count_nonzero(mask)), 1)))
    if scale >= 1.0:
        return image, mask
    size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return small, cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0


def of_adult(
    model: adult.Model | exported.Model,
    image: np.ndarray,
    mask: np.ndarray,
    colour: np.ndarray,
    meta: np.ndarray,
    measured: features.Lining | None = None,
) -> Explanation:
    """`explain` for the adults' model (NNX, or its program exported for ROWS rows) and one
    person's age and sex (`meta`)."""

    def predict(batch: np.ndarray) -> np.ndarray:  # `adult.predict`, for either kind of model
        return jitcache.first_output(model, batch, np.repeat(meta[None], ROWS, axis=0))

    return explain(predict, image, mask, colour, measured=measured)
