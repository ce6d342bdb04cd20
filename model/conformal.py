"""Split-conformal intervals from out-of-fold absolute residuals.

For n calibration residuals the (1 - alpha) interval half-width is the ceil((n + 1)(1 - alpha))-th
smallest |residual| (Lei et al. 2018), which covers a new exchangeable case with probability at
least 1 - alpha.
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
    rank = math.ceil((n + 1) * coverage)
    return float(r[min(rank, n) - 1]) if rank <= n else float("inf")


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
    residuals: np.ndarray, pred: np.ndarray, folds: np.ndarray, coverage: float = 0.9
) -> np.ndarray:
    """Per-row `binned` half-width calibrated on the other folds only."""
    widths = np.empty(len(residuals))
    for f in np.unique(folds):
        o, here = folds != f, folds == f
        edges, w = binned(residuals[o], pred[o], coverage)
        widths[here] = width_at(pred[here], edges, w)
    return widths
