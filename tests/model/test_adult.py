"""The adults' model: the mean of its two members, blind to age, and saved with its interval,
referral margin and version."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from model import adult, svr, trees
from tests.model.test_svr import data

SMALL = adult.Config(trees=trees.Config(n_trees=30))


def test_estimate_is_the_mean_of_the_members() -> None:
    colour, meta, hb = data()
    model = adult.fit(SMALL, colour, meta, hb, seed=0)
    a = svr.predict(model.svr, colour, meta)
    b = trees.predict(model.trees, colour, meta)
    np.testing.assert_allclose(adult.predict(model, colour, meta), (a + b) / 2, atol=1e-4)
    assert model.config.svr.n_support > 0 and model.config.trees.depth > 0


def test_age_is_not_an_input() -> None:
    colour, meta, hb = data()
    model = adult.fit(SMALL, colour, meta, hb, seed=0)
    older = meta.copy()
    older[:, 0], older[:, 1] = 60.0, 1.0  # age in years and its known-flag
    assert np.array_equal(adult.predict(model, colour, meta), adult.predict(model, colour, older))


def test_save_load_round_trip_with_calibration(tmp_path: Path) -> None:
    colour, meta, hb = data()
    model = adult.with_calibration(
        adult.fit(SMALL, colour, meta, hb, seed=0),
        bin_edges=(11.0, 12.5),
        half_widths=(2.5, 2.0, 1.5),
        refer_margin=0.3,
        version="v",
        population="p",
    )
    adult.save(model, tmp_path)
    back = adult.load(tmp_path)
    assert back.config == model.config
    assert dataclasses.asdict(back.config)["trees"]["n_trees"] == 30
    assert np.array_equal(adult.predict(back, colour, meta), adult.predict(model, colour, meta))
