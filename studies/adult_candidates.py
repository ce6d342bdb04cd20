"""Does the adults' photo model earn its place over age, sex and site, and can another model
make it? Candidates chosen on validation folds only (`python -m studies.adult_candidates` ->
docs/cv/adult_candidates.md).

Nested cross-validation on Eyes-defy: the outer folds are `cv`'s (`make_folds`, 5 folds, fold
seeds 0-4); inside each outer training part, 5 inner folds made the same way (seed = the
outer seed) give each candidate a validation MAE, and the candidate with the lowest one among
those that can be served is fitted on the outer training part and estimates the outer test
fold. The outer test folds never inform a choice: they measure the choosing itself ("nested"
below), beside the model served until now and the demographics line on the same outer folds.
The rule, fixed before the run: the candidate that can be served with the lowest mean
validation MAE replaces the model served until now (`model.adult` ships it).

Can be served: a candidate that needs only what the bot knows of a new user (the photo, age
and sex). A candidate that needs the site (which hospital's camera and people) cannot be
served to a new user, whose site is neither; it is measured for the record, as what a
programme's own photos could add (`anemia-screen adapt`), and never chosen.

Members mirror `model.adult`: an RBF SVR on standardised inputs (gamma 1 / inputs; C and
epsilon searched by 5-fold inner CV, as `model.svr`) averaged with 500 extremely randomised
trees (leaves of 3 or more), on the colour levels of `model.svr.LEVELS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.svm import SVR

from bot.training import adults
from bot.training.data import Sample, make_folds, table
from bot.training.evaluate import population_figures, population_groups
from model import demographics, svr
from studies import EYES_DEFY, PAGES, parse_args

DATA = EYES_DEFY / "labels.csv"
OUT = PAGES / "adult_candidates.md"
SEEDS = (0, 1, 2, 3, 4)
K = 5
AGE, FEMALE, MALE = 0, 2, 3  # columns of preprocess.meta_vector
Fit = Callable[[adults.Table, adults.Table, int], np.ndarray]  # (train, test, seed) -> Hb


def _svr_trees(x: np.ndarray, y: np.ndarray, z: np.ndarray, seed: int) -> np.ndarray:
    """`model.adult`'s two members fitted on (x, y), averaged on z."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    grid = {"C": list(svr.Config().grid_c), "epsilon": list(svr.Config().grid_epsilon)}
    search = GridSearchCV(
        SVR(kernel="rbf", gamma=1.0 / x.shape[1]),
        grid,
        cv=KFold(5, shuffle=True, random_state=seed),
        scoring="neg_mean_absolute_error",
    ).fit((x - mean) / std, y)
    trees = ExtraTreesRegressor(500, min_samples_leaf=3, random_state=seed).fit(x, y)
    return (search.predict((z - mean) / std) + trees.predict(z)) / 2.0


def _sites(t: adults.Table, known: np.ndarray) -> np.ndarray:
    """One-hot site columns for the sites in `known`."""
    return np.stack([(t.population == s).astype(np.float64) for s in known], axis=1)


def inputs(t: adults.Table, meta: tuple[int, ...], sites: np.ndarray | None = None) -> np.ndarray:
    parts = [t.colour[:, list(svr.LEVELS)], t.meta[:, list(meta)]]
    if sites is not None:
        parts.append(_sites(t, sites))
    return np.concatenate(parts, axis=1).astype(np.float64)


def members(meta: tuple[int, ...], with_site: bool = False) -> Fit:
    def fit(tr: adults.Table, te: adults.Table, seed: int) -> np.ndarray:
        known = np.unique(tr.population) if with_site else None
        return _svr_trees(inputs(tr, meta, known), tr.hb, inputs(te, meta, known), seed)

    return fit


def line(tr: adults.Table, te: adults.Table, with_site: bool) -> tuple[np.ndarray, np.ndarray]:
    """The demographics line's estimates on the training rows and the test rows."""
    a, b = (demographics.from_meta(x.meta, x.population) for x in (tr, te))
    fit = demographics.line(with_site=with_site).fit(a.design(), tr.hb.astype(np.float64))
    return fit.predict(a.design()), fit.predict(b.design())


