"""Split-conformal half-widths: the rank rule, small samples, coverage, leave-fold-out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import conformal
from model.conformal import half_width, leave_fold_out


def test_half_width_rank_rule_on_known_residuals() -> None:
    # |r| sorted: 1..10; the sign of a residual does not matter
    r = np.array([-5.0, 1.0, 2.0, -3.0, 4.0, 6.0, -7.0, 8.0, 9.0, 10.0])
    assert half_width(r, 0.9) == pytest.approx(9.9)  # rank 11 * 0.9 = 9.9: 9 + 0.9 x (10 - 9)
    assert half_width(r, 0.8) == pytest.approx(8.8)
    assert half_width(r, 0.5) == pytest.approx(5.5)
    assert half_width(list(r), 0.9) == pytest.approx(9.9)  # plain sequences work too
    # between unequal neighbours: rank 5 * 0.5 = 2.5 lies halfway from 2 to 4
    assert half_width(np.array([8.0, 1.0, 4.0, 2.0]), 0.5) == pytest.approx(3.0)


def test_half_width_covers_nominal_on_average_with_small_bins() -> None:
    # A small site's bin: 28 residuals. The whole rank ceil(29 x 0.9) = 27 would cover
    # 27/29 = 0.931 on average; the interpolated rank covers 0.90.
    rng = np.random.default_rng(2)
    covered = [
        np.mean(np.abs(rng.normal(size=200)) <= half_width(rng.normal(size=28), 0.9))
        for _ in range(4000)
    ]
    assert 0.895 <= float(np.mean(covered)) <= 0.905


def test_half_width_is_infinite_when_too_few_residuals() -> None:
    assert half_width(np.arange(1.0, 9.0), 0.9) == math.inf  # n = 8: rank 8.1 > 8
    assert half_width(np.arange(1.0, 10.0), 0.9) == 9.0  # n = 9: rank 9 = the largest
    assert half_width(np.array([3.0]), 0.5) == 3.0  # n = 1: rank 1.0
    assert half_width(np.array([3.0]), 0.6) == math.inf
    assert half_width(np.array([3.0, 1.0, 2.0]), 0.1) == 1.0  # rank 0.4: the smallest


def test_half_width_of_nothing_raises() -> None:
    with pytest.raises(ValueError):
        half_width(np.array([]), 0.9)


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_coverage_on_exchangeable_residuals(coverage: float) -> None:
    rng = np.random.default_rng(0)
    calibration = rng.standard_t(df=4, size=4000) * 1.3  # heavy-ish tails, like Hb errors
    fresh = rng.standard_t(df=4, size=40000) * 1.3
    w = half_width(calibration, coverage)
    covered = float(np.mean(np.abs(fresh) <= w))
    assert coverage - 0.02 <= covered <= coverage + 0.02, covered


def test_leave_fold_out_calibrates_each_fold_on_the_others() -> None:
    rng = np.random.default_rng(1)
    folds = np.repeat(np.arange(5), 60)
    rng.shuffle(folds)  # folds interleaved, as after a grouped split
    residuals = rng.normal(0.0, 1.0, folds.size)
    residuals[folds == 3] *= 1000.0  # one fold fits terribly

    widths = leave_fold_out(residuals, folds, 0.9)
    assert widths.shape == residuals.shape
    for f in range(5):
        expected = half_width(residuals[folds != f], 0.9)
        np.testing.assert_array_equal(widths[folds == f], expected)
    # fold 3's own huge residuals never widen fold 3's interval
    assert widths[folds == 3][0] < 5.0
    # while the other folds, which calibrate on fold 3, do see them
    assert widths[folds == 0][0] > 100.0


def test_leave_fold_out_never_uses_a_rows_own_fold() -> None:
    rng = np.random.default_rng(2)
    folds = rng.integers(0, 4, 400)
    residuals = rng.normal(0.0, 1.0, 400)
    base = leave_fold_out(residuals, folds, 0.9)
    for f in range(4):
        changed = residuals.copy()
        changed[folds == f] *= rng.uniform(0.0, 50.0, int((folds == f).sum()))
        widths = leave_fold_out(changed, folds, 0.9)
        np.testing.assert_array_equal(widths[folds == f], base[folds == f])


def test_leave_fold_out_accepts_any_fold_labels() -> None:
    residuals = np.arange(1.0, 41.0)
    folds = np.array(["b", "a"] * 20)
    widths = leave_fold_out(residuals, folds, 0.9)
    # fold "a" holds the even values 2..40; fold "b" the odd ones 1..39 (n = 20: rank 18.9)
    np.testing.assert_allclose(widths[folds == "b"], 36.0 + 0.9 * 2.0)
    np.testing.assert_allclose(widths[folds == "a"], 35.0 + 0.9 * 2.0)


def test_binned_widths_cover_each_bin_where_errors_differ() -> None:
    rng = np.random.default_rng(3)
    pred = rng.uniform(9.0, 16.0, 4000)
    noise = np.where(pred < 12.5, 2.0, 0.7)  # errors larger at low estimates
    residuals = rng.normal(0.0, noise)
    cal, test = slice(0, 2000), slice(2000, None)
    edges, widths = conformal.binned(residuals[cal], pred[cal], 0.9)
    assert widths[0] > widths[1]
    w = conformal.width_at(pred[test], edges, widths)
    covered = np.abs(residuals[test]) <= w
    low = pred[test] < edges[0]
    for part in (low, ~low):
        assert 0.87 <= covered[part].mean() <= 0.93
    # one pooled width under-covers the noisy half
    pooled = conformal.half_width(residuals[cal], 0.9)
    assert (np.abs(residuals[test]) <= pooled)[low].mean() < 0.87


def test_leave_fold_out_binned_matches_binned_on_the_other_folds() -> None:
    rng = np.random.default_rng(4)
    pred, residuals, folds = rng.uniform(9, 16, 300), rng.normal(0, 1, 300), np.arange(300) % 3
    widths = conformal.leave_fold_out_binned(residuals, pred, folds, 0.9)
    edges, w = conformal.binned(residuals[folds != 1], pred[folds != 1], 0.9)
    assert np.array_equal(widths[folds == 1], conformal.width_at(pred[folds == 1], edges, w))


def sites(n: int = 4000, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two sites whose errors differ (site "a" twice as noisy) and whose estimates overlap."""
    rng = np.random.default_rng(seed)
    site = np.where(rng.random(n) < 0.4, "a", "b")
    pred = np.where(site == "a", rng.uniform(9, 14, n), rng.uniform(11, 16, n))
    residuals = rng.normal(0.0, np.where(site == "a", 2.0, 1.0))
    return residuals, pred, site


