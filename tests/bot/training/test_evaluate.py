"""Scoring of out-of-fold predictions: the figures in the report and metrics.json."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bot.pipeline.risk import cutoff
from bot.training.evaluate import (
    OutOfFold,
    mean_over_repeats,
    pearson,
    population_figures,
    score,
    shipped_metrics,
    who_threshold,
)


def _oof(hb: np.ndarray, pred: np.ndarray, ages: np.ndarray | None = None) -> OutOfFold:
    n = len(hb)
    oof = OutOfFold(
        hb=hb, age_months=np.full(n, 36.0) if ages is None else ages, folds=np.arange(n) % 5
    )
    oof.preds = {"ensemble": pred}
    oof.attention = np.linspace(0.0, 1.0, n)
    return oof


def test_who_threshold_by_age() -> None:
    assert who_threshold(np.array([6, 23.9, 24, 59])).tolist() == [10.5, 10.5, 11.0, 11.0]


def test_training_figures_read_the_bots_who_table() -> None:
    # one table: CP-AnemiC's children recorded at 60 months are 5-11 years by WHO (11.5), as
    # the bot would judge them; an unknown age gets the table's stand-in row (11.0)
    ages = np.array([3.0, 12.0, 36.0, 59.9, 60.0, 100.0, np.nan])
    expected = [cutoff(a) for a in (3.0, 12.0, 36.0, 59.9, 60.0, 100.0, None)]
    assert who_threshold(ages).tolist() == expected == [10.5, 10.5, 11.0, 11.0, 11.5, 11.5, 11.0]


def test_perfect_predictions_score_perfectly() -> None:
    hb = np.linspace(7, 14, 50)
    m = score(_oof(hb, hb.copy()), "ensemble")
    assert m["mae"] == 0 and m["rmse"] == 0 and m["bias"] == 0
    assert m["pearson_r"] == pytest.approx(1.0)
    assert m["auroc"] == 1.0 and m["sensitivity_who"] == 1.0 and m["specificity_who"] == 1.0


def test_bias_and_limits_of_agreement() -> None:
    rng = np.random.default_rng(0)
    hb = rng.uniform(7, 14, 2000)
    pred = hb + 0.5 + rng.normal(0, 1.0, hb.size)
    m = score(_oof(hb, pred), "ensemble")
    assert m["bias"] == pytest.approx(0.5, abs=0.1)
    assert m["loa_high"] - m["loa_low"] == pytest.approx(2 * 1.96, abs=0.2)
    assert m["coverage"] == pytest.approx(0.9, abs=0.03)  # leave-fold-out conformal


def test_who_threshold_used_for_sensitivity() -> None:
    # 10.7 g/dL: anaemic at 24-59 months (< 11.0), not at 6-23 months (< 10.5)
    hb = np.array([10.7, 10.7, 12.0, 12.0, 9.0, 9.0])
    ages = np.array([30.0, 12.0, 30.0, 12.0, 30.0, 12.0])
    m = score(_oof(hb, hb.copy(), ages), "ensemble")
    assert m["sensitivity_who"] == 1.0 and m["specificity_who"] == 1.0


def test_shipped_keys() -> None:
    hb = np.linspace(7, 14, 20)
    oof = _oof(hb, hb + 1.0)
    out = shipped_metrics(oof, seed=0, k=5, group_by=None)
    assert {"mae", "rmse", "pearson_r", "auroc", "coverage", "n"} <= out.keys()
    assert out["n"] == 20 and out["mae"] == pytest.approx(1.0)


def test_mean_over_repeats_averages_figures_and_keeps_counts() -> None:
    runs = [
        {"site": {"mae": 1.0, "coverage": 0.90, "half_width": 2.0, "n": 70, "anaemic": 51}},
        {"site": {"mae": 1.2, "coverage": 0.94, "half_width": 2.2, "n": 70, "anaemic": 51}},
    ]
    m = mean_over_repeats(runs)["site"]
    assert m["mae"] == pytest.approx(1.1) and m["coverage"] == pytest.approx(0.92)
    assert m["half_width"] == pytest.approx(2.1)
    assert (m["n"], m["anaemic"], m["repeats"]) == (70, 51, 2)
    assert m["sd"] == {"mae": pytest.approx(0.1), "coverage": pytest.approx(0.02)}


def test_coverage_among_the_anaemic_is_reported_apart() -> None:
    hb = np.array([8.0, 9.0, 13.0, 14.0])
    pred = np.array([11.0, 9.5, 13.0, 14.0])  # the first anaemic person's estimate is 3 high
    thr, width, margin = np.full(4, 12.0), np.full(4, 2.0), np.zeros(4)
    m = population_figures(hb, pred, thr, width, margin)
    assert m["coverage"] == pytest.approx(0.75) and m["coverage_anaemic"] == pytest.approx(0.5)
    assert np.isnan(
        population_figures(hb[2:], pred[2:], thr[2:], width[2:], margin[2:])["coverage_anaemic"]
    )


def test_pearson_is_nan_without_a_warning_where_a_side_is_constant() -> None:
    x = np.array([9.0, 10.5, 12.0, 11.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(pearson(np.full(4, 11.0), x))
        assert np.isnan(pearson(x, np.full(4, 11.0)))
        assert pearson(x, 2 * x + 1) == pytest.approx(1.0)
