"""Does a low `attention_lower_half` go with a larger error? Tested on out-of-fold estimates.

Kato et al. 2024 saw, with Grad-CAM, that good estimates attend to the lower half of the
palpebral conjunctiva. Here each person's share of the map (the children's Grad-CAM, the
adults' occlusion map, both `model.features.lower_share`) comes from the model of the fold
that did not see them, and is set against that model's absolute error: Spearman's rho with a
bootstrap 95% interval over people, and the MAE in each tertile of the share. The relation
holds for a population where the whole interval of rho lies below 0 and the lowest tertile
erred most of the three (a warning that says "less reliable" must single out the worst
estimates, not merely a group worse than the average of the rest); only then does the
low-attention warning fire for it, below the lower tertile's edge, with that tertile's MAE as
the error it predicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from bot.training.data import Sample
from bot.training.evaluate import population_groups
from model import adult, features, occlusion, preprocess

BOOTSTRAP = 2000  # resamples of people for rho's interval
MIN_PEOPLE = 12  # fewer: no tertiles worth a figure


def _spearman(share: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of (B, n) arrays (average ranks for ties)."""
    a, b = (rankdata(x, axis=-1) for x in (share, err))
    a, b = a - a.mean(axis=-1, keepdims=True), b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    return np.divide((a * b).sum(axis=-1), den, out=np.full(den.shape, np.nan), where=den > 0)


def relation(share: np.ndarray, err: np.ndarray, seed: int) -> dict[str, object]:
    """The figures of one population: rho and its interval, MAE by tertile of the share, and
    the warning they ground (`warn_below`: None where the relation does not hold)."""
    share = np.nan_to_num(share, nan=0.0)  # no heat at all is served as 0 (screening.py)
    n = len(share)
    out: dict[str, object] = {"n": n, "share_median": round(float(np.median(share)), 4)}
    if n < MIN_PEOPLE:
        return out | {"holds": False, "warn_below": None}
    rho = float(_spearman(share, err))
    idx = np.random.default_rng(seed).integers(0, n, (BOOTSTRAP, n))
    lo, hi = np.nanpercentile(_spearman(share[idx], err[idx]), (2.5, 97.5))
    edges = np.quantile(share, (1 / 3, 2 / 3))
    tertile = np.digitize(share, edges)  # 0: lowest third of the share
    maes = [float(err[tertile == i].mean()) for i in range(3)]
    # and the lowest third must err most: the warning says "less reliable" than the others
    holds = bool(hi < 0 and maes[0] > max(maes[1:]))
    return out | {
        "spearman_rho": round(rho, 4),
        "rho_ci95": [round(float(lo), 4), round(float(hi), 4)],
        "tertile_edges": [round(float(e), 4) for e in edges],
        "mae_by_tertile": [round(m, 4) for m in maes],
        "holds": holds,
        "warn_below": round(float(edges[0]), 4) if holds else None,
        "mae_below": round(maes[0], 4),
        "mae_above": round(float(err[tertile > 0].mean()), 4),
    }


def by_population(
    share: np.ndarray, err: np.ndarray, population: np.ndarray, dataset: np.ndarray, seed: int
) -> dict[str, dict[str, object]]:
    """`relation` per population key and, for a dataset split into sites, pooled."""
    groups = population_groups(population, dataset)
    return {k: relation(share[sel], err[sel], seed) for k, sel in groups.items()}


def adult_shares(
    samples: Sequence[Sample], meta: np.ndarray, models: dict[int, adult.Model], folds: np.ndarray
) -> np.ndarray:
    """Each adult's occlusion share from the model of the fold that did not see them."""
    out = np.full(len(samples), np.nan)
    for i, s in enumerate(samples):
        image, mask = preprocess.crop(s.image, s.mask)
        colour = features.colour_features(image, mask)
        ex = occlusion.of_adult(models[int(folds[i])], image, mask, colour, meta[i])
        out[i] = ex.lower_share
    return out


def add_to(pops: dict[str, Any], found: dict[str, dict[str, object]]) -> None:
    """Each population's figures from `by_population` into its metrics.json object."""
    for key, figures in found.items():
        pops[key] = {**pops[key], "attention": figures}


def config_fields(metrics: dict[str, Any], population: str) -> dict[str, float | None]:
    """The low-attention warning of the model serving `population`, as its config's fields:
    the lower tertile's edge and MAE where the relation holds, None (no warning) otherwise."""
    pops = metrics.get("populations", {})
    figures = pops.get(population, {}).get("attention") if isinstance(pops, dict) else None
    if not figures or figures.get("warn_below") is None:
        return {"attention_threshold": None, "attention_mae": None}
    return {
        "attention_threshold": float(figures["warn_below"]),
        "attention_mae": float(figures["mae_below"]),
    }