def test_per_group_calibration_covers_each_site_where_pooled_fails() -> None:
    residuals, pred, site = sites()
    folds = np.arange(len(pred)) % 5
    own = conformal.leave_fold_out_per_group(residuals, pred, site, folds, 0.9)
    pooled = conformal.leave_fold_out_binned(residuals, pred, folds, 0.9)
    for s in ("a", "b"):
        k = site == s
        assert 0.88 <= (np.abs(residuals[k]) <= own[k]).mean() <= 0.92
    assert (np.abs(residuals[site == "a"]) <= pooled[site == "a"]).mean() < 0.87


def test_widest_is_at_least_each_sites_own_interval() -> None:
    residuals, pred, site = sites()
    edges, widths = conformal.widest(residuals, pred, site, 0.9)
    served = conformal.width_at(pred, edges, widths)
    for s in ("a", "b"):
        k = site == s
        e, w = conformal.binned(residuals[k], pred[k], 0.9)
        assert np.all(served[k] >= conformal.width_at(pred[k], e, w) - 1e-9)
        assert (np.abs(residuals[k]) <= served[k]).mean() >= 0.89
    assert len(edges) == 2 and len(widths) == 3  # each site's own split


def test_widest_leaves_out_sites_too_small_to_calibrate() -> None:
    residuals, pred, site = sites(200)
    site[:5] = "c"  # five rows: their 90% width would be infinite
    edges, widths = conformal.widest(residuals, pred, site, 0.9)
    assert np.all(np.isfinite(widths)) and len(edges) == 2
    alone, few = np.full(30, "c"), slice(0, 30)
    one = conformal.widest(residuals[few], pred[few], alone, 0.9)
    assert one == conformal.binned(residuals[few], pred[few], 0.9)
