"""The adapter: Hb = a + b * base + head(colour, sex), saved and loaded like every model."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from model import adapter, svr
from model.features import N_FEATURES


def inputs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    meta = np.zeros((n, 4), np.float32)
    meta[:, 2] = 1.0  # female
    return rng.normal(size=(n, N_FEATURES)).astype(np.float32), meta


def test_without_a_head_it_is_a_line_of_the_base_estimate() -> None:
    colour, meta = inputs(3)
    model = adapter.assemble(adapter.Config(cohort="adults", kind="linear", a=2.0, b=0.8), None)
    hb, maps = model(jnp.array([10.0, 12.0, 14.0]), jnp.asarray(colour), jnp.asarray(meta))
    np.testing.assert_allclose(hb, [10.0, 11.6, 13.2], atol=1e-5)
    np.testing.assert_allclose(maps["head"], 0.0, atol=1e-6)


def test_the_head_adds_the_support_vector_regressor(tmp_path) -> None:
    colour, meta = inputs(30)
    target = colour[:, 0] * 0.5 + 1.0
    head = svr.fit(svr.Config(), colour, meta, target, seed=0)
    config = adapter.Config(cohort="children", kind="residual", version="v+clinic")
    model = adapter.assemble(config, head)
    base = np.full(30, 11.0, np.float32)
    hb = np.asarray(model(jnp.asarray(base), jnp.asarray(colour), jnp.asarray(meta))[0])
    np.testing.assert_allclose(hb, 11.0 + svr.predict(head, colour, meta), atol=1e-4)
    adapter.save(model, tmp_path)
    assert adapter.exists(tmp_path, "children") and not adapter.exists(tmp_path, "adults")
    again = adapter.load(tmp_path, "children")
    assert (again.config.kind, again.config.version) == ("residual", "v+clinic")
    assert again.config.head.n_support == head.config.n_support > 0
    same = np.asarray(again(jnp.asarray(base), jnp.asarray(colour), jnp.asarray(meta))[0])
    np.testing.assert_allclose(same, hb, atol=1e-5)


def test_calibration_keeps_the_weights() -> None:
    model = adapter.assemble(adapter.Config(cohort="adults", a=1.0), None)
    calibrated = adapter.with_calibration(model, half_widths=(1.5,), refer_margin=0.5)
    assert calibrated.config.half_widths == (1.5,)
    assert (
        dataclasses.replace(calibrated.config, half_widths=(), refer_margin=float("nan")).a == 1.0
    )
