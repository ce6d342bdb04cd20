"""Copies at the same scale, found by pixel blocks they share exactly.

A copy that was only shifted, cropped, re-cut with another mask, turned by quarter turns or
mirrored, and saved losslessly, holds exactly the same 8x8 blocks of RGB as the original. Every
block of every image is hashed once; a sample of each turned image's blocks is looked up, and
each hit votes for the offset that would align the two images. No two photographs share an
8x8 block of camera noise by chance, so a few votes at one offset are a strong proposal, which
the aligned residual then checks (`align`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import cv2
import numpy as np

from bot.training.data.duplicates.views import ORIENTATIONS, Picture, orient, orient_matrix

BLOCK = 8  # px
MIN_RANGE = 6  # grey levels of green inside a block: flat blocks (glare, shadow) repeat
QUERY_STRIDE = 4  # px between looked-up blocks: a shifted copy still has many on its grid
MAX_HITS = 8  # a block found in more places than this says nothing about which image
MIN_VOTES = 3  # blocks agreeing on one offset (true copies have tens to thousands)
# random odd multipliers of a linear hash (wrapping at 2**64): per column and channel of a row
# of the block, then per row
_RNG = np.random.default_rng(20240531)
_ALONG = _RNG.integers(0, 2**63, (BLOCK, 3), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_DOWN = _RNG.integers(0, 2**63, BLOCK, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _hash_map(rgb: np.ndarray, stride: int) -> np.ndarray:
    """Hash of the BLOCK x BLOCK block at every `stride`-th top-left corner, row by row."""
    px = rgb.astype(np.uint64)
    h, w = rgb.shape[:2]
    rows = np.zeros((h, len(range(0, w - BLOCK + 1, stride))), np.uint64)
    for j in range(BLOCK):
        for c in range(3):
            rows += px[:, j : j + w - BLOCK + 1 : stride, c] * _ALONG[j, c]
    blocks = np.zeros((len(range(0, h - BLOCK + 1, stride)), rows.shape[1]), np.uint64)
    for i in range(BLOCK):
        blocks += rows[i : i + h - BLOCK + 1 : stride] * _DOWN[i]
    return blocks


def _hashes(rgb: np.ndarray, mask: np.ndarray, stride: int) -> tuple[np.ndarray, ...]:
    """64-bit hashes of the textured blocks wholly inside the mask, with their top-left corners
    (every `stride`-th row and column)."""
    h, w = mask.shape
    if h < BLOCK or w < BLOCK:
        return np.zeros(0, np.uint64), np.zeros(0, np.intp), np.zeros(0, np.intp)
    square = np.ones((BLOCK, BLOCK), np.uint8)
    inside = cv2.erode(mask.astype(np.uint8), square, anchor=(0, 0), borderValue=0) > 0
    green = rgb[..., 1]
    spread = cv2.dilate(green, square, anchor=(0, 0)) - cv2.erode(green, square, anchor=(0, 0))
    ok = (inside & (spread >= MIN_RANGE))[: h - BLOCK + 1 : stride, : w - BLOCK + 1 : stride]
    ys, xs = np.nonzero(ok)
    return _hash_map(rgb, stride)[ys, xs], ys * stride, xs * stride


def _table(pictures: Sequence[Picture], stride: int, views: Sequence[int]) -> np.ndarray:
    """Rows (hash, image, view, y, x) for every listed view of every usable picture."""
    rows = []
    for i, p in enumerate(pictures):
        if not p.usable or p.shrunk:  # shrunk pixels differ with the crop: nothing exact left
            continue
        for v in views:
            hashes, ys, xs = _hashes(orient(p.rgb, v), orient(p.mask, v), stride)
            n = len(hashes)
            rows.append(
                np.stack([hashes.view(np.int64), *np.broadcast_to([[i], [v]], (2, n)), ys, xs], 1)
            )
    return np.concatenate(rows) if rows else np.zeros((0, 5), np.int64)


def _hits(pictures: Sequence[Picture]) -> np.ndarray:
    """Rows (a, b, view of b, dy, dx): a block of b's view at (y, x) sits in a at (y+dy, x+dx)."""
    base = _table(pictures, 1, [0])
    base = base[np.argsort(base[:, 0], kind="stable")]
    query = _table(pictures, QUERY_STRIDE, ORIENTATIONS)
    query = query[np.argsort(query[:, 0], kind="stable")]  # sorted needles search faster
    lo = np.searchsorted(base[:, 0], query[:, 0], "left")
    count = np.searchsorted(base[:, 0], query[:, 0], "right") - lo
    keep = (count > 0) & (count <= MAX_HITS)
    lo, count, query = lo[keep], count[keep], query[keep]
    q = np.repeat(np.arange(len(lo)), count)
    b_idx = (
        np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    found, asked = base[b_idx], query[q]
    rows = np.stack(
        [
            found[:, 1],
            asked[:, 1],
            asked[:, 2],
            found[:, 3] - asked[:, 3],
            found[:, 4] - asked[:, 4],
        ],
        1,
    )
    return rows[rows[:, 0] < rows[:, 1]]  # each pair once: b's eight views against a as it is


def proposals(
    pictures: Sequence[Picture], per_pair: int = 2
) -> dict[tuple[int, int], list[np.ndarray]]:
    """(a, b) -> up to `per_pair` 2x3 matrices taking b's pixel (x, y) to a's, best first."""
    hits = _hits(pictures)
    if len(hits) == 0:
        return {}
    offsets, votes = np.unique(hits, axis=0, return_counts=True)
    order = np.argsort(-votes, kind="stable")
    out: dict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
    for (a, b, v, dy, dx), n in zip(offsets[order], votes[order], strict=True):
        if n < MIN_VOTES or len(out[a, b]) >= per_pair:
            continue
        h, w = pictures[b].mask.shape
        m = orient_matrix(int(v), h, w)
        m[0, 2] += dx
        m[1, 2] += dy
        out[int(a), int(b)].append(m[:2])
    return dict(out)
