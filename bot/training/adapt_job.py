"""The `adapt` job: from a programme's lab-confirmed photos (an `export` folder, or any CSV in
that layout) to a weights folder that serves the adapted models, or a refusal.

Per cohort with enough people: the served model's estimates on their photos, the adaptation
procedure of `bot.training.adapter_choice` measured by nested cross-validation against those
estimates, and, only where it is better, an adapter fitted on everyone with its interval and
referral margin calibrated on the nested out-of-fold estimates. Nothing is written unless some
cohort gains. Beside them, on the same folds, the baselines without any photo (the training
mean; a least-squares line on age and sex), so that a programme learns whether on its own
people the photo beats what age and sex tell (`adapt_report`).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.pipeline import populations
from bot.pipeline.risk import Person, cutoff
from bot.pipeline.screening import Crop, Screener
from bot.training import adapt_report, adapter_choice, baselines
from bot.training.adapt_report import MIN_PEOPLE, AdaptResult, CohortResult
from bot.training.adults import SENSITIVITY
from bot.training.data import Sample, deduplicate, sources
from bot.training.evaluate import auroc, pearson, population_figures
from bot.training.export import ExportError, check_dataset
from model import adapter, conformal, demographics, referral


class AdaptError(ValueError):
    """The data or folders cannot be used as given; the message says why."""


def load(paths: tuple[Path, ...]) -> tuple[str, dict[str, list[Sample]]]:
    """The programme's samples by cohort, and its dataset name (one per adaptation)."""
    try:
        samples, _ = deduplicate([s for p in paths for s in sources.load_any(p)])
    except ValueError as e:
        raise AdaptError(str(e)) from e
    names = sorted({s.dataset for s in samples})
    if len(names) != 1:
        raise AdaptError(f"adapt to one programme at a time; the data name {', '.join(names)}")
    try:
        check_dataset(names[0])  # it becomes the population the stored screenings name
    except ExportError as e:
        raise AdaptError(f"{e} (set the CSV's `dataset` column)") from e
    by: dict[str, list[Sample]] = {c.key: [] for c in populations.COHORTS}
    for s in samples:
        if (c := populations.cohort_of_sample(s.age_months, s.sex)) is not None:
            by[c.key].append(s)
    return names[0], by


def rows(screener: Screener, samples: list[Sample]) -> adapter_choice.Rows:
    """The served model's estimate and the colour statistics of each sample's crop."""
    people = [Person(s.age_months, s.sex) for s in samples]
    crops = [Crop.of(s.image, s.mask, p) for s, p in zip(samples, people, strict=True)]
    base = [screener.estimate_crop(c, p).hb for c, p in zip(crops, people, strict=True)]
    return adapter_choice.Rows(
        np.asarray(base, np.float64),
        np.stack([c.colour for c in crops]).astype(np.float64),
        np.stack([c.meta for c in crops]).astype(np.float64),
        np.asarray([s.hb for s in samples], np.float64),
        np.asarray([cutoff(s.age_months, s.sex) for s in samples], np.float64),
    )


def _margins(
    r: adapter_choice.Rows, pred: np.ndarray, folds: np.ndarray, fallback: float
) -> np.ndarray:
    """Referral margins chosen on the other folds; the served model's with too few anaemic."""
    one = np.zeros(len(r), np.int32)
    m = referral.leave_fold_out(r.hb, pred, r.threshold, one, folds, SENSITIVITY)
    if int((r.hb < r.threshold).sum()) < adapter_choice.MIN_ANAEMIC:
        m[:] = fallback
    return m


def _figures(
    r: adapter_choice.Rows, n: adapter_choice.Nested, coverage: float, fallback: float
) -> dict[str, float]:
    """Nested out-of-fold figures of the adapted model: error, interval coverage, referral."""
    hw = np.empty(len(r))
    for f in np.unique(n.folds):
        o, here = n.folds != f, n.folds == f
        edges, widths = adapter_choice.interval(r.take(np.flatnonzero(o)), n.pred[o], coverage)
        hw[here] = conformal.width_at(n.pred[here], edges, widths)
    m = _margins(r, n.pred, n.folds, fallback)
    anaemic, refer = r.hb < r.threshold, n.pred < r.threshold + m
    out = {
        "pearson_r_base": pearson(r.base, r.hb),
        "pearson_r": pearson(n.pred, r.hb),
        "auroc_base": auroc(anaemic, r.threshold - r.base),
        "auroc": auroc(anaemic, r.threshold - n.pred),
        "coverage": float(np.mean(np.abs(n.pred - r.hb) <= hw)),
        "anaemic": int(anaemic.sum()),
    }
    if anaemic.any() and (~anaemic).any():
        out |= {
            "sensitivity": float(refer[anaemic].mean()),
            "specificity": float(1 - refer[~anaemic].mean()),
        }
    return {k: round(v, 4) for k, v in out.items()}


