"""Adaptation chosen by measurement: it corrects a camera's shift, learns a new population's
signal, and is refused (NONE, or no better in nested CV) where the served model is right."""

from __future__ import annotations

import numpy as np

from bot.training import adapt_job, adapter_choice
from model.features import N_FEATURES


def rows(n: int, *, shift: float, signal: bool, seed: int = 0) -> adapter_choice.Rows:
    """People whose lab Hb follows colour column 0 (or not); the base model is off by `shift`."""
    rng = np.random.default_rng(seed)
    colour = rng.normal(size=(n, N_FEATURES))
    meta = np.tile([0.0, 0.0, 1.0, 0.0], (n, 1))
    hb = 12.0 + (1.5 * colour[:, 0] if signal else 0.0) + rng.normal(0, 0.3, n)
    base = hb + shift + rng.normal(0, 0.3, n)
    return adapter_choice.Rows(base, colour, meta, hb, np.full(n, 12.0))


def test_a_shifted_camera_is_corrected_by_an_offset() -> None:
    r = rows(40, shift=-2.0, signal=False)
    kind, mae = adapter_choice.choose(r, seed=0)
    assert kind in ("offset", "linear") and mae[kind] < 0.6 < mae[adapter_choice.NONE]
    fitted = adapter_choice.fit(kind, r, seed=0)
    assert np.abs(fitted.predict(r) - r.hb).mean() < 0.5 < np.abs(r.base - r.hb).mean()


def test_a_new_population_gets_a_local_head() -> None:
    r = rows(60, shift=0.0, signal=True)
    # no signal in base
    r = adapter_choice.Rows(np.full(60, 12.0), r.colour, r.meta, r.hb, r.threshold)
    result = adapt_job.measure("adults", r, seed=0, fallback_margin=0.5)
    assert result.kind in ("local", "residual") and result.better
    assert result.mae_adapted < 0.85 * result.mae_base
    assert result.figures["pearson_r"] > 0.5


def test_no_adaptation_where_the_served_model_is_right() -> None:
    r = rows(30, shift=0.0, signal=True)  # the base already has the signal, off by noise only
    result = adapt_job.measure("adults", r, seed=0, fallback_margin=0.5)
    assert not result.better  # nothing would be written


def test_folds_cover_every_row_once() -> None:
    folds = adapter_choice.folds_of(rows(23, shift=0.0, signal=False), 5, seed=1)
    assert sorted(np.bincount(folds)) == [4, 4, 5, 5, 5]


def test_interval_has_one_bin_for_few_people() -> None:
    r = rows(20, shift=0.0, signal=False)
    edges, widths = adapter_choice.interval(r, r.base, 0.9)
    assert edges == () and len(widths) == 1 and widths[0] > 0


def test_margin_falls_back_with_too_few_anaemic() -> None:
    r = rows(30, shift=0.0, signal=False)
    # nobody anaemic
    r = adapter_choice.Rows(r.base, r.colour, r.meta, np.full(30, 14.0), r.threshold)
    assert adapter_choice.margin(r, r.base, 0.8, fallback=0.85) == 0.85
