"""The referral margin: the smallest that refers the target share of anaemic people in every
group, and, for honest figures, chosen without the fold it is applied to."""

from __future__ import annotations

import math

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

    def referred(g: str, margin: float) -> tuple[int, int]:
        sel = (groups == g) & (hb < 12.0)
        return int((pred[sel] < 12.0 + margin).sum()), int(sel.sum())

    for g in ("a", "b"):
        k, n = referred(g, m)
        assert k >= math.ceil((n + 1) * 0.8) and k / n >= 0.8
    # the smallest such margin: one grid step less misses the target in some group
    assert any(k < math.ceil((n + 1) * 0.8) for k, n in (referred(g, m - 0.05) for g in "ab"))
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


def test_new_anaemic_people_are_referred_at_the_target_rate() -> None:
    """Over many calibration sets of 20 anaemic people, a new one is referred with
    probability at least 0.8 (the plain share, ceil(n * s), falls short)."""
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(2000):
        hb = rng.uniform(7.0, 11.9, 21)  # all anaemic at 12.0; the last one is the new person
        pred = hb + rng.normal(0.0, 1.5, 21)
        thr = np.full(20, 12.0)
        m = referral.margin_for(hb[:20], pred[:20], thr, np.zeros(20), 0.8)
        hits.append(pred[20] < 12.0 + m)
    assert np.mean(hits) >= 0.8


def test_needed_never_exceeds_the_people_there_are() -> None:
    assert referral.needed(17, 0.8) == 15 and referral.needed(3, 0.8) == 3
    assert referral.needed(0, 0.8) == 0
