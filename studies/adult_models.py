"""Which model for adults: model families on the same colour statistics, compared on the same
patient-grouped folds of Eyes-defy (`python -m studies.adult_models` -> docs/cv/adult_models.md).

Every family gets the same inputs (`model.features` colour statistics of the drawn mask, plus
sex, plus age where named; "colour levels" leaves out the spread of colour inside the mask,
which moves with resolution and compression: docs/cv/whole_photos.md) and the same 5 folds
(`bot.training.data.make_folds`, one photo per patient), repeated over three fold seeds. Figures are
means over the seeds. The shipped choice (colour levels + sex; the mean of SVR and extremely
randomised trees) is `model.adult`, whose SVR has its C and epsilon searched inside each
training fold; the other rows run with fixed, common settings, so they are not tuned as much.
The choice was made on these folds, which are also where its figures come from: the patients
kept apart from us are the test of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    RandomForestRegressor,
    VotingRegressor,
)
from sklearn.linear_model import RidgeCV
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from bot.training import adults
from bot.training.data import make_folds, table
from model import svr
from model.features import N_FEATURES
from studies import EYES_DEFY, PAGES, parse_args

DATA = EYES_DEFY / "labels.csv"
OUT = PAGES / "adult_models.md"
SEEDS = (0, 1, 2)

FAMILIES: dict[str, Callable[[], RegressorMixin]] = {
    "ridge": lambda: make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 3, 11))),
    "gradient boosting": lambda: GradientBoostingRegressor(
        n_estimators=300, max_depth=2, learning_rate=0.03, subsample=0.8, random_state=0
    ),
    "random forest": lambda: RandomForestRegressor(500, min_samples_leaf=3, random_state=0),
    "extra trees": lambda: ExtraTreesRegressor(500, min_samples_leaf=3, random_state=0),
    "SVR (C 3, eps 0.3)": lambda: make_pipeline(StandardScaler(), SVR(C=3.0, epsilon=0.3)),
    "mean of SVR and random forest": lambda: VotingRegressor(
        [("svr", FAMILIES["SVR (C 3, eps 0.3)"]()), ("rf", FAMILIES["random forest"]())]
    ),
    "mean of SVR and extra trees": lambda: VotingRegressor(
        [("svr", FAMILIES["SVR (C 3, eps 0.3)"]()), ("et", FAMILIES["extra trees"]())]
    ),
}
LEVELS = list(svr.Config().colour_columns)  # colour levels: the *_std spreads left out
ALL = list(range(N_FEATURES))
INPUTS = {  # name -> (columns of the colour statistics, columns of preprocess.meta_vector)
    "colour": (ALL, []),
    "colour + sex": (ALL, [2, 3]),
    "colour + sex + age": (ALL, [0, 2, 3]),
    "colour levels + sex": (LEVELS, [2, 3]),
}


def figures(t: adults.Table, pred: np.ndarray) -> list[float]:
    """Pooled MAE, r, AUROC at the WHO cut-off, then MAE and r per site."""
    out = [
        float(np.abs(pred - t.hb).mean()),
        float(np.corrcoef(pred, t.hb)[0, 1]),
        float(roc_auc_score(t.hb < t.threshold, t.threshold - pred)),
    ]
    for site in sorted(set(t.population)):
        k = t.population == site
        out += [float(np.abs(pred[k] - t.hb[k]).mean()), float(np.corrcoef(pred[k], t.hb[k])[0, 1])]
    return out


def oof(
    make: Callable[[], RegressorMixin], x: np.ndarray, hb: np.ndarray, folds: np.ndarray
) -> np.ndarray:
    """Each row's estimate from the model fitted on the other folds."""
    pred = np.zeros(len(hb))
    for f in np.unique(folds):
        pred[folds == f] = make().fit(x[folds != f], hb[folds != f]).predict(x[folds == f])
    return pred


def main() -> None:
    parse_args(__doc__)
    samples = table.load(DATA)
    t = adults.table(samples)
    rows = []
    for inputs, (colour, meta) in INPUTS.items():
        x = np.concatenate([t.colour[:, colour], t.meta[:, meta]], axis=1)
        for name, make in FAMILIES.items():
            runs = [figures(t, oof(make, x, t.hb, make_folds(samples, k=5, seed=s))) for s in SEEDS]
            rows.append((name, inputs, np.mean(runs, axis=0)))
    shipped = [
        figures(t, adults.out_of_fold(t, make_folds(samples, k=5, seed=s), s)) for s in SEEDS
    ]
    shipped_inputs = "colour levels + sex"
    shipped_name = "shipped: model.adult (SVR with C, eps searched, and extra trees)"
    rows.append((shipped_name, shipped_inputs, np.mean(shipped, axis=0)))
    sites = sorted(set(t.population))
    head = "| model | inputs | MAE | r | AUROC (WHO) | " + " | ".join(
        f"{s} MAE | {s} r" for s in sites
    )
    lines = [head + " |", "|---" * (5 + 2 * len(sites)) + "|"]
    lines += [f"| {n} | {i} | " + " | ".join(f"{v:.2f}" for v in r) + " |" for n, i, r in rows]
    OUT.write_text(
        "# Adults' model: families compared on patient-grouped folds\n\n"
        f"{(__doc__ or '').split(chr(10) + chr(10), 1)[1].strip()}\n\n"
        f"n = {len(samples)} adults; means over fold seeds {SEEDS}.\n\n" + "\n".join(lines) + "\n"
        "\nMade by `python -m studies.adult_models`.\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
