"""Synthetic conjunctiva cut-outs for the quality-gate and screening tests (no real data).

A flat pink crescent would look blurred to the sharpness gate, so the cut-out carries what a
real one has: slow shading, sensor grain and a few dark-red vessels.
"""

from __future__ import annotations

import cv2
import numpy as np


def textured_cutout(
    seed: int = 0, colour: tuple[int, int, int] = (190, 85, 85)
) -> tuple[np.ndarray, np.ndarray]:
    """A 140x320 reddish crescent (RGB uint8, black outside) and its bool mask."""
    rng = np.random.default_rng(seed)
    h, w = 140, 320
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (160, 0), (150, 120), 0, 0, 180, 255, -1)
    cv2.ellipse(m, (160, -30), (150, 110), 0, 0, 180, 0, -1)
    coarse = rng.normal(0, 1, (h // 16, w // 16, 3)).astype(np.float32)
    shading = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.array(colour, np.float32) + 14 * shading + rng.normal(0, 5, (h, w, 3))
    for _ in range(30):  # vessels
        p = rng.integers((0, 0), (w, h))
        q = p + rng.integers(-60, 60, 2)
        width = int(rng.integers(1, 3))
        cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), (150, 40, 50), width)
    out = np.clip(img, 0, 255).astype(np.uint8)
    out[m == 0] = 0
    return out, m > 0


def rgba(cutout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The cut-out as RGBA with a transparent background, as CP-AnemiC ships them."""
    return np.dstack([cutout, np.where(mask, 255, 0).astype(np.uint8)])
