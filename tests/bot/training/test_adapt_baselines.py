"""`adapt` measures the baselines on the programme's own people, on the same folds, and says
when the photo does not beat age and sex there."""

from __future__ import annotations

import numpy as np

from bot.training import adapt_job, adapt_report, adapter_choice
from model.preprocess import meta_vector


def _rows(hb_from_age: bool, n: int = 60) -> adapter_choice.Rows:
    rng = np.random.default_rng(0)
    age = rng.uniform(240, 900, n)
    sex = rng.choice(["f", "m"], n)
    hb = 10.0 + 0.05 * age / 12 if hb_from_age else rng.normal(12, 1.5, n)
    base = hb + rng.normal(0, 1.0, n)  # the photo: about 0.8 g/dL off
    meta = np.stack([meta_vector(a, s) for a, s in zip(age, sex, strict=True)])
    return adapter_choice.Rows(base, np.zeros((n, 3)), meta, hb, np.full(n, 12.0))


def test_where_hb_follows_age_the_line_wins_and_the_card_says_so() -> None:
    r = _rows(hb_from_age=True)
    folds = adapter_choice.folds_of(r, 5, 0)
    b = adapt_job._baselines(r, folds, fallback=1.0)
    assert b["demographics"]["mae"] < 1e-6 and b["mean"]["mae"] > 0.5
    assert {"mae", "pearson_r", "auroc", "sensitivity", "specificity"} <= set(b["demographics"])
    res = _result(r, b)
    assert not res.photo_adds
    text = " ".join(adapt_report.baseline_lines(res))
    assert "not clearly better than age and sex alone" in text and "0.00 from age and sex" in text


def test_where_hb_is_noise_the_photo_earns_its_place() -> None:
    r = _rows(hb_from_age=False)
    b = adapt_job._baselines(r, adapter_choice.folds_of(r, 5, 0), fallback=1.0)
    res = _result(r, b)
    assert res.photo_adds and "not clearly better" not in " ".join(adapt_report.baseline_lines(res))


def _result(r: adapter_choice.Rows, b: dict[str, dict[str, float]]) -> adapt_report.CohortResult:
    mae = round(float(np.mean(np.abs(r.base - r.hb))), 4)
    return adapt_report.CohortResult("adults", len(r), mae, mae, "none", (), {}, r.base, b)
