"""The referral rule: refer for a blood test when the estimate is below the WHO cut-off plus a
margin, the margin chosen so that out-of-fold at least `sensitivity` of anaemic people in
every population are referred.

A screening aid must find most anaemic people; its specificity is what that costs, and is
reported beside it. Like the conformal width, the margin is chosen on out-of-fold estimates,
and its own figures are measured with margins chosen on the other folds only.
"""

from __future__ import annotations

import numpy as np

GRID = np.round(np.arange(0.0, 4.001, 0.05), 2)  # g/dL above the cut-off


def _sensitivity(hb: np.ndarray, pred: np.ndarray, thr: np.ndarray, margin: float) -> float:
    anaemic = hb < thr
    return float((pred[anaemic] < thr[anaemic] + margin).mean()) if anaemic.any() else 1.0


def margin_for(
    hb: np.ndarray, pred: np.ndarray, thr: np.ndarray, groups: np.ndarray, sensitivity: float
) -> float:
    """Smallest margin (g/dL) whose sensitivity reaches `sensitivity` in every group."""
    for m in GRID:
        if all(
            _sensitivity(hb[groups == g], pred[groups == g], thr[groups == g], m) >= sensitivity
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
