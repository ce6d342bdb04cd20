"""Colour statistics of the palpebral conjunctiva, over the whole mask and its lower/upper halves.

Pallor shows as less red (lower a*, lower erythema index) and lighter tissue. Kato et al. 2024
found that good estimates attend to the lower half of the conjunctiva, so each statistic is
also taken on each half.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def lower_share(heat: np.ndarray, mask: np.ndarray, lower: np.ndarray | None = None) -> float:
    """Share of a non-negative (H, W) map's weight inside the mask that lies on its lower
    half (`lower_half`): the one definition of `attention_lower_half` for every model's map.
    NaN where the map has no weight on the mask. `lower`: `lower_half(mask)`, where the
    caller has it."""
    m = mask.astype(bool)
    inside = float((heat * m).sum())
    lower = lower_half(m) if lower is None else lower
    return float((heat * lower).sum() / inside) if inside > 0 else float("nan")


# rows of the per-pixel table `colour_features` builds: R, G, B in [0, 1], scaled L*, a*, b*,
# HSV S and V, L* and a* squared (for their spreads), erythema, chromaticity r and g
_ROWS = 13
_L, _A = 3, 4


def _table(rgb: np.ndarray) -> np.ndarray:
    """(_ROWS, n) float32 per-pixel quantities from (n, 3) RGB in [0, 1]."""
    out = np.empty((_ROWS, len(rgb)), np.float32)
    out[0:3] = rgb.T
    # a (1, n) picture for OpenCV's conversions: one row, which they convert with their
    # vector code (an (n, 1) one costs a call per pixel: 4-20x slower)
    pixels = rgb[None]
    # L in [0, 100] and a*, b* roughly [-127, 127]: bring all three to about unit range.
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB)[0].T
    np.divide(lab, np.array([[100.0], [128.0], [128.0]], np.float32), out=out[3:6])
    out[6:8] = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)[0, :, 1:].T  # S, V in [0, 1]
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
    return _stats_of(mean[:, None], np.percentile(table[_A], QUARTILES)[:, None])[:, 0]


QUARTILES = (25, 75)  # of a*, in STATS


def _stats_of(mean: np.ndarray, quartiles: np.ndarray) -> np.ndarray:
    """(len(STATS), K) float32 from K regions' (_ROWS, K) means and (2, K) a* quartiles."""
    spread = np.sqrt(np.maximum(mean[8:10] - mean[[_L, _A]] ** 2, 0.0))  # L*, a* std
    return np.concatenate([mean[:8], spread, mean[10:11], quartiles, mean[11:13]]).astype(
        np.float32
    )


@dataclass(frozen=True)
class Lining:
    """The lining's pixels as the colour statistics read them, measured once for both
    `statistics` and `occluded_features`: the per-pixel table (`_table`), lower half first."""

    mask: np.ndarray  # (H, W) bool
    lower: np.ndarray  # (H, W) bool: `lower_half(mask)`
    table: np.ndarray  # (_ROWS, n) float32: the lower half's n_lower pixels, then the upper's
    n_lower: int
    paint: np.ndarray  # (3,) uint8: the lining's mean colour, rounded


def lining(image: np.ndarray, mask: np.ndarray) -> Lining:
    """The `Lining` of an RGB uint8 image's boolean conjunctiva mask (at least one pixel)."""
    # Only the mask's pixels are converted (the colour conversions work pixel by pixel, so
    # each value is the one the whole crop would give), lower half first: each region is then
    # a contiguous run of columns of one (quantity, pixel) table, and each of its statistics
    # one vectorised pass over them.
    m = mask.astype(bool)
    lower = lower_half(m)
    flat = image.reshape(-1, 3)
    halves = [np.compress(half.ravel(), flat, axis=0) for half in (lower, m & ~lower)]
    pixels = np.concatenate(halves)
    # OpenCV's sum: exact for these integers, 6x faster than NumPy's along an (n, 3) axis
    paint = np.round(np.array(cv2.sumElems(pixels[None])[:3]) / len(pixels))
    rgb = pixels.astype(np.float32)
    rgb /= 255.0
    return Lining(m, lower, _table(rgb), len(halves[0]), paint.astype(np.uint8))


def statistics(measured: Lining) -> np.ndarray:
    """(N_FEATURES,) float32: `colour_features` of a lining already measured."""
    table = measured.table
    if table.shape[1] < 4:
        return np.full(N_FEATURES, np.nan, np.float32)
    whole = _region_stats(table)
    parts = [whole]
    for half in (table[:, : measured.n_lower], table[:, measured.n_lower :]):
        stats = _region_stats(half)
        parts.append(np.where(np.isnan(stats), whole, stats))
    return np.concatenate(parts).astype(np.float32)


