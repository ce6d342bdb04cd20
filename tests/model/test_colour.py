"""The ridge regressor on colour statistics: recovering a linear rule, shapes, round trip."""

from __future__ import annotations

import numpy as np

from model import colour
from model.cnn import N_META
from model.features import N_FEATURES


def _synthetic(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # features on very different scales, to exercise the standardisation
    scales = np.logspace(-2, 2, N_FEATURES)
    feats = (rng.normal(0.0, 1.0, (n, N_FEATURES)) * scales + 3.0 * scales).astype(np.float32)
    meta = np.stack(
        [
            rng.uniform(0.5, 5.0, n),
            np.ones(n),
            (rng.random(n) < 0.5).astype(float),
            np.zeros(n),
        ],
        axis=1,
    ).astype(np.float32)
    meta[:, 3] = 1.0 - meta[:, 2]
    z = (feats - 3.0 * scales) / scales  # each column's own standard score
    hb = 11.0 + 1.2 * z[:, 4] - 0.8 * z[:, 10] + 0.5 * z[:, 19] + 0.3 * meta[:, 0]
    hb = hb + rng.normal(0.0, 0.05, n)
    return feats, meta, hb.astype(np.float32)


def test_fit_recovers_a_linear_rule() -> None:
    rng = np.random.default_rng(0)
    feats, meta, hb = _synthetic(rng, 300)
    model = colour.fit(colour.Config(), feats, meta, hb)
    test_feats, test_meta, test_hb = _synthetic(rng, 200)
    pred = colour.predict(model, test_feats, test_meta)
    mae = np.abs(pred - test_hb).mean()
    assert mae < 0.15, mae
    assert np.abs(test_hb - hb.mean()).mean() > 5 * mae  # far better than the mean
    # the weights sit on the informative columns
    w = np.abs(np.asarray(model.linear.kernel[...])[:, 0])
    assert set(np.argsort(w)[-3:]) == {4, 10, 19}


def test_predict_shapes_and_dtype() -> None:
    rng = np.random.default_rng(1)
    feats, meta, hb = _synthetic(rng, 60)
    model = colour.fit(colour.Config(), feats, meta, hb)
    for n in (1, 7):
        pred = colour.predict(model, feats[:n], meta[:n])
        assert pred.shape == (n,)
        assert pred.dtype == np.float32
        assert np.isfinite(pred).all()
    assert model.config.n_inputs == N_FEATURES + N_META


def test_save_load_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(2)
    feats, meta, hb = _synthetic(rng, 80)
    config = colour.Config(alphas=(0.1, 1.0, 10.0))
    model = colour.fit(config, feats, meta, hb)
    colour.save(model, tmp_path)
    loaded = colour.load(tmp_path)
    assert loaded.config == config
    assert isinstance(loaded.config.alphas, tuple)
    np.testing.assert_array_equal(
        colour.predict(loaded, feats, meta), colour.predict(model, feats, meta)
    )
    np.testing.assert_array_equal(np.asarray(loaded.mean[...]), np.asarray(model.mean[...]))
    np.testing.assert_array_equal(np.asarray(loaded.std[...]), np.asarray(model.std[...]))
