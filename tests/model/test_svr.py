"""The adults' colour-statistics regressor: JAX inference equals scikit-learn's, the inner
search stays inside its grid, and a saved model reads back the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.svm import SVR

from model import svr
from model.features import N_FEATURES, NAMES


def data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    colour = rng.normal(0.5, 0.1, (n, N_FEATURES)).astype(np.float32)
    meta = np.zeros((n, 4), np.float32)
    meta[np.arange(n), 2 + rng.integers(0, 2, n)] = 1.0  # one-hot female / male
    hb = 11.0 + 20.0 * (
        colour[:, 0] - 0.5
    )  # column 0, the mean red, is a colour level + 1.2 * meta[:, 3] + rng.normal(0, 0.3, n)
    return colour, meta, hb.astype(np.float32)


def test_jax_inference_equals_scikit_learn() -> None:
    colour, meta, hb = data()
    model = svr.fit(svr.Config(), colour, meta, hb, seed=0)
    c = model.config
    assert c.c in c.grid_c and c.epsilon in c.grid_epsilon and c.n_support > 0
    x = np.concatenate([colour[:, list(c.colour_columns)], meta[:, list(c.meta_columns)]], axis=1)
    x = x.astype(np.float64)
    z = (x - x.mean(0)) / (x.std(0) + 1e-6)
    reference = SVR(kernel="rbf", gamma=c.gamma, C=c.c, epsilon=c.epsilon).fit(z, hb)
    assert np.allclose(svr.predict(model, colour, meta), reference.predict(z), atol=1e-3)


def test_it_learns_the_signal_out_of_sample() -> None:
    colour, meta, hb = data(120)
    model = svr.fit(svr.Config(), colour[:80], meta[:80], hb[:80], seed=0)
    pred = svr.predict(model, colour[80:], meta[80:])
    assert np.corrcoef(pred, hb[80:])[0, 1] > 0.8
    assert np.abs(pred - hb[80:]).mean() < 0.8 * np.abs(hb[80:] - hb[:80].mean()).mean()


def test_spread_features_are_not_inputs() -> None:
    """The spread of colour inside the mask depends on resolution and compression."""
    colour, meta, hb = data()
    model = svr.fit(svr.Config(), colour, meta, hb, seed=0)
    spread = [i for i, name in enumerate(NAMES) if name.endswith("_std")]
    assert spread and not set(spread) & set(model.config.colour_columns)
    blurred = colour.copy()
    blurred[:, spread] *= 0.5
    assert np.array_equal(svr.predict(model, colour, meta), svr.predict(model, blurred, meta))


def test_age_is_not_an_input() -> None:
    colour, meta, hb = data()
    model = svr.fit(svr.Config(), colour, meta, hb, seed=0)
    older = meta.copy()
    older[:, 0], older[:, 1] = 60.0, 1.0  # age in years and its known-flag
    assert np.array_equal(svr.predict(model, colour, meta), svr.predict(model, colour, older))


def test_save_load_round_trip(tmp_path: Path) -> None:
    colour, meta, hb = data()
    model = svr.fit(svr.Config(), colour, meta, hb, seed=0)
    svr.save(model, tmp_path)
    back = svr.load(tmp_path)
    assert back.config == model.config
    assert np.array_equal(svr.predict(back, colour, meta), svr.predict(model, colour, meta))
