"""Baselines on the served model's folds, and what a referral costs, where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from bot.training import baselines
from bot.training.baselines import NET_BENEFIT_PT, Cohort, cost, extras, mean_extras, out_of_fold
from model import demographics, referral


def _cohort(hb: np.ndarray, age: np.ndarray, sex: list[str], *, sites: int = 1) -> Cohort:
    n = len(hb)
    site = np.array([f"s{i % sites}" for i in range(n)]) if sites > 1 else np.full(n, "s0")
    population = np.char.add("prog-", site) if sites > 1 else np.full(n, "prog")
    return Cohort(
        demographics.people(age.tolist(), sex, site.tolist()),
        hb,
        np.full(n, 12.0),
        population,
        np.full(n, "prog"),
        np.arange(n) % 5,
        with_site=sites > 1,
    )


def test_hb_exactly_a_line_in_age_is_found_by_the_demographics_baseline() -> None:
    rng = np.random.default_rng(0)
    age = rng.uniform(240, 900, 100)
    hb = 9.0 + 0.05 * age / 12
    c = _cohort(hb, age, rng.choice(["f", "m"], 100).tolist())
    figs = extras(c, hb + rng.normal(0, 1, 100), np.zeros(100))["prog"]["baselines"]
    assert figs["demographics"]["mae"] < 1e-4 and figs["demographics"]["pearson_r"] > 0.9999
    assert figs["mean"]["mae"] > 0.5  # the mean knows nothing of age
    assert set(baselines.KEYS) | {"n"} <= set(figs["demographics"]) == set(figs["mean"])


def test_the_mean_baseline_is_the_training_folds_mean() -> None:
    rng = np.random.default_rng(1)
    hb = rng.normal(12, 1.5, 50)
    c = _cohort(hb, rng.uniform(240, 900, 50), rng.choice(["f", "m"], 50).tolist())
    pred = out_of_fold("mean", c)
    for f in range(5):
        assert pred[c.folds == f] == pytest.approx(hb[c.folds != f].mean())


def test_on_noise_the_line_is_no_better_than_the_mean() -> None:
    rng = np.random.default_rng(2)
    hb = rng.normal(12, 1.5, 400)
    c = _cohort(hb, rng.uniform(240, 900, 400), rng.choice(["f", "m"], 400).tolist())
    figs = extras(c, hb, np.zeros(400))["prog"]["baselines"]
    assert figs["demographics"]["mae"] >= figs["mean"]["mae"] - 0.02
    assert abs(figs["mean"]["mae"] - 1.5 * np.sqrt(2 / np.pi)) < 0.15  # E|N(0, s)| = s sqrt(2/pi)


def test_a_baselines_referral_comes_from_the_same_procedure() -> None:
    rng = np.random.default_rng(3)
    age = rng.uniform(240, 900, 80)
    hb = 10.0 + 0.05 * age / 12 + rng.normal(0, 1, 80)
    c = _cohort(hb, age, rng.choice(["f", "m"], 80).tolist())
    pred = out_of_fold("demographics", c)
    margin = referral.leave_fold_out(hb, pred, c.threshold, c.population, c.folds, 0.8)
    referred, anaemic = pred < c.threshold + margin, hb < c.threshold
    figs = extras(c, hb, np.zeros(80))["prog"]
    assert figs["baselines"]["demographics"]["sensitivity"] == round(referred[anaemic].mean(), 4)
    assert figs["baselines"]["demographics"]["specificity"] == round(
        (~referred[~anaemic]).mean(), 4
    )
    assert figs["referral"]["demographics"]["referred"] == round(referred.mean(), 4)


def test_referral_cost_by_hand() -> None:
    # 10 people, 4 anaemic (Hb < 12); refer 3 of the anaemic and 2 of the others
    hb = np.array([10.0, 10.5, 11.0, 11.5, 13, 13, 13, 13, 13, 13])
    referred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0], bool)
    c = cost(hb, np.full(10, 12.0), referred)
    assert NET_BENEFIT_PT == 0.2  # the weights below: pt / (1 - pt) = 1/4
    assert c["tests_per_case"] == pytest.approx(5 / 3, abs=1e-4)  # 5 tests, 3 found
    assert c["net_benefit"] == pytest.approx(3 / 10 - 2 / 10 * 0.25)
    assert (c["referred"], c["sensitivity"], c["anaemic"], c["n"]) == (0.5, 0.75, 4, 10)
    everyone = cost(hb, np.full(10, 12.0), np.ones(10, bool))
    assert everyone["tests_per_case"] == 2.5 and everyone["net_benefit"] == pytest.approx(0.25)
    none_found = cost(hb, np.full(10, 12.0), np.zeros(10, bool))
    assert np.isnan(none_found["tests_per_case"]) and none_found["net_benefit"] == 0


def test_sites_are_reported_apart_and_pooled() -> None:
    rng = np.random.default_rng(4)
    age = rng.uniform(240, 900, 60)
    hb = 11.0 + np.arange(60) % 2 * 2.0 + rng.normal(0, 0.3, 60)  # site s1 runs 2 g/dL higher
    c = _cohort(hb, age, rng.choice(["f", "m"], 60).tolist(), sites=2)
    out = extras(c, hb, np.zeros(60))
    assert set(out) == {"prog", "prog-s0", "prog-s1"}
    assert out["prog"]["baselines"]["demographics"]["mae"] < 0.4  # the site term takes the 2
    assert set(out["prog-s0"]["referral"]) == {"served", "everyone", "demographics"}


def test_repeats_average_with_their_spread() -> None:
    run = {"p": {"baselines": {"mean": {"mae": 1.0, "n": 5}}}}
    other = {"p": {"baselines": {"mean": {"mae": 2.0, "n": 5}}}}
    out = mean_extras([run, other])["p"]["baselines"]["mean"]
    assert out["mae"] == 1.5 and out["sd"]["mae"] == 0.5 and out["n"] == 5
    assert out["repeats"] == 2
