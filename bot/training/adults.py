"""The adults' model: colour statistics -> Hb (`model.adult`: SVR and extra trees averaged),
cross-validated by patient with figures per site, a leave-one-site-out row, and the interval
and referral margin calibrated on out-of-fold estimates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.pipeline.risk import cutoff
from bot.training.data import Sample
from bot.training.evaluate import pearson
from model import adult, conformal, features, preprocess, referral

SENSITIVITY = 0.80  # the referral rule's target, in every site


@dataclass(frozen=True)
class Table:
    """Model inputs and labels of N samples."""

    colour: np.ndarray  # (N, F)
    meta: np.ndarray  # (N, 4)
    hb: np.ndarray  # (N,) g/dL
    threshold: np.ndarray  # (N,) WHO 2024 cut-off of each person's group, g/dL
    population: np.ndarray  # (N,) str, e.g. "eyes-defy-india"
    dataset: np.ndarray  # (N,) str, e.g. "eyes-defy"

    def take(self, idx: np.ndarray) -> Table:
        return Table(*(a[idx] for a in dataclasses.astuple(self)))


def table(samples: Sequence[Sample]) -> Table:
    """Colour statistics of each sample's conjunctiva (on its crop, as the screener does)."""
    colour = [features.colour_features(*preprocess.crop(s.image, s.mask)) for s in samples]
    return Table(
        colour=np.stack(colour),
        meta=np.stack([preprocess.meta_vector(s.age_months, s.sex) for s in samples]),
        hb=np.array([s.hb for s in samples], np.float32),
        threshold=np.array([cutoff(s.age_months, s.sex) for s in samples]),
        population=np.array([s.population for s in samples]),
        dataset=np.array([s.dataset for s in samples]),
    )


def out_of_fold(t: Table, folds: np.ndarray, seed: int) -> np.ndarray:
    """Each row's estimate from a model fitted on the other folds."""
    return out_of_fold_models(t, folds, seed)[0]


def out_of_fold_models(
    t: Table, folds: np.ndarray, seed: int
) -> tuple[np.ndarray, dict[int, adult.Model]]:
    """`out_of_fold`, and the model of each fold (fitted without it)."""
    pred, models = np.zeros(len(t.hb)), {}
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        model = adult.fit(adult.Config(), t.colour[tr], t.meta[tr], t.hb[tr], seed)
        pred[te] = adult.predict(model, t.colour[te], t.meta[te])
        models[int(f)] = model
    return pred, models


@dataclass(frozen=True)
class Calibrated:
    """Out-of-fold estimates with the interval and referral margin each row would have had."""

    pred: np.ndarray
    half_width: np.ndarray  # each site's own interval, calibrated on its other folds
    served_half_width: np.ndarray  # the served interval (widest of the sites'), other folds
    margin: np.ndarray  # chosen on the other folds


def calibrate_oof(t: Table, folds: np.ndarray, pred: np.ndarray, coverage: float) -> Calibrated:
    """Leave-fold-out interval widths and referral margins, for honest figures."""
    res, site = pred - t.hb, t.population
    own = conformal.leave_fold_out_per_group(res, pred, site, folds, coverage)
    served = conformal.leave_fold_out_binned(res, pred, folds, coverage, groups=site)
    margin = referral.leave_fold_out(t.hb, pred, t.threshold, site, folds, SENSITIVITY)
    return Calibrated(pred, own, served, margin)


def leave_site_out(t: Table, seed: int, only: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """For each site (or each of `only`), estimates from a model fitted on every other site."""
    out = {}
    for site in np.unique(t.population):
        if only and site not in only:
            continue
        model = adult.fit(adult.Config(), *_rows(t, t.population != site), seed)
        held = t.population == site
        out[str(site)] = adult.predict(model, t.colour[held], t.meta[held])
    return out


def leave_site_out_figures(
    samples: Sequence[Sample], included: Mapping[str, float], seed: int
) -> dict[str, dict[str, object]]:
    """`leave_site_out` scored: per population with a cross-validated MAE in `included` (the
    model serving it, trained with it), the MAE and r of this model fitted on every other
    population given (children and adults alike) and tested on it."""
    t = table(samples)
    if len(set(t.population)) < 2:
        return {}
    rows: dict[str, dict[str, object]] = {}
    for site, pred in leave_site_out(t, seed, only=tuple(included)).items():
        hb = t.hb[t.population == site]
        rows[site] = {
            "n": len(hb),
            "mae": round(float(np.abs(pred - hb).mean()), 4),
            "pearson_r": round(pearson(pred, hb), 4),
            "mae_included": included[site],
            "trained_on": sorted(str(p) for p in set(t.population) - {site}),
        }
    return rows


def _rows(t: Table, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return t.colour[keep], t.meta[keep], t.hb[keep]


def final(t: Table, pred: np.ndarray, *, seed: int, version: str, population: str) -> adult.Model:
    """Fit on every row; interval and referral margin from all out-of-fold estimates."""
    model = adult.fit(adult.Config(), t.colour, t.meta, t.hb, seed)
    edges, widths = conformal.widest(pred - t.hb, pred, t.population, model.config.coverage)
    return adult.with_calibration(
        model,
        bin_edges=edges,
        half_widths=widths,
        refer_margin=referral.margin_for(t.hb, pred, t.threshold, t.population, SENSITIVITY),
        version=version,
        population=population,
    )
