"""The referral rule: refer for a blood test when the estimate is below the WHO cut-off plus a
margin, the margin chosen so that out-of-fold at least `sensitivity` of anaemic people in
every population are referred.

A screening aid must find most anaemic people; its specificity is what that costs, and is
reported beside it. Like the conformal width, the margin is chosen on out-of-fold estimates,
and its own figures are measured with margins chosen on the other folds only. Unlike the
width, which aims at its coverage on average (`model.conformal`), it takes the whole
finite-sample rank, because the sensitivity is a floor: of n anaemic people it must refer
ceil((n + 1) * s), not ceil(n * s), so that a new anaemic person exchangeable with them is
referred with probability at least s (the split-conformal argument of Lei et al. 2018 applied
to the score estimate - cut-off); the plain share falls short of s on new people by about s / n.
"""

from __future__ import annotations

import math

import numpy as np

GRID = np.round(np.arange(0.0, 4.001, 0.05), 2)  # g/dL above the cut-off


def needed(n_anaemic: int, sensitivity: float) -> int:
    """How many of n anaemic people the margin must refer (all of them when n is small)."""
    return min(math.ceil((n_anaemic + 1) * sensitivity), n_anaemic)


def _reaches(hb: np.ndarray, pred: np.ndarray, thr: np.ndarray, margin: float, s: float) -> bool:
    anaemic = hb < thr
    referred = int((pred[anaemic] < thr[anaemic] + margin).sum())
    return referred >= needed(int(anaemic.sum()), s)


def margin_for(
    hb: np.ndarray, pred: np.ndarray, thr: np.ndarray, groups: np.ndarray, sensitivity: float
) -> float:
    """Smallest margin (g/dL) that refers `needed` anaemic people in every group."""
    for m in GRID:
        if all(
            _reaches(hb[groups == g], pred[groups == g], thr[groups == g], m, sensitivity)
            for g in np.unique(groups)
        ):
            return float(m)
    return float(GRID[-1])


def leave_fold_out(
    hb: np.ndarray,
    pred: np.ndarray,
    thr: np.ndarray,
    groups: np.ndarray,
    folds: np.ndarray,
    sensitivity: float,
) -> np.ndarray:
    """Per-row margin chosen on the other folds' estimates only (for honest figures)."""
    margins = np.empty(len(hb))
    for f in np.unique(folds):
        o = folds != f
        margins[folds == f] = margin_for(hb[o], pred[o], thr[o], groups[o], sensitivity)
    return margins
