"""Cross-validation: the mean baseline, the colour model, one CNN and the shipped ensemble.

Every figure is out-of-fold: each image is scored by models that never saw it, folds keep
identical images together, and the interval width for a fold is calibrated on the other folds'
residuals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from bot.pipeline.risk import cutoff
from bot.training.data import Sample
from model import cnn, colour, conformal, ensemble, features, gradcam, preprocess, train

MODELS = ("mean", "colour", "cnn", "ensemble")
SCREEN_THRESHOLD = 11.0  # g/dL: metrics.json's AUROC target, anaemia in children 24-59 months


def who_threshold(age_months: np.ndarray) -> np.ndarray:
    """Each child's WHO 2024 anaemia cut-off (g/dL), from the table the bot and the CLI use
    (`bot.pipeline.risk`, at sea level; below 15 years it does not depend on sex). A NaN age
    is unknown and gets that table's stand-in row (11.0)."""
    ages = (None if np.isnan(a) else float(a) for a in np.asarray(age_months, np.float64))
    return np.array([cutoff(a) for a in ages])


def prepare(samples: Sequence[Sample], config: cnn.Config) -> train.Arrays:
    """Model inputs for every sample: masked Lab crop, colour statistics and age/sex."""
    xs, cs, ms = [], [], []
    for s in samples:
        image, mask = preprocess.crop(s.image, s.mask)
        xs.append(preprocess.to_input(image, mask, config.height, config.width))
        cs.append(features.colour_features(image, mask))
        ms.append(preprocess.meta_vector(s.age_months, s.sex))
    hb = np.array([s.hb for s in samples], np.float32)
    return train.Arrays(np.stack(xs), np.stack(cs), np.stack(ms), hb)


@dataclass
class OutOfFold:
    """Out-of-fold predictions of every model, with what is needed to score them."""

    hb: np.ndarray
    age_months: np.ndarray  # NaN where unknown
    folds: np.ndarray
    preds: dict[str, np.ndarray] = field(default_factory=dict)
    attention: np.ndarray | None = None  # ensemble's Grad-CAM share on the lower half
    coverage: float = 0.9

    def half_width(self, name: str) -> np.ndarray:
        """Leave-fold-out conformal half-width for each row."""
        return conformal.leave_fold_out(self.preds[name] - self.hb, self.folds, self.coverage)


def fit_members(
    config: ensemble.Config, tc: train.TrainConfig, data: train.Arrays, seed: int, desc: str
) -> list[cnn.Model]:
    """Train the ensemble's CNN members, one seed each."""
    members = []
    for m in tqdm(range(config.members), desc=desc, leave=False):
        members.append(train.fit(config.cnn, tc, data, seed=seed * 100 + m))
    return members


def _fold(
    oof: OutOfFold,
    data: train.Arrays,
    f: int,
    config: ensemble.Config,
    tc: train.TrainConfig,
    seed: int,
) -> None:
    tr, te = np.nonzero(oof.folds != f)[0], np.nonzero(oof.folds == f)[0]
    train_set, test_set = data.take(tr), data.take(te)
    oof.preds["mean"][te] = train_set.hb.mean()
    cm = colour.fit(colour.Config(), train_set.colour, train_set.meta, train_set.hb)
    oof.preds["colour"][te] = colour.predict(cm, test_set.colour, test_set.meta)
    members = fit_members(config, tc, train_set, seed, desc=f"fold {f + 1}")
    per_member = np.stack([train.predict(m, test_set) for m in members])
    oof.preds["cnn"][te] = per_member[0]
    oof.preds["ensemble"][te] = per_member.mean(axis=0)
    ens = ensemble.assemble(config, members)
    assert oof.attention is not None
    for i in te:
        ex = gradcam.explain(ens, data.x[i], data.colour[i], data.meta[i])
        oof.attention[i] = ex.lower_share


def cross_validate(
    samples: Sequence[Sample],
    folds: np.ndarray,
    *,
    config: ensemble.Config,
    tc: train.TrainConfig,
    seed: int,
) -> OutOfFold:
    """Out-of-fold predictions of the four models over the given folds."""
    data = prepare(samples, config.cnn)
    ages = np.array([np.nan if s.age_months is None else s.age_months for s in samples])
    oof = OutOfFold(hb=data.hb, age_months=ages, folds=folds, coverage=config.coverage)
    oof.preds = {name: np.zeros(len(samples)) for name in MODELS}
    oof.attention = np.zeros(len(samples))
    for f in tqdm(np.unique(folds), desc="folds"):
        _fold(oof, data, int(f), config, tc, seed)
    return oof


def auroc(anaemic: np.ndarray, score: np.ndarray) -> float:
    """AUROC of `score` (higher: more likely anaemic); NaN where one class is absent."""
    return (
        float(roc_auc_score(anaemic, score)) if 0 < anaemic.sum() < len(anaemic) else float("nan")
    )


def pearson(pred: np.ndarray, hb: np.ndarray) -> float:
    """Pearson r; NaN, without a warning, where either side is constant (r is undefined)."""
    if np.std(pred) == 0 or np.std(hb) == 0:
        return float("nan")
    return float(np.corrcoef(pred, hb)[0, 1])


