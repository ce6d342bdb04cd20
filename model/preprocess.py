"""Turn an image and its conjunctiva mask into the CNN's fixed-size input.

Input channels: CIELAB L*, a*, b* scaled to about [-1, 1] and multiplied by the mask, then the
mask itself, so the network sees colour only where the conjunctiva is and knows where that is.
"""

from __future__ import annotations

import cv2
import numpy as np


def bbox(mask: np.ndarray, pad: float = 0.04) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the mask with a small relative margin, clipped to the image."""
    # the rows and columns that hold the mask: two passes over a photo-sized mask, not the
    # coordinates of its every pixel
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if ys.size == 0:
        raise ValueError("empty mask")
    h, w = mask.shape
    top, bottom, left, right = int(ys[0]), int(ys[-1]), int(xs[0]), int(xs[-1])
    py, px = int(pad * (bottom - top + 1)), int(pad * (right - left + 1))
    return max(top - py, 0), min(bottom + py + 1, h), max(left - px, 0), min(right + px + 1, w)


def crop(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop image and mask to the mask's bounding box."""
    t, b, lft, r = bbox(mask)
    return image[t:b, lft:r], mask[t:b, lft:r]


def to_input(image: np.ndarray, mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width, 4) float32: masked Lab + mask, from an RGB uint8 crop and its mask."""
    img = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    m = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
    m = (m > 0.5).astype(np.float32)
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lab = np.stack([lab[..., 0] / 50.0 - 1.0, lab[..., 1] / 64.0, lab[..., 2] / 64.0], axis=-1)
    return np.concatenate([lab * m[..., None], m[..., None]], axis=-1).astype(np.float32)


def meta_vector(age_months: float | None, sex: str | None) -> np.ndarray:
    """(4,) float32: age in years (0 when unknown), an age-known flag, and one-hot sex."""
    return np.array(
        [
            (age_months or 0.0) / 12.0,
            float(age_months is not None),
            float(sex == "f"),
            float(sex == "m"),
        ],
        np.float32,
    )