def residual(with_site: bool) -> Fit:
    """The line, plus the two members on colour levels, sex and age for what it leaves."""

    def fit(tr: adults.Table, te: adults.Table, seed: int) -> np.ndarray:
        on_tr, on_te = line(tr, te, with_site)
        meta = (AGE, FEMALE, MALE)
        return on_te + _svr_trees(inputs(tr, meta), tr.hb - on_tr, inputs(te, meta), seed)

    return fit


def site_normalised(tr: adults.Table, te: adults.Table, seed: int) -> np.ndarray:
    """Colour levels standardised within each site (training rows' mean and SD), with the
    site, sex and age as inputs."""
    known = np.unique(tr.population)
    cols = list(svr.LEVELS)

    def norm(t: adults.Table) -> adults.Table:
        colour = t.colour.astype(np.float64).copy()
        for s in known:
            ref = tr.colour[tr.population == s][:, cols]
            here = t.population == s
            colour[np.ix_(here, cols)] = (colour[np.ix_(here, cols)] - ref.mean(0)) / (
                ref.std(0) + 1e-6
            )
        return adults.Table(colour, t.meta, t.hb, t.threshold, t.population, t.dataset)

    meta = (AGE, FEMALE, MALE)
    a, b = norm(tr), norm(te)
    return _svr_trees(inputs(a, meta, known), tr.hb, inputs(b, meta, known), seed)


def boosting(tr: adults.Table, te: adults.Table, seed: int) -> np.ndarray:
    meta = (AGE, FEMALE, MALE)
    gb = GradientBoostingRegressor(
        n_estimators=300, max_depth=2, learning_rate=0.03, subsample=0.8, random_state=seed
    )
    return gb.fit(inputs(tr, meta), tr.hb).predict(inputs(te, meta))


@dataclass(frozen=True)
class Candidate:
    name: str
    servable: bool
    fit: Fit


CANDIDATES = (
    Candidate("until now: SVR + trees on colour levels and sex", True, members((FEMALE, MALE))),
    Candidate("SVR + trees on colour levels, sex and age", True, members((AGE, FEMALE, MALE))),
    Candidate("line on sex and age + SVR + trees for the residual", True, residual(False)),  # ships
    Candidate("gradient boosting on colour levels, sex and age", True, boosting),
    Candidate(
        "SVR + trees on colour levels, sex, age and site", False, members((AGE, FEMALE, MALE), True)
    ),
    Candidate("colour levels normalised per site, with site, sex and age", False, site_normalised),
    Candidate("line on sex, age and site + SVR + trees for the residual", False, residual(True)),
)


def validation(t: adults.Table, samples: list[Sample], seed: int) -> np.ndarray:
    """(candidates, rows): each candidate's estimates on inner folds of these rows."""
    inner = make_folds(samples, k=K, seed=seed)
    pred = np.zeros((len(CANDIDATES), len(t.hb)))
    for f in np.unique(inner):
        tr, te = np.flatnonzero(inner != f), np.flatnonzero(inner == f)
        for i, c in enumerate(CANDIDATES):
            pred[i, te] = c.fit(t.take(tr), t.take(te), seed)
    return pred


def by_site(t: adults.Table, err: np.ndarray) -> list[float]:
    """Mean of `err` (..., rows) pooled, then per site in order."""
    return [float(err.mean(-1))] + [
        float(err[..., t.population == s].mean(-1)) for s in np.unique(t.population)
    ]


@dataclass
class Split:
    """One fold seed: validation MAEs per outer fold, choices, and outer-fold estimates."""

    val: list[np.ndarray]  # per outer fold: (candidates, 1 + sites) validation MAE
    chosen: list[int]
    pred: dict[str, np.ndarray]  # "until now", "nested", "demographics" -> (rows,)


