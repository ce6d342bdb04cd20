"""Which rank the interval takes: the whole rank ceil((n + 1) x 0.9) of n residuals, or the
fractional rank (n + 1) x 0.9 interpolated between its neighbours (`model.conformal`), compared on
the adults' out-of-fold estimates (`python -m studies.interval_rank` -> docs/cv/interval_rank.md).

Each site's own Mondrian interval (two bins split at the median estimate, calibrated on the
site's other folds, as `conformal.leave_fold_out_per_group` does), over the same five patient-
grouped fold splits as `anemia-screen train`. Coverage of everyone, of the estimates below and
above the site's median estimate, and of the anaemic: mean over the splits (lowest split).
"""

from __future__ import annotations

import math

import numpy as np

from bot.training import adults
from bot.training import jobs as training
from bot.training.data import make_folds
from model import conformal
from studies import EYES_DEFY, PAGES, parse_args

DATA = (EYES_DEFY / "labels.csv",)
SPLITS = 5
COVERAGE = 0.9


def whole_rank(residuals: np.ndarray, coverage: float) -> float:
    """The conservative split-conformal width: at least `coverage` for any n."""
    r = np.sort(np.abs(residuals))
    rank = math.ceil((r.size + 1) * coverage)
    return float(r[rank - 1]) if rank <= r.size else math.inf


def whole_widths(res: np.ndarray, pred: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Per-row width by the whole rank, in the bins of `conformal.leave_fold_out_binned`."""
    widths = np.empty(len(res))
    for f in np.unique(folds):
        cal, here = folds != f, folds == f
        above = pred >= np.median(pred[cal])
        for side in (~above, above):
            widths[here & side] = whole_rank(res[cal & side], COVERAGE)
    return widths


def served_widths(res: np.ndarray, pred: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Per-row width by the interpolated rank: what the service computes."""
    return conformal.leave_fold_out_binned(res, pred, folds, COVERAGE)


RANKS = {"whole": whole_widths, "interpolated": served_widths}


def coverage_rows(t: adults.Table, splits: list[tuple[np.ndarray, np.ndarray]]) -> list[str]:
    rows = []
    for site in np.unique(t.population):
        k = t.population == site
        for rank in RANKS:
            parts: dict[str, list[float]] = {"all": [], "low": [], "high": [], "anaemic": []}
            for folds, pred in splits:
                res = (pred - t.hb)[k]
                hit = np.abs(res) <= RANKS[rank](res, pred[k], folds[k])
                low = pred[k] < np.median(pred[k])
                masks = {
                    "all": np.ones_like(hit),
                    "low": low,
                    "high": ~low,
                    "anaemic": t.hb[k] < t.threshold[k],
                }
                for name, m in masks.items():
                    parts[name].append(float(hit[m].mean()))
            cells = " | ".join(f"{np.mean(v):.3f} ({min(v):.3f})" for v in parts.values())
            rows.append(f"| {site} | {rank} | {cells} |")
    return rows


def main() -> None:
    parse_args(__doc__)
    samples, _ = training.load_samples(DATA)
    grown = training.split(samples)["adults"]
    t = adults.table(grown)
    splits = []
    for seed in range(SPLITS):
        folds = make_folds(grown, k=5, seed=seed)
        splits.append((folds, adults.out_of_fold(t, folds, seed)))
    head = (
        "| site | rank | everyone | estimate below median | above median | anaemic |\n"
        "|---|---|---|---|---|---|"
    )
    text = "\n".join([head, *coverage_rows(t, splits)])
    (PAGES / "interval_rank.md").write_text(
        f"# The interval's rank\n\n{(__doc__ or '').strip()}\n\n{text}\n"
    )
    print(text)


if __name__ == "__main__":
    main()
