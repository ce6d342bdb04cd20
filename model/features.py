"""Colour statistics of the palpebral conjunctiva, over the whole mask and its lower/upper halves.

Pallor shows as less red (lower a*, lower erythema index) and lighter tissue. Kato et al. 2024
found that good estimates attend to the lower half of the conjunctiva, so each statistic is
also taken on each half.
"""

from __future__ import annotations

import cv2
import numpy as np

STATS = (
    "r", "g", "b", "L", "a", "b_star", "s", "v", "L_std", "a_std",
    "erythema", "a_p25", "a_p75", "chroma_r", "chroma_g",
)  # fmt: skip
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


def _region_stats(rgb: np.ndarray, lab: np.ndarray, hsv: np.ndarray, m: np.ndarray) -> np.ndarray:
    if m.sum() < 4:  # a half can vanish on a tiny mask: fall back to the whole mask upstream
        return np.full(len(STATS), np.nan, np.float32)
    px = rgb[m]  # (n, 3) in [0, 1]
    lab_px, hsv_px = lab[m], hsv[m]
    eps = 1e-3
    # Erythema index (Dimauro et al.): log10 of red over green reflectance, x100.
    erythema = 100.0 * np.log10((px[:, 0] + eps) / (px[:, 1] + eps))
    total = px.sum(axis=1) + eps
    a = lab_px[:, 1]
    return np.array(
        [
            *px.mean(axis=0),
            *lab_px.mean(axis=0),
            hsv_px[:, 1].mean(),
            hsv_px[:, 2].mean(),
            lab_px[:, 0].std(),
            a.std(),
            erythema.mean(),
            np.percentile(a, 25),
            np.percentile(a, 75),
            (px[:, 0] / total).mean(),
            (px[:, 1] / total).mean(),
        ],
        np.float32,
    )


def colour_features(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N_FEATURES,) float32 from an RGB uint8 image and its boolean conjunctiva mask."""
    rgb = image.astype(np.float32) / 255.0
    # L in [0, 100] and a*, b* roughly [-127, 127]: bring all three to about unit range.
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB) / np.array([100.0, 128.0, 128.0], np.float32)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # S, V in [0, 1]
    m = mask.astype(bool)
    lower = lower_half(m)
    whole = _region_stats(rgb, lab, hsv, m)
    parts = [whole]
    for region in (lower, m & ~lower):
        stats = _region_stats(rgb, lab, hsv, region)
        parts.append(np.where(np.isnan(stats), whole, stats))
    return np.concatenate(parts).astype(np.float32)
