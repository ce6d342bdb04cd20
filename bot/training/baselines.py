"""The trivial yardsticks beside every figure, and what a referral costs.

Baselines, on exactly the folds the served model was cross-validated on: `mean` predicts the
training folds' mean Hb; `demographics` is `model.demographics`'s least-squares line (children:
age and sex; adults: sex, age and site), fitted on the training folds only. Each is scored as
the served model is (`evaluate.population_figures`), its referral sensitivity and specificity
from the same procedure (`model.referral`: the margin over the WHO cut-off chosen on the other
folds' estimates for a sensitivity of `adults.SENSITIVITY` in every population).

Referral cost, for the served rule, for referring everyone and for the demographics rule:
blood tests per anaemic person found (referred / anaemic referred) and the net benefit of
decision-curve analysis (Vickers & Elkin 2006): TP/n - FP/n * pt / (1 - pt), at the threshold
probability `NET_BENEFIT_PT`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.pipeline.risk import cutoff
from bot.training import adults
from bot.training.adults import SENSITIVITY
from bot.training.cv_results import ChildCv
from bot.training.evaluate import by_population, mean_over_repeats, population_groups
from model import demographics, referral

BASELINES = ("mean", "demographics")
RULES = ("served", "everyone", "demographics")
INPUTS = {False: "age and sex", True: "sex, age and site"}  # by `Cohort.with_site`
KEYS = ("mae", "rmse", "pearson_r", "auroc", "bias", "sensitivity", "specificity", "anaemic")
# A referral is a finger-prick or venous Hb test: cheap, quick and nearly harmless, while an
# anaemia left unfound harms a child's growth and an adult's work and pregnancies. We take it
# that a programme would do up to 4 blood tests that find no anaemia to find one anaemic
# person: odds pt / (1 - pt) = 1 / 4, pt = 0.2. A rule then has a positive net benefit exactly
# when it buys fewer than 1 + 4 = 5 blood tests per anaemic person found.
NET_BENEFIT_PT = 0.2


@dataclass(frozen=True)
class Cohort:
    """One cohort's people, labels and folds, as the served model was cross-validated."""

    who: demographics.People
    hb: np.ndarray  # (N,) lab g/dL
    threshold: np.ndarray  # (N,) WHO cut-off of each person, g/dL
    population: np.ndarray  # (N,) str, e.g. "eyes-defy-india"
    dataset: np.ndarray  # (N,) str, e.g. "eyes-defy"
    folds: np.ndarray  # (N,) int
    with_site: bool  # the line has a term per site (adults: two hospitals)


def out_of_fold(name: str, c: Cohort) -> np.ndarray:
    """Each row's baseline estimate, fitted on the other folds only."""
    pred = np.empty(len(c.hb))
    for f in np.unique(c.folds):
        tr, te = c.folds != f, c.folds == f
        if name == "mean":
            pred[te] = float(np.mean(c.hb[tr]))
        else:
            pred[te] = demographics.fit_predict(
                c.who.take(tr), c.hb[tr], c.who.take(te), with_site=c.with_site
            )
    return pred


def margins(c: Cohort, pred: np.ndarray) -> np.ndarray:
    """The referral procedure applied to these estimates: margins chosen on the other folds."""
    return referral.leave_fold_out(c.hb, pred, c.threshold, c.population, c.folds, SENSITIVITY)


def cost(hb: np.ndarray, threshold: np.ndarray, referred: np.ndarray) -> dict[str, float | int]:
    """Blood tests per anaemic person found and the net benefit of referring `referred`."""
    anaemic = hb < threshold
    n, tp = len(hb), int((referred & anaemic).sum())
    fp = int((referred & ~anaemic).sum())
    out = {
        "tests_per_case": int(referred.sum()) / tp if tp else float("nan"),
        "net_benefit": tp / n - fp / n * NET_BENEFIT_PT / (1 - NET_BENEFIT_PT),
        "referred": float(referred.mean()),
        "sensitivity": tp / int(anaemic.sum()) if anaemic.any() else float("nan"),
        "threshold_probability": NET_BENEFIT_PT,
    }
    return {**{k: round(v, 4) for k, v in out.items()}, "anaemic": int(anaemic.sum()), "n": n}


