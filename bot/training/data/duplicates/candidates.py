"""Which pairs are worth aligning: each image's nearest neighbours by colour.

A copy keeps its colours whatever was done to its geometry (shift, crop, resize, turn, mirror)
and a re-encoding moves them little, while photographs of different children, lights and
cameras differ in their colour distribution. On CP-AnemiC the eight nearest neighbours by the
distribution below hold at least one copy of every image that has one, among the copies this
finder confirms.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from sklearn.neighbors import NearestNeighbors

from bot.training.data.duplicates.views import Picture

NEIGHBOURS = 8
# CIELAB bins (OpenCV's 8-bit scale): 8 of lightness; 12 of a* and of b* over 96-192, the
# range a pink-to-red lining spans (values outside fall in the end bins)
BINS = (8, 12, 12)
RANGES = ((0.0, 256.0), (96.0, 192.0), (96.0, 192.0))


def colour_signature(p: Picture) -> np.ndarray:
    """Square root of the conjunctiva's CIELAB histogram: Euclidean distance is Hellinger's."""
    lab = cv2.cvtColor(p.rgb, cv2.COLOR_RGB2LAB)[p.mask].astype(np.float64)
    index = np.zeros(len(lab), np.int64)
    for channel, (bins, (low, high)) in enumerate(zip(BINS, RANGES, strict=True)):
        position = (lab[:, channel] - low) * bins / (high - low)
        index = index * bins + np.clip(position.astype(np.int64), 0, bins - 1)
    hist = np.bincount(index, minlength=int(np.prod(BINS))).astype(np.float64)
    return np.sqrt(hist / max(hist.sum(), 1.0))


def colour_pairs(pictures: Sequence[Picture], k: int = NEIGHBOURS) -> set[tuple[int, int]]:
    """Pairs (a < b) where either is among the other's k nearest neighbours by colour."""
    usable = [i for i, p in enumerate(pictures) if p.usable]
    if len(usable) < 2:
        return set()
    signatures = np.array([colour_signature(pictures[i]) for i in usable])
    n = min(k + 1, len(usable))
    _, nearest = NearestNeighbors(n_neighbors=n).fit(signatures).kneighbors(signatures)
    pairs = set()
    for q, row in enumerate(nearest):
        a = usable[q]
        for b in (usable[j] for j in row if j != q):
            pairs.add((min(a, b), max(a, b)))
    return pairs
