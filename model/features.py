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


def _region_stats(rgb: np.ndarray, lab: np.ndarray, hsv: np.ndarray) -> np.ndarray:
    """STATS of one region from its pixels: (n, 3) RGB in [0, 1], scaled Lab and HSV."""
    if len(rgb) < 4:  # a half can vanish on a tiny mask: fall back to the whole mask upstream
        return np.full(len(STATS), np.nan, np.float32)
    eps = 1e-3
    # Erythema index (Dimauro et al.): log10 of red over green reflectance, x100.
    erythema = 100.0 * np.log10((rgb[:, 0] + eps) / (rgb[:, 1] + eps))
    total = rgb.sum(axis=1) + eps
    a = lab[:, 1]
    return np.array(
        [
            *rgb.mean(axis=0),
            *lab.mean(axis=0),
            hsv[:, 1].mean(),
            hsv[:, 2].mean(),
            lab[:, 0].std(),
            a.std(),
            erythema.mean(),
            *np.percentile(a, (25, 75)),
            (rgb[:, 0] / total).mean(),
            (rgb[:, 1] / total).mean(),
        ],
        np.float32,
    )


def colour_features(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N_FEATURES,) float32 from an RGB uint8 image and its boolean conjunctiva mask."""
    m = mask.astype(bool)
    idx = np.flatnonzero(m)
    if idx.size < 4:
        return np.full(N_FEATURES, np.nan, np.float32)
    # Only the mask's pixels are converted, in row order, as an (n, 1) picture (the colour
    # conversions work pixel by pixel, so each value is the one the whole crop would give),
    # and each half is taken from them by index: converting the whole crop and gathering
    # from it by boolean masks, region by region, took most of a photo's time.
    rgb = image.reshape(-1, 3)[idx].astype(np.float32)[:, None] / 255.0
    # L in [0, 100] and a*, b* roughly [-127, 127]: bring all three to about unit range.
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB) / np.array([100.0, 128.0, 128.0], np.float32)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # S, V in [0, 1]
    px = [space[:, 0] for space in (rgb, lab, hsv)]  # (n, 3) each
    lower = lower_half(m).ravel()[idx]
    whole = _region_stats(*px)
    parts = [whole]
    for half in (np.flatnonzero(lower), np.flatnonzero(~lower)):
        stats = _region_stats(*(p[half] for p in px))
        parts.append(np.where(np.isnan(stats), whole, stats))
    return np.concatenate(parts).astype(np.float32)
