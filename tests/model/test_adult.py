"""The adults' model: a line on age and sex plus the mean of its two members on what the line
leaves, saved with its interval, referral margin and version."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from model import adult, svr, trees
from tests.model.test_svr import data

SMALL = adult.Config(trees=trees.Config(n_trees=30, meta_columns=adult.AGE_SEX))


def _with_ages(meta: np.ndarray, seed: int = 1) -> np.ndarray:
    out = meta.copy()
    out[:, 0] = np.random.default_rng(seed).uniform(20, 80, len(out))  # years
    out[:, 1] = 1.0  # age known
    return out


def test_estimate_is_the_line_plus_the_mean_of_the_members() -> None:
    colour, meta, hb = data()
    meta = _with_ages(meta)
    model = adult.fit(SMALL, colour, meta, hb, seed=0)
    a = svr.predict(model.svr, colour, meta)
    b = trees.predict(model.trees, colour, meta)
    line = model.config.line_intercept + meta[:, [0, 3]] @ np.array(model.config.line_coef)
    np.testing.assert_allclose(adult.predict(model, colour, meta), line + (a + b) / 2, atol=1e-4)
    assert model.config.svr.n_support > 0 and model.config.trees.depth > 0


def test_the_line_learns_hb_from_age_and_sex() -> None:
    colour, meta, _ = data()
    meta = _with_ages(meta)
    hb = (10.0 + 0.05 * meta[:, 0] + 1.5 * meta[:, 3]).astype(np.float32)  # no colour in it
    model = adult.fit(SMALL, colour, meta, hb, seed=0)
    assert model.config.line_coef == pytest.approx((0.05, 1.5), abs=1e-4)
    assert model.config.line_intercept == pytest.approx(10.0, abs=1e-3)
    np.testing.assert_allclose(adult.predict(model, colour, meta), hb, atol=0.05)


def test_weights_made_before_the_line_serve_as_before(tmp_path: Path) -> None:
    colour, meta, hb = data()
    model = adult.fit(SMALL, colour, meta, hb, seed=0)
    adult.save(model, tmp_path)
    saved = json.loads((tmp_path / "adult.json").read_text())
    for key in ("line_coef", "line_intercept"):  # an adult.json written before the line
        del saved[key]
    (tmp_path / "adult.json").write_text(json.dumps(saved))
    old = adult.load(tmp_path)
    assert old.config.attention_threshold is None  # weights made before it: no warning
    a, b = svr.predict(old.svr, colour, meta), trees.predict(old.trees, colour, meta)
    np.testing.assert_allclose(adult.predict(old, colour, meta), (a + b) / 2, atol=1e-4)


def test_save_load_round_trip_with_calibration(tmp_path: Path) -> None:
    colour, meta, hb = data()
    model = adult.with_calibration(
        adult.fit(SMALL, colour, meta, hb, seed=0),
        bin_edges=(11.0, 12.5),
        half_widths=(2.5, 2.0, 1.5),
        refer_margin=0.3,
        version="v",
        population="p",
        attention_threshold=0.44,
        attention_mae=1.2,
    )
    adult.save(model, tmp_path)
    back = adult.load(tmp_path)
    assert back.config == model.config
    assert dataclasses.asdict(back.config)["trees"]["n_trees"] == 30
    assert np.array_equal(adult.predict(back, colour, meta), adult.predict(model, colour, meta))
    assert back.config.line_coef == model.config.line_coef and len(back.config.line_coef) == 2