def _baselines(
    r: adapter_choice.Rows, folds: np.ndarray, fallback: float
) -> dict[str, dict[str, float]]:
    """The training mean and the demographics line (age and sex) on the same outer folds,
    scored as the adapted model is, their referral from the same margin procedure."""
    one = np.full(len(r), "programme")
    who = demographics.from_meta(r.meta, one)
    c = baselines.Cohort(who, r.hb, r.threshold, one, one, folds, with_site=False)
    out = {}
    for name in baselines.BASELINES:
        pred = baselines.out_of_fold(name, c)
        margin = _margins(r, pred, folds, fallback)
        figs = population_figures(r.hb, pred, r.threshold, np.zeros(len(r)), margin)
        out[name] = {k: float(figs[k]) for k in baselines.KEYS if np.isfinite(figs[k])}
    return out


def measure(cohort: str, r: adapter_choice.Rows, seed: int, fallback_margin: float) -> CohortResult:
    """Nested CV of the procedure against the served model and the baselines on the same
    folds, and the kind chosen on all."""
    n = adapter_choice.nested(r, seed)
    kind, _ = adapter_choice.choose(r, seed)
    figures = _figures(r, n, 0.9, fallback_margin)
    mae_base = float(np.mean(np.abs(r.base - r.hb)))
    return CohortResult(
        cohort,
        len(r),
        round(mae_base, 4),
        round(n.mae(r), 4),
        kind,
        n.kinds,
        figures,
        n.pred,
        _baselines(r, n.folds, fallback_margin),
    )


def final(
    result: CohortResult,
    r: adapter_choice.Rows,
    *,
    seed: int,
    base_version: str,
    fallback: float,
    dataset: str,
    months: str,
) -> adapter.Model:
    """The chosen kind fitted on everyone, calibrated on the nested out-of-fold estimates."""
    fitted, pred = adapter_choice.fit(result.kind, r, seed), result.oof
    edges, widths = adapter_choice.interval(r, pred, 0.9)
    stamp = f"{datetime.now(UTC):%Y%m%d}"
    config = adapter.Config(
        cohort=result.cohort,
        kind=result.kind,
        a=fitted.a,
        b=fitted.b,
        base_version=base_version,
        bin_edges=edges,
        half_widths=widths,
        refer_margin=adapter_choice.margin(r, pred, SENSITIVITY, fallback),
        version=f"{base_version}+{dataset}-{stamp}"[:64],
        population=dataset,
        n=len(r),
        months=months,
    )
    return adapter.assemble(config, fitted.head)


def check_folders(base: Path, out: Path) -> None:
    """Refuse to overwrite the base or an earlier folder, or to adapt an adapted model."""
    if not (base / "ensemble.msgpack").is_file():
        raise AdaptError(f"no model weights in {base}")
    if any(adapter.exists(base, c.key) for c in populations.COHORTS):
        raise AdaptError(f"{base} holds an adapted model: adapt from the shipped weights")
    if out.resolve() == base.resolve() or (out.exists() and any(out.iterdir())):
        raise AdaptError(f"{out} is not an empty folder: write the adapted weights to a new one")


def months_of(csv_paths: tuple[Path, ...]) -> str:
    """The first and last screening month named in the export CSVs ('' when none)."""
    from bot.training.data.table import read_csv_rows

    found = sorted(
        m
        for p in csv_paths
        if p.suffix == ".csv"
        for row in read_csv_rows(p)
        if (m := row.get("month", ""))
    )
    return f"{found[0]}..{found[-1]}" if found else ""


def write(out: Path, base: Path, models: list[adapter.Model], result: AdaptResult) -> None:
    """The base weights, the adapters beside them, and the figures in metrics.json."""
    shutil.copytree(base, out, dirs_exist_ok=True)
    for m in models:
        adapter.save(m, out)
    path = out / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics["adapted"] = adapt_report.summary(result)
    path.write_text(json.dumps(metrics, indent=2) + "\n")


def _served(screener: Screener, cohort: populations.Cohort) -> tuple[str, float] | None:
    """The served model's version and referral margin; None when the folder has none."""
    if cohort is populations.CHILDREN:
        return screener.config.version, screener.config.refer_margin
    if screener.adult is None:
        return None
    return screener.adult.config.version, screener.adult.config.refer_margin


def run(paths: tuple[Path, ...], base: Path, out: Path, seed: int = 0) -> AdaptResult:
    """Adapt every cohort with enough people; write `out` only if some cohort gains."""
    check_folders(base, out)
    dataset, by = load(paths)
    screener, months = Screener(base), months_of(paths)
    results: list[CohortResult] = []
    models: list[adapter.Model] = []
    skipped: dict[str, int] = {}
    for cohort in populations.COHORTS:
        people, served = by[cohort.key], _served(screener, cohort)
        if len(people) < MIN_PEOPLE or served is None:
            skipped |= {cohort.key: len(people)} if people else {}
            continue
        r = rows(screener, people)
        res = measure(cohort.key, r, seed, served[1])
        results.append(res)
        if res.better:
            models.append(
                final(
                    res,
                    r,
                    seed=seed,
                    base_version=served[0],
                    fallback=served[1],
                    dataset=dataset,
                    months=months,
                )
            )
    versions = {m.config.cohort: m.config.version for m in models}
    result = AdaptResult(dataset, tuple(results), skipped, out if models else None, versions)
    if models:
        write(out, base, models, result)
        adapt_report.card(out / "ADAPTED_CARD.md", result, models)
    return result
