"""Split-conformal intervals from out-of-fold absolute residuals.

For n calibration residuals the (1 - alpha) half-width is the |residual| at rank (n + 1)(1 - alpha)
(Lei et al. 2018), interpolated between the two neighbouring order statistics when that rank is
fractional. The usual ceil of that rank guarantees coverage of at least 1 - alpha but covers
ceil((n + 1)(1 - alpha)) / (n + 1) on average: 27/29 = 0.931 for the 28 residuals of a small
site's bin. The interpolated rank covers 1 - alpha on average, and never less than
1 - alpha - 1/(n + 1) (the rank below).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def half_width(residuals: npt.ArrayLike, coverage: float = 0.9) -> float:
    """Interval half-width (same units as the residuals) for the requested coverage."""
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    r = np.sort(np.abs(np.asarray(residuals, np.float64)))
    n = r.size
    if n == 0:
        raise ValueError("no calibration residuals")
    rank = (n + 1) * coverage  # 1-based, fractional
    if rank > n:
        return float("inf")  # too few residuals to bound this coverage
    low = max(math.floor(rank), 1)  # below rank 1: the smallest residual
    high = min(low + 1, n)
    return float(r[low - 1] + max(rank - low, 0.0) * (r[high - 1] - r[low - 1]))


def leave_fold_out(residuals: np.ndarray, folds: np.ndarray, coverage: float = 0.9) -> np.ndarray:
    """Per-row half-width calibrated on the other folds' residuals only (for honest CV coverage)."""
    residuals, folds = np.asarray(residuals), np.asarray(folds)
    widths = np.empty(len(residuals))
    for f in np.unique(folds):
        widths[folds == f] = half_width(residuals[folds != f], coverage)
    return widths


def binned(
    residuals: np.ndarray, pred: np.ndarray, coverage: float = 0.9
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mondrian split-conformal: (bin edges, half-width per bin), bins split at the median
    estimate. Errors grow towards low Hb (estimates shrink to the mean), so one width over-
    covers people with a high estimate and under-covers those with a low one."""
    edge = float(np.median(pred))
    above = np.asarray(pred) >= edge
    r = np.asarray(residuals)
    return (round(edge, 4),), tuple(round(half_width(r[b], coverage), 4) for b in (~above, above))


def width_at(
    pred: npt.ArrayLike, edges: tuple[float, ...], widths: tuple[float, ...]
) -> np.ndarray:
    """The half-width that applies to each estimate under `binned`'s edges and widths."""
    return np.asarray(widths)[np.digitize(np.asarray(pred), np.asarray(edges))]


def leave_fold_out_binned(
    residuals: np.ndarray,
    pred: np.ndarray,
    folds: np.ndarray,
    coverage: float = 0.9,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Per-row `binned` half-width calibrated on the other folds only (with `groups`, the
    `widest` of the groups' own intervals)."""
    widths = np.empty(len(residuals))
    for f in np.unique(folds):
        o, here = folds != f, folds == f
        if groups is None:
            edges, w = binned(residuals[o], pred[o], coverage)
        else:
            edges, w = widest(residuals[o], pred[o], groups[o], coverage)
        widths[here] = width_at(pred[here], edges, w)
    return widths


def widest(
    residuals: np.ndarray,
    pred: np.ndarray,
    groups: np.ndarray,
    coverage: float = 0.9,
    min_rows: int = 20,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The pointwise widest of each group's own `binned` interval, as (edges, half-widths) for
    `width_at` (groups of fewer than `min_rows` rows are left out; the pooled `binned` when
    none is left). For an interval that must hold for a new site whose camera is none of the
    groups': errors differ by site, and a pooled width under-covers the site with the larger
    ones. Each group's rows get at least their own width, so at least its coverage."""
    r, pred, groups = np.asarray(residuals), np.asarray(pred), np.asarray(groups)
    own = [
        binned(r[groups == g], pred[groups == g], coverage)
        for g in np.unique(groups)
        if (groups == g).sum() >= min_rows
    ]
    if not own:
        return binned(r, pred, coverage)
    edges = sorted({e for e_g, _ in own for e in e_g})
    points = [edges[0] - 1.0, *edges]  # one estimate inside each segment between edges
    widths = [max(float(width_at(x, e_g, w_g)) for e_g, w_g in own) for x in points]
    return tuple(edges), tuple(widths)


def leave_fold_out_per_group(
    residuals: np.ndarray,
    pred: np.ndarray,
    groups: np.ndarray,
    folds: np.ndarray,
    coverage: float = 0.9,
) -> np.ndarray:
    """Per-row `binned` half-width calibrated on the other folds of the row's own group only:
    each site's own interval, as a programme there would calibrate it on its own people."""
    widths = np.empty(len(residuals))
    for g in np.unique(groups):
        k = groups == g
        widths[k] = leave_fold_out_binned(residuals[k], pred[k], folds[k], coverage)
    return widths