def colour_features(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N_FEATURES,) float32 from an RGB uint8 image and its boolean conjunctiva mask."""
    if np.count_nonzero(mask) < 4:
        return np.full(N_FEATURES, np.nan, np.float32)
    return statistics(lining(image, mask))


def occluded_features(measured: Lining, cells: np.ndarray, k: int) -> np.ndarray:
    """(k, N_FEATURES) float32: row c is `colour_features` of the image with the lining's
    pixels in cell c (`cells`: (H, W) ints in [0, k), k <= 128) painted the lining's mean
    colour, for every cell in one pass: each region's sums and a* quartiles are updated by
    what the cell takes out and puts in, not measured again."""
    m, lower, table = measured.mask, measured.lower, measured.table
    const = _table(measured.paint[None].astype(np.float32) / 255.0)[:, 0]
    # each pixel's (cell, half) as one uint8, in the table's order: radix-sortable
    flat = cells.ravel().astype(np.uint8)
    group = np.concatenate([np.compress(h.ravel(), flat) for h in (lower, m & ~lower)])
    group *= np.uint8(2)
    group[: measured.n_lower] += np.uint8(1)
    sums = np.stack([np.bincount(group, weights=row, minlength=2 * k) for row in table])
    sums = sums.reshape(_ROWS, k, 2)  # [..., 0]: upper half, [..., 1]: lower half
    order = np.argsort(table[_A])  # once: each half's sorted order is a subsequence of it
    regions = [(None, sums.sum(axis=2)), (True, sums[..., 1]), (False, sums[..., 0])]
    parts = [
        _occluded_region(table, group, order, half, cell_sums, const, k)
        for half, cell_sums in regions
    ]
    whole = parts[0]
    return np.concatenate([whole] + [np.where(np.isnan(p), whole, p) for p in parts[1:]]).T


def _occluded_region(
    table: np.ndarray,
    group: np.ndarray,
    order: np.ndarray,
    half: bool | None,
    cell_sums: np.ndarray,
    const: np.ndarray,
    k: int,
) -> np.ndarray:
    """(len(STATS), k): one region's (the whole lining, or `half` of it: True lower) STATS
    with each cell's pixels set to `const`; `cell_sums`: (_ROWS, k) sums of its cells."""
    if half is not None:
        order = order[(group[order] & 1).astype(bool) == half]
    n = len(order)
    if n < 4:
        return np.full((len(STATS), k), np.nan, np.float32)
    counts = np.bincount(group[order] >> 1, minlength=k)
    total = cell_sums.sum(axis=1, keepdims=True)
    mean = (total - cell_sums + counts * const[:, None].astype(np.float64)) / n
    sorted_cells = group[order] >> 1
    return _stats_of(mean, _occluded_quartiles(table[_A, order], sorted_cells, float(const[_A]), k))


def _occluded_quartiles(s: np.ndarray, cell: np.ndarray, v: float, k: int) -> np.ndarray:
    """(2, k): QUARTILES (linear, as np.percentile) of sorted values `s`, each pixel in cell
    `cell` (its cell), with cell c's values set to v: for every cell at once, each cell's
    positions searched as one sorted run of keys `c * (n + 1) + position`."""
    s = s.astype(np.float64)
    n, below = len(s), int(np.searchsorted(s, v))
    at = np.array(QUARTILES) / 100.0 * (n - 1)
    lo = np.floor(at).astype(int)
    ranks, frac = np.concatenate([lo, np.minimum(lo + 1, n - 1)])[None], at - lo
    counts = np.bincount(cell, minlength=k)
    starts = np.cumsum(counts) - counts
    gone = np.argsort(cell, kind="stable")  # positions, grouped by cell, increasing in each
    base = np.arange(k) * (n + 1)  # each cell's keys apart from the others'
    keys = np.repeat(base, counts) + gone
    # kept values before each removed one: the r-th kept value is at r + (removed ones before)
    gaps = keys - (np.arange(n) - np.repeat(starts, counts))
    m = counts[:, None]

    def kept(r: np.ndarray) -> np.ndarray:  # (k, R) ranks among each cell's kept values
        r = np.clip(r, 0, n - m - 1)
        return s[r + np.searchsorted(gaps, base[:, None] + r, side="right") - starts[:, None]]

    under = below - (np.searchsorted(keys, base + below) - starts)[:, None]  # kept under v
    out = np.where(ranks < under, kept(ranks), np.where(ranks < under + m, v, kept(ranks - m)))
    t_lo, t_hi = out[:, : len(lo)], out[:, len(lo) :]
    return (t_lo + frac * (t_hi - t_lo)).T