def score(oof: OutOfFold, name: str) -> dict[str, float]:
    """MAE, RMSE, Pearson r, Bland-Altman, AUROC, WHO sensitivity/specificity, coverage."""
    y, p = oof.hb, oof.preds[name]
    diff = p - y
    thr = who_threshold(oof.age_months)
    anaemic, flagged = y < thr, p < thr
    hw = oof.half_width(name)
    return {
        "mae": float(np.abs(diff).mean()),
        "rmse": float(np.sqrt((diff**2).mean())),
        "pearson_r": pearson(p, y),
        "bias": float(diff.mean()),
        "loa_low": float(diff.mean() - 1.96 * diff.std(ddof=1)),
        "loa_high": float(diff.mean() + 1.96 * diff.std(ddof=1)),
        "auroc": auroc(y < SCREEN_THRESHOLD, -p),
        "auroc_who": auroc(anaemic, thr - p),
        "sensitivity_who": float((flagged & anaemic).sum() / max(anaemic.sum(), 1)),
        "specificity_who": float((~flagged & ~anaemic).sum() / max((~anaemic).sum(), 1)),
        "coverage": float((np.abs(diff) <= hw).mean()),
        "half_width": float(np.median(hw)),
        "n": len(y),
    }


def shipped_metrics(
    oof: OutOfFold, *, seed: int, k: int, group_by: str | None
) -> dict[str, float | int | str | None]:
    """The object written to `model/weights/metrics.json` and printed by `cv --json`."""
    m = score(oof, "ensemble")
    keys = ("mae", "rmse", "pearson_r", "auroc", "coverage", "n", "bias", "half_width")
    out: dict[str, float | int | str | None] = {k_: round(m[k_], 4) for k_ in keys}
    out["n"] = int(m["n"])
    fold0 = oof.folds == 0
    out["fold0_mae"] = round(float(np.abs(oof.preds["ensemble"] - oof.hb)[fold0].mean()), 4)
    out.update({"folds": k, "seed": seed, "group_by": group_by})
    return out


def population_figures(
    hb: np.ndarray, pred: np.ndarray, thr: np.ndarray, half_width: np.ndarray, margin: np.ndarray
) -> dict[str, float | int]:
    """metrics.json's figures for one population: error, agreement, AUROC at each person's
    WHO cut-off, interval coverage, and the referral rule's sensitivity and specificity (all
    out-of-fold; widths and margins calibrated on the other folds)."""
    diff, anaemic, referred = pred - hb, hb < thr, pred < thr + margin
    covered = np.abs(diff) <= half_width
    figures = {
        "mae": float(np.abs(diff).mean()),
        "rmse": float(np.sqrt((diff**2).mean())),
        "pearson_r": pearson(pred, hb),
        "auroc": auroc(anaemic, thr - pred),
        "coverage": float(covered.mean()),
        # estimates shrink to the mean, so the anaemic, whose Hb lies low, fall out more often
        "coverage_anaemic": float(covered[anaemic].mean()) if anaemic.any() else float("nan"),
        "bias": float(diff.mean()),
        "half_width": float(np.median(half_width)),
        "sensitivity": float(referred[anaemic].mean()) if anaemic.any() else float("nan"),
        "specificity": float((~referred[~anaemic]).mean()) if (~anaemic).any() else float("nan"),
        "anaemic": int(anaemic.sum()),
    }
    return {**{k: round(v, 4) for k, v in figures.items()}, "n": len(hb)}


def by_population(
    population: np.ndarray, dataset: np.ndarray, columns: tuple[np.ndarray, ...]
) -> dict[str, dict[str, float | int]]:
    """`population_figures` per population key and, for a dataset split into sites
    ("eyes-defy-india", "eyes-defy-italy"), pooled over its sites under the dataset's name.
    `columns` are `population_figures`'s arrays (hb, pred, thr, half_width, margin)."""
    return {
        k: population_figures(*(c[sel] for c in columns))  # type: ignore[arg-type]
        for k, sel in population_groups(population, dataset).items()
    }


def population_groups(population: np.ndarray, dataset: np.ndarray) -> dict[str, np.ndarray]:
    """Row selections by population key and, for a dataset split into sites, by the dataset's
    name (the sites pooled), in key order: the groups `by_population` reports."""
    groups = {str(k): population == k for k in np.unique(population)}
    for d in np.unique(dataset):
        if str(d) not in groups:
            groups[str(d)] = dataset == d
    return dict(sorted(groups.items()))


# figures whose SD over repeated fold splits is kept (where a figure set has them)
SPREAD = (
    "mae",
    "pearson_r",
    "auroc",
    "coverage",
    "sensitivity",
    "specificity",
    "tests_per_case",
    "net_benefit",
)


def mean_over_repeats(
    runs: Sequence[dict[str, dict[str, float | int]]],
) -> dict[str, dict[str, object]]:
    """`by_population` figures averaged over repetitions of the fold split, with their SD over
    the repetitions under `sd`. With a hundred people, which fold a person falls in moves a
    figure by about its standard error (one person is 0.01 of coverage); the mean over
    repetitions does not hang on one draw."""
    out: dict[str, dict[str, object]] = {}
    for key, first in runs[0].items():
        rows = [r[key] for r in runs]
        mean = {
            m: v if isinstance(v, int) else round(float(np.mean([r[m] for r in rows])), 4)
            for m, v in first.items()
        }
        sd = {m: round(float(np.std([r[m] for r in rows])), 4) for m in SPREAD if m in first}
        out[key] = {**mean, "repeats": len(runs), "sd": sd}
    return out
