"""Does the lower half of the lining alone carry the adults' signal? The adults' model
(`model.adult`, unchanged) fitted on the colour statistics of the lower half of the lining
only, and of the upper half only, against the whole lining, on the same patient-grouped folds
as every other adults' figure (`python -m studies.lower_half` -> docs/cv/lower_half.md).

Kato et al. 2024 saw with Grad-CAM that good estimates of children's Hb attend to the lower
half of the palpebral conjunctiva. The reverse question: if the model sees only the lower half
(every statistic, its own halves included, measured inside `model.features.lower_half` of the
mask), does it err as little as on the whole lining? The upper half alone is the control. The
data and folds are `anemia-screen cv --cohort adults`'s: the photos it keeps (one per
photograph), its 5 folds (`bot.training.jobs.fold_split`), fold seeds 0 to 4; figures are
means over the five splits, with each split's paired MAE difference from the whole lining.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from bot.training import adults, jobs
from bot.training.data import Sample
from model import features, preprocess
from studies import EYES_DEFY, PAGES, parse_args

DATA = EYES_DEFY / "labels.csv"
OUT = PAGES / "lower_half.md"
SEEDS = (0, 1, 2, 3, 4)  # `Job.repeats` splits, as the cards' figures
Region = Callable[[np.ndarray], np.ndarray]  # crop mask -> the part of it measured
REGIONS: dict[str, Region] = {
    "whole lining (served)": lambda m: m,
    "lower half only": features.lower_half,
    "upper half only": lambda m: m & ~features.lower_half(m),
}


def table_on(samples: Sequence[Sample], region: Region) -> adults.Table:
    """`adults.table` with the colour statistics measured on `region` of each lining."""
    rows = []
    for s in samples:
        image, mask = preprocess.crop(s.image, s.mask)
        rows.append(features.colour_features(image, region(mask.astype(bool))))
    return dataclasses.replace(adults.table(samples), colour=np.stack(rows))


def maes(t: adults.Table, pred: np.ndarray) -> list[float]:
    """Pooled MAE, r, then MAE per site."""
    err = np.abs(pred - t.hb)
    out = [float(err.mean()), float(np.corrcoef(pred, t.hb)[0, 1])]
    return out + [float(err[t.population == s].mean()) for s in sorted(set(t.population))]


def main() -> None:
    parse_args(__doc__)
    samples = jobs.split(jobs.load_samples((DATA,))[0])["adults"]
    job = jobs.Job(data=(DATA,), out=PAGES)
    folds = {s: jobs.fold_split(samples, job, s) for s in SEEDS}
    runs = {}
    for name, region in REGIONS.items():
        t = table_on(samples, region)
        runs[name] = np.array([maes(t, adults.out_of_fold(t, folds[s], s)) for s in SEEDS])
    sites = sorted({s.population for s in samples})
    whole = runs["whole lining (served)"][:, 0]
    head = "| lining measured | MAE | r | " + " | ".join(f"{s} MAE" for s in sites)
    lines = [head + " | MAE minus the whole lining's, per split (mean; min to max) |"]
    lines.append("|---" * (4 + len(sites)) + "|")
    for name, r in runs.items():
        d = r[:, 0] - whole
        figs = " | ".join(f"{v:.2f} ± {sd:.2f}" for v, sd in zip(r.mean(0), r.std(0), strict=True))
        lines.append(f"| {name} | {figs} | {d.mean():+.2f} ({d.min():+.2f} to {d.max():+.2f}) |")
    OUT.write_text(
        "# Adults: the lower half of the lining alone against the whole lining\n\n"
        f"{(__doc__ or '').split(chr(10) + chr(10), 1)[1].strip()}\n\n"
        f"n = {len(samples)} adults; mean ± SD over fold seeds {SEEDS}.\n\n"
        + "\n".join(lines)
        + "\n\nMade by `python -m studies.lower_half`.\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
