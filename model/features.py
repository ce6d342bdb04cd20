"""Colour statistics of the palpebral conjunctiva, over the whole mask and its lower/upper halves.

Pallor shows as less red (lower a*, lower erythema index) and lighter tissue. Kato et al. 2024
found that good estimates attend to the lower half of the conjunctiva, so each statistic is
also taken on each half.
"""

from __future__ import annotations

import cv2
import numpy as np

STATS = (
    "r",
    "g",
    "b",
    "L",
    "a",
    "b_star",
    "s",
    "v",
    "L_std",
    "a_std",
    "erythema",
    "a_p25",
    "a_p75",
    "chroma_r",
    "chroma_g",
)
REGIONS = ("whole", "lower", "upper")
NAMES = tuple(f"{region}_{stat}" for region in REGIONS for stat in STATS)
N_FEATURES = len(NAMES)


def lower_half(mask: np.ndarray) -> np.ndarray:
    """Mask pixels below the mask's own mid-line, column by column (the lid margin side).

    The conjunctiva is a curved strip, so a single horizontal cut would give whole columns to
    one half; splitting each column at the middle of its extent follows the curve.
    """
    mask = mask.astype(bool)
    rows = np.arange(mask.shape[0])[:, None]
    has = mask.any(axis=0)
    top = np.where(has, mask.argmax(axis=0), 0)
    bottom = np.where(has, mask.shape[0] - 1 - mask[::-1].argmax(axis=0), 0)
    mid = (top + bottom) / 2.0
    return mask & (rows > mid[None, :])


# rows of the per-pixel table `colour_features` builds: R, G, B in [0, 1], scaled L*, a*, b*,
# HSV S and V, L* and a* squared (for their spreads), erythema, chromaticity r and g
_ROWS = 13
_L, _A = 3, 4


def _table(rgb: np.ndarray) -> np.ndarray:
    """(_ROWS, n) float32 per-pixel quantities from (n, 3) RGB in [0, 1]."""
    out = np.empty((_ROWS, len(rgb)), np.float32)
    out[0:3] = rgb.T
    pixels = rgb[:, None]  # an (n, 1) picture for OpenCV's conversions
    # L in [0, 100] and a*, b* roughly [-127, 127]: bring all three to about unit range.
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB)[:, 0].T
    np.divide(lab, np.array([[100.0], [128.0], [128.0]], np.float32), out=out[3:6])
    out[6:8] = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)[:, 0, 1:].T  # S, V in [0, 1]
    np.square(out[_L : _A + 1], out=out[8:10])
    eps = 1e-3
    # Erythema index (Dimauro et al.): log10 of red over green reflectance, x100.
    out[10] = 100.0 * np.log10((out[0] + eps) / (out[1] + eps))
    total = out[0] + out[1] + out[2] + eps
    np.divide(out[0:2], total, out=out[11:13])
    return out


def _region_stats(table: np.ndarray) -> np.ndarray:
    """STATS of one region from its columns of the per-pixel table (`_table`)."""
    if table.shape[1] < 4:  # a half can vanish on a tiny mask: fall back to the whole mask
        return np.full(len(STATS), np.nan, np.float32)
    mean = table.mean(axis=1, dtype=np.float64)  # float64 sums: no rounding drift
    spread = np.sqrt(np.maximum(mean[8:10] - mean[[_L, _A]] ** 2, 0.0))  # L*, a* std
    quartiles = np.percentile(table[_A], (25, 75))
    return np.concatenate([mean[:8], spread, mean[10:11], quartiles, mean[11:13]]).astype(
        np.float32
    )


def colour_features(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N_FEATURES,) float32 from an RGB uint8 image and its boolean conjunctiva mask."""
    m = mask.astype(bool)
    if np.count_nonzero(m) < 4:
        return np.full(N_FEATURES, np.nan, np.float32)
    # Only the mask's pixels are converted (the colour conversions work pixel by pixel, so
    # each value is the one the whole crop would give), lower half first: each region is then
    # a contiguous run of columns of one (quantity, pixel) table, and each of its statistics
    # one vectorised pass over them.
    lower = lower_half(m)
    flat = image.reshape(-1, 3)
    halves = [np.compress(half.ravel(), flat, axis=0) for half in (lower, m & ~lower)]
    rgb = np.concatenate(halves).astype(np.float32)
    rgb /= 255.0
    table = _table(rgb)
    n_lower = len(halves[0])
    whole = _region_stats(table)
    parts = [whole]
    for half in (table[:, :n_lower], table[:, n_lower:]):
        stats = _region_stats(half)
        parts.append(np.where(np.isnan(stats), whole, stats))
    return np.concatenate(parts).astype(np.float32)
