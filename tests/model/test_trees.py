"""The adults' tree member: JAX inference walks the same trees scikit-learn grew, a
threshold between two float32 values sends every input the same way, and a saved model reads
back the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor

from model import trees
from model.features import NAMES
from tests.model.test_svr import data


def design(config: trees.Config, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    x = [colour[:, list(config.colour_columns)], meta[:, list(config.meta_columns)]]
    return np.concatenate(x, axis=1)


def test_jax_inference_equals_scikit_learn() -> None:
    colour, meta, hb = data(120)
    model = trees.fit(trees.Config(n_trees=50), colour[:80], meta[:80], hb[:80], seed=3)
    c = model.config
    assert c.depth > 1 and c.max_nodes > 3
    forest = ExtraTreesRegressor(50, min_samples_leaf=c.min_samples_leaf, random_state=3)
    forest.fit(design(c, colour[:80], meta[:80]), hb[:80])
    expected = forest.predict(design(c, colour, meta))
    np.testing.assert_allclose(trees.predict(model, colour, meta), expected, atol=1e-5)


def test_a_threshold_rounds_down_to_float32() -> None:
    """An input equal to the float32 just above a float64 threshold must still go right."""
    threshold = np.array([0.1, 1.0, 1.0 + 1e-9])
    below = trees._below(threshold)
    assert below.dtype == np.float32
    assert np.all(below.astype(np.float64) <= threshold)
    above = np.nextafter(below, np.float32(np.inf))
    assert np.all(above.astype(np.float64) > threshold)


def test_it_learns_the_signal_and_ignores_the_spread() -> None:
    colour, meta, hb = data(120)
    model = trees.fit(trees.Config(n_trees=100), colour[:80], meta[:80], hb[:80], seed=0)
    pred = trees.predict(model, colour[80:], meta[80:])
    assert np.corrcoef(pred, hb[80:])[0, 1] > 0.7
    spread = [i for i, name in enumerate(NAMES) if name.endswith("_std")]
    blurred = colour.copy()
    blurred[:, spread] *= 0.5
    assert np.array_equal(trees.predict(model, colour, meta), trees.predict(model, blurred, meta))


def test_save_load_round_trip(tmp_path: Path) -> None:
    colour, meta, hb = data()
    model = trees.fit(trees.Config(n_trees=20), colour, meta, hb, seed=0)
    trees.save(model, tmp_path)
    back = trees.load(tmp_path)
    assert back.config == model.config
    assert np.array_equal(trees.predict(back, colour, meta), trees.predict(model, colour, meta))
