"""The demographics line: least squares on age, sex and site, with unknowns imputed."""

from __future__ import annotations

import numpy as np
import pytest

from model import demographics


def test_an_exact_line_on_age_and_sex_is_recovered() -> None:
    rng = np.random.default_rng(0)
    age = rng.uniform(240, 900, 60)
    sex = rng.choice(["f", "m"], 60).tolist()
    hb = 11.0 + 0.02 * age / 12 + 1.3 * (np.array(sex) == "m")
    who = demographics.people(age.tolist(), sex)
    pred = demographics.fit_predict(who.take(np.arange(40)), hb[:40], who, with_site=False)
    assert np.abs(pred - hb).max() < 1e-9  # rows 40-59 were never fitted on


def test_each_site_gets_its_own_level() -> None:
    site = ["north"] * 10 + ["south"] * 10
    who = demographics.people([360.0] * 20, ["f", "m"] * 10, site)
    hb = np.array([12.0 + (s == "south") * 2.0 + (i % 2) for i, s in enumerate(site)])
    with_site = demographics.fit_predict(who, hb, who, with_site=True)
    without = demographics.fit_predict(who, hb, who, with_site=False)
    assert np.abs(with_site - hb).max() < 1e-9
    assert np.abs(without - hb).mean() == pytest.approx(1.0)  # the site's 2 g/dL, halved


def test_unknown_age_takes_the_mean_and_a_flag() -> None:
    # people whose age is unknown run 1 g/dL lower: the flag column learns it
    ages: list[float | None] = [240.0, 480.0, 720.0, None, None] * 4
    hb = np.array([12.0 + (a or 0) / 1200 if a is not None else 11.0 for a in ages])
    who = demographics.people(ages, ["f"] * 20)
    assert np.abs(demographics.fit_predict(who, hb, who, with_site=False) - hb).max() < 1e-9
    only_known = demographics.people([240.0, 480.0], ["f", "m"])
    unknown = demographics.people([None], [None])  # never seen unknown: the means stand in
    pred = demographics.fit_predict(only_known, np.array([12.0, 14.0]), unknown, with_site=False)
    assert np.isfinite(pred).all()


def test_from_meta_reads_the_meta_vector() -> None:
    from model.preprocess import meta_vector

    meta = np.stack([meta_vector(300.0, "m"), meta_vector(None, "f"), meta_vector(30.0, None)])
    who = demographics.from_meta(meta, np.array(["a", "a", "b"]))
    assert who.age_months[0] == pytest.approx(300.0) and np.isnan(who.age_months[1])
    assert who.male.tolist()[:2] == [1.0, 0.0] and np.isnan(who.male[2])


def test_leave_one_out_never_sees_the_person() -> None:
    who = demographics.people([360.0] * 5, ["f"] * 5)
    hb = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    # the mean of the other four: a person's own Hb pulls nothing
    expected = (hb.sum() - hb) / 4
    assert demographics.leave_one_out(who, hb) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("mae", "auroc", "clear"),
    [
        ((1.0, 1.1), (0.8, 0.8), True),
        ((1.05, 1.1), (0.8, 0.8), False),
        ((1.05, 1.1), (0.86, 0.8), True),
        ((1.2, 1.1), (0.8, float("nan")), False),
    ],
)
def test_clearly_better_needs_the_margin(
    mae: tuple[float, float], auroc: tuple[float, float], clear: bool
) -> None:
    assert demographics.clearly_better(mae[0], mae[1], auroc[0], auroc[1]) is clear