def _baseline_figures(c: Cohort, pred: np.ndarray, margin: np.ndarray) -> dict[str, Any]:
    columns = (c.hb, pred, c.threshold, np.zeros(len(c.hb)), margin)
    return {
        k: {m: v for m, v in figs.items() if m in (*KEYS, "n")}
        for k, figs in by_population(c.population, c.dataset, columns).items()
    }


def _costs(c: Cohort, rules: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k, sel in population_groups(c.population, c.dataset).items():
        out[k] = {rule: cost(c.hb[sel], c.threshold[sel], r[sel]) for rule, r in rules.items()}
    return out


def extras(c: Cohort, served: np.ndarray, served_margin: np.ndarray) -> dict[str, Any]:
    """Per population: {"baselines": {name: figures}, "referral": {rule: cost}} for one fold
    split, `served` being the served model's out-of-fold estimates and margins."""
    figures: dict[str, dict[str, Any]] = {}
    preds = {name: out_of_fold(name, c) for name in BASELINES}
    marg = {name: margins(c, p) for name, p in preds.items()}
    for name in BASELINES:
        for k, figs in _baseline_figures(c, preds[name], marg[name]).items():
            figures.setdefault(k, {}).setdefault("baselines", {})[name] = figs
    rules = {
        "served": served < c.threshold + served_margin,
        "everyone": np.ones(len(c.hb), bool),
        "demographics": preds["demographics"] < c.threshold + marg["demographics"],
    }
    for k, costs in _costs(c, rules).items():
        figures[k]["referral"] = costs
    return figures


def mean_extras(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`extras` of repeated fold splits: each figure the mean over them, with its SD (`sd`)."""
    flat = [
        {
            (k, part, name): figs
            for k, parts in run.items()
            for part, by in parts.items()
            for name, figs in by.items()
        }
        for run in runs
    ]
    keyed = [{"\0".join(key): figs for key, figs in f.items()} for f in flat]
    out: dict[str, Any] = {}
    for key, figs in mean_over_repeats(keyed).items():
        k, part, name = key.split("\0")
        out.setdefault(k, {}).setdefault(part, {})[name] = figs
    return out


def merged(
    populations: dict[str, Any], more: Mapping[str, Any], *, with_site: bool
) -> dict[str, Any]:
    """Each population's figures with its baselines and referral costs beside them, the
    demographics line saying what it was fitted on (`inputs`)."""
    out = {k: {**m, **more.get(k, {})} for k, m in populations.items()}
    for m in out.values():
        if "demographics" in m.get("baselines", {}):
            m["baselines"]["demographics"]["inputs"] = INPUTS[with_site]
    return out


def of_adults(t: adults.Table, folds: np.ndarray, cal: adults.Calibrated) -> dict[str, Any]:
    """Baselines and referral costs of one adults' fold split (the line: sex, age and site)."""
    who = demographics.from_meta(t.meta, t.population)
    c = Cohort(who, t.hb, t.threshold, t.population, t.dataset, folds, with_site=True)
    return extras(c, cal.pred, cal.margin)


def of_children(c: ChildCv) -> dict[str, Any]:
    """Baselines and referral costs on the children's CNN folds (the line: age and sex)."""
    s = c.samples
    who = demographics.people([x.age_months for x in s], [x.sex for x in s])
    kinds, sets = (np.array([getattr(x, k) for x in s]) for k in ("population", "dataset"))
    thr = np.array([cutoff(x.age_months, x.sex) for x in s])
    cohort = Cohort(who, c.oof.hb, thr, kinds, sets, c.oof.folds, with_site=False)
    return extras(cohort, c.oof.preds["ensemble"], c.margin)
