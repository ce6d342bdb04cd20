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
