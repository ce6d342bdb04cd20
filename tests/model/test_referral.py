"""The referral margin: the smallest that refers the target share of anaemic people in every
group, and, for honest figures, chosen without the fold it is applied to."""

from __future__ import annotations

import numpy as np

from model import referral


def cohort(n: int, seed: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hb = rng.uniform(8.0, 15.0, n)
    return hb, hb + shift + rng.normal(0.0, 1.0, n)


def test_margin_reaches_the_sensitivity_in_every_group() -> None:
    hb_a, pred_a = cohort(200, 0)
    hb_b, pred_b = cohort(200, 1, shift=1.0)  # this group's estimates run high
    hb, pred = np.r_[hb_a, hb_b], np.r_[pred_a, pred_b]
    thr, groups = np.full(400, 12.0), np.repeat(["a", "b"], 200)
    m = referral.margin_for(hb, pred, thr, groups, 0.8)
    for g in ("a", "b"):
        sel = (groups == g) & (hb < 12.0)
        assert (pred[sel] < 12.0 + m).mean() >= 0.8
    # the smallest such margin: one grid step less misses the target in some group
    below = m - 0.05
    assert any((pred[(groups == g) & (hb < 12.0)] < 12.0 + below).mean() < 0.8 for g in ("a", "b"))
    only_a = referral.margin_for(hb_a, pred_a, thr[:200], groups[:200], 0.8)
    assert only_a < m  # the high-running group is what needed the wider margin


def test_leave_fold_out_ignores_the_fold_itself() -> None:
    hb, pred = cohort(300, 2)
    thr, groups, folds = np.full(300, 12.0), np.zeros(300), np.arange(300) % 3
    before = referral.leave_fold_out(hb, pred, thr, groups, folds, 0.8)
    moved = pred.copy()
    moved[folds == 0] += 3.0  # fold 0's estimates change: its own margin must not
    after = referral.leave_fold_out(hb, moved, thr, groups, folds, 0.8)
    assert np.array_equal(before[folds == 0], after[folds == 0])
    assert not np.array_equal(before[folds == 1], after[folds == 1])