def split(t: adults.Table, samples: list[Sample], seed: int) -> Split:
    folds = make_folds(samples, k=K, seed=seed)
    out = Split([], [], {k: np.zeros(len(t.hb)) for k in ("until now", "nested", "demographics")})
    servable = np.array([c.servable for c in CANDIDATES])
    for f in np.unique(folds):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        inner_t = t.take(tr)
        err = np.abs(validation(inner_t, [samples[i] for i in tr], seed) - inner_t.hb)
        val = np.array([by_site(inner_t, e) for e in err])
        best = int(np.argmin(np.where(servable, val[:, 0], np.inf)))
        out.val.append(val)
        out.chosen.append(best)
        out.pred["nested"][te] = CANDIDATES[best].fit(t.take(tr), t.take(te), seed)
        out.pred["until now"][te] = CANDIDATES[0].fit(t.take(tr), t.take(te), seed)
        out.pred["demographics"][te] = line(t.take(tr), t.take(te), True)[1]
        print(f"seed {seed} fold {f}: chose {best}", flush=True)
    return out


def outer_figures(t: adults.Table, pred: np.ndarray) -> dict[str, tuple[float, float]]:
    """MAE and AUROC at the WHO cut-off, pooled ("eyes-defy") and per site."""
    zero = np.zeros(len(t.hb))
    out = {}
    for k, sel in population_groups(t.population, t.dataset).items():
        m = population_figures(t.hb[sel], pred[sel], t.threshold[sel], zero[sel], zero[sel])
        out[k] = (float(m["mae"]), float(m["auroc"]))
    return out


def _pm(values: list[float]) -> str:
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}"


def candidates_table(t: adults.Table, splits: list[Split]) -> str:
    sites = [str(s).removeprefix("eyes-defy-") for s in np.unique(t.population)]
    head = "| candidate | can be served | validation MAE, both sites | " + " | ".join(
        f"validation MAE, {s}" for s in sites
    )
    lines = [head + " | chosen in outer folds |", "|---" * (4 + len(sites)) + "|"]
    val = np.stack([v for s in splits for v in s.val])  # (outer folds, candidates, 1 + sites)
    chosen = [c for s in splits for c in s.chosen]
    for i, c in enumerate(CANDIDATES):
        cells = " | ".join(f"{val[:, i, j].mean():.3f}" for j in range(val.shape[2]))
        served = "yes" if c.servable else "no (needs the site)"
        lines.append(f"| {c.name} | {served} | {cells} | {chosen.count(i)} of {len(chosen)} |")
    return "\n".join(lines) + "\n"


def outer_table(t: adults.Table, splits: list[Split]) -> str:
    rows = ("until now", "nested", "demographics")
    figs = {r: [outer_figures(t, s.pred[r]) for s in splits] for r in rows}
    lines = [
        "| population | n | MAE until now | MAE nested choice | MAE demographics line "
        "| AUROC until now | AUROC nested choice | AUROC demographics line |",
        "|---" * 8 + "|",
    ]
    for k, sel in population_groups(t.population, t.dataset).items():
        maes = " | ".join(_pm([f[k][0] for f in figs[r]]) for r in rows)
        aurocs = " | ".join(_pm([f[k][1] for f in figs[r]]) for r in rows)
        lines.append(f"| {k} | {int(sel.sum())} | {maes} | {aurocs} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parse_args(__doc__)
    samples = table.load(DATA)
    t = adults.table(samples)
    splits = [split(t, samples, seed) for seed in SEEDS]
    OUT.write_text(
        "# Adults: does the photo earn its place over age, sex and site?\n\n"
        f"{(__doc__ or '').split(chr(10) + chr(10), 1)[1].strip()}\n\n"
        f"n = {len(samples)} adults; fold seeds {SEEDS}; {K} outer and {K} inner folds.\n\n"
        "## Candidates on validation folds\n\nMean over the "
        f"{len(SEEDS) * K} outer training parts of each candidate's inner-fold MAE (g/dL), and "
        "how often it had the lowest pooled validation MAE among those that can be served:\n\n"
        f"{candidates_table(t, splits)}\n"
        "## On the outer folds\n\nThe model served until now, the choice made on validation folds "
        "(nested) and the demographics line (sex, age and site), each fitted on the outer "
        "training part; mean ± SD over the fold seeds. `cv`'s figures for the model that ships "
        "come from the data that chose it; the nested column is the estimate free of that "
        "choice:\n\n"
        f"{outer_table(t, splits)}\nMade by `python -m studies.adult_candidates`.\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
