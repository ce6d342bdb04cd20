"""How alike two aligned conjunctivas are: in colour, and in fine texture.

Both are measured over the pixels both masks cover, each image smoothed within that region
only (normalised convolution: no pixel from outside leaks in):

- residual: the mean absolute RGB difference (0-255) of the two images smoothed by a Gaussian
  of SMOOTH px. JPEG's 8x8 blocks and halved colour resolution are finer than that, so a
  re-encoded copy stays close, while another photograph's light and colour differ over areas;
- texture: the correlation of the two images' luma detail (smoothed by SMOOTH minus smoothed
  by COARSE). A copy keeps its vessels and grain where they were; two flat images of one
  colour with independent grain (no photograph looks like that, synthetic test images do)
  come close in residual but do not correlate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

SMOOTH = 1.0  # px, Gaussian sigma
COARSE = 3.0  # px


@dataclass(frozen=True)
class Likeness:
    residual: float  # mean |RGB difference| after smoothing, 0-255
    texture: float  # correlation of the luma detail, -1 to 1
    shared: int  # pixels both cover


class _Smoother:
    """Gaussian smoothing that only averages the pixels where `weight` is 1."""

    def __init__(self, weight: np.ndarray) -> None:
        self.weight = weight.astype(np.float32)
        self.norms: dict[float, np.ndarray] = {}

    def __call__(self, image: np.ndarray, sigma: float) -> np.ndarray:
        if sigma not in self.norms:
            self.norms[sigma] = np.maximum(cv2.GaussianBlur(self.weight, (0, 0), sigma), 1e-6)
        norm = self.norms[sigma]
        if image.ndim == 3:
            return cv2.GaussianBlur(image * self.weight[..., None], (0, 0), sigma) / norm[..., None]
        return cv2.GaussianBlur(image * self.weight, (0, 0), sigma) / norm

    def detail(self, rgb: np.ndarray) -> np.ndarray:
        luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return self(luma, SMOOTH) - self(luma, COARSE)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    spread = float(a.std() * b.std())
    return float(((a - a.mean()) * (b - b.mean())).mean() / spread) if spread > 0 else 0.0


def likeness(a: np.ndarray, b: np.ndarray, both: np.ndarray, texture_below: float) -> Likeness:
    """a and b: RGB uint8 of one size, aligned; both: where both show the conjunctiva. The
    texture is only measured when the residual is at most `texture_below` (else nan)."""
    shared = int(both.sum())
    if shared == 0:
        return Likeness(math.inf, math.nan, 0)
    smooth = _Smoother(both)
    sa, sb = smooth(a.astype(np.float32), SMOOTH), smooth(b.astype(np.float32), SMOOTH)
    residual = float(np.abs(sa - sb)[both].mean())
    if residual > texture_below:
        return Likeness(residual, math.nan, shared)
    texture = _correlation(smooth.detail(a)[both], smooth.detail(b)[both])
    return Likeness(residual, texture, shared)
