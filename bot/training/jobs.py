"""The `cv`, `train` and `calibrate` jobs: load every dataset, split the people by the cohort
whose model serves them (`bot.pipeline.populations`), cross-validate each cohort's model by patient,
report every population separately, and build or recalibrate the shipped weights.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.pipeline import populations
from bot.pipeline.risk import cutoff
from bot.training import adults, attention, baselines, oof_store, report
from bot.training.cv_results import AdultCv, ChildCv, CvResult, Metrics
from bot.training.data import (
    FOLD_RULE,
    DedupReport,
    Photos,
    Sample,
    keep_one,
    make_folds,
    photo_groups,
    sources,
)
from bot.training.evaluate import (
    by_population,
    cross_validate,
    mean_over_repeats,
    shipped_metrics,
)
from model import adult, ensemble, referral, train


@dataclass(frozen=True)
class Job:
    """What a cv/train run was asked to do."""

    data: tuple[Path, ...]
    out: Path
    folds: int = 5
    seed: int = 0
    group_by: str | None = None  # "hospital": hold out whole sites
    epochs: int | None = None  # override TrainConfig.epochs (quick checks)
    members: int | None = None  # override the ensemble size (quick checks)
    repeats: int = 5  # adults: fold splits averaged (the children's CNN is too slow to repeat)
    cohorts: tuple[str, ...] = ()  # cross-validate only these (`populations.Cohort.key`); all: ()
    reuse_oof: Path | None = None  # children: an earlier run's `oof.npz` (`oof_store`)

    def configs(self) -> tuple[ensemble.Config, train.TrainConfig]:
        ec, tc = ensemble.Config(), train.TrainConfig()
        if self.members:
            ec = dataclasses.replace(ec, members=self.members)
        if self.epochs:
            tc = dataclasses.replace(tc, epochs=self.epochs)
        return ec, tc


class DataError(ValueError):
    """The data cannot be used as given (unknown layout, too few images or groups)."""


def load_photos(paths: tuple[Path, ...]) -> tuple[Photos, list[Sample], DedupReport]:
    """Every labelled image under the paths marked with its photograph, and one per photograph
    (copies found in every form, conflicting labels dropped: `data.keep_one`)."""
    photos = photo_groups([s for p in paths for s in sources.load_any(p)])
    kept, report = keep_one(photos)
    return photos, kept, report


def load_samples(paths: tuple[Path, ...]) -> tuple[list[Sample], DedupReport]:
    """One labelled image per photograph under the paths (`load_photos`)."""
    _, kept, report = load_photos(paths)
    return kept, report


def split(samples: list[Sample]) -> dict[str, list[Sample]]:
    """Samples by the cohort whose model they train; ages no model serves are left out."""
    out: dict[str, list[Sample]] = {c.key: [] for c in populations.COHORTS}
    for s in samples:
        if (c := populations.cohort_of_sample(s.age_months, s.sex)) is not None:
            out[c.key].append(s)
    return out


def usable(samples: list[Sample], job: Job) -> dict[str, list[Sample]]:
    """The cohorts `job` cross-validates: asked for (all if none named), with two images per
    fold at least."""
    cohorts = split(samples)
    out = {
        k: v
        for k, v in cohorts.items()
        if len(v) >= 2 * job.folds and (not job.cohorts or k in job.cohorts)
    }
    if not out:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in cohorts.items())
        raise DataError(f"too few usable images for {job.folds} folds in any cohort ({sizes})")
    return out


def describe(job: Job) -> str:
    """One paragraph on how the folds were made and which configurations ran."""
    ec, tc = job.configs()
    split_by = (
        "whole hospitals held out, hospitals sharing a photo merged"
        if job.group_by
        else "stratified by Hb"
    )
    return (
        f"{job.folds}-fold cross-validation, seed {job.seed}, {FOLD_RULE} ({split_by}; "
        "one image per patient). `anemia-screen folds` writes each image's fold. Children: "
        f"CNN {ec.cnn.height}x{ec.cnn.width}, channels {ec.cnn.channels}, {ec.members} seeds "
        f"averaged, {tc.epochs} epochs, AdamW lr {tc.learning_rate} with cosine decay, Huber "
        "loss. Adults: a least-squares line on age and sex plus, for what it leaves, the mean "
        "of RBF support-vector regression (C and epsilon chosen by 5-fold search inside each "
        "training fold) and extremely randomised trees on colour statistics, age and sex; each "
        "site's interval calibrated on its own people; adults' figures "
        f"are means over {job.repeats} fold splits (seeds {job.seed} to "
        f"{job.seed + job.repeats - 1}), their SD over the splits under `sd`."
    )


def fold_split(samples: list[Sample], job: Job, seed: int) -> np.ndarray:
    """Fold per sample of one cohort for one fold split (`--seed`; adults' repeats add 1 each)."""
    try:
        return make_folds(samples, k=job.folds, seed=seed, by_group=job.group_by is not None)
    except ValueError as e:
        raise DataError(str(e)) from e


def _children_cv(samples: list[Sample], job: Job) -> ChildCv:
    ec, tc = job.configs()
    folds = fold_split(samples, job, job.seed)
    if job.reuse_oof is not None:
        try:
            oof = oof_store.load_children(job.reuse_oof, samples, folds, ec, tc)
        except (OSError, KeyError, oof_store.StaleOutOfFold) as e:
            raise DataError(f"cannot reuse {job.reuse_oof}: {e}") from e
    else:
        oof = cross_validate(samples, folds, config=ec, tc=tc, seed=job.seed)
    thr = np.array([cutoff(s.age_months, s.sex) for s in samples])
    pops = np.array([s.population for s in samples])
    margin = referral.leave_fold_out(
        oof.hb, oof.preds["ensemble"], thr, pops, oof.folds, adults.SENSITIVITY
    )
    return ChildCv(samples, oof, margin)


def _adults_cv(samples: list[Sample], job: Job) -> AdultCv:
    """The adults' model over `job.repeats` fold splits (seeds seed, seed + 1, ...): the
    figures are means over them; the first split's estimates calibrate the shipped model."""
    t, runs, shares = adults.table(samples), [], None
    for seed in range(job.seed, job.seed + job.repeats):
        folds = fold_split(samples, job, seed)
        pred, models = adults.out_of_fold_models(t, folds, seed)
        if shares is None:  # the first split's: the estimates stored and calibrated on
            shares = attention.adult_shares(samples, t.meta, models, folds)
        runs.append((folds, adults.calibrate_oof(t, folds, pred, adult.Config().coverage)))
    figures = mean_over_repeats([_adult_figures(t, cal) for _, cal in runs])
    more = baselines.mean_extras([baselines.of_adults(t, f, cal) for f, cal in runs])
    merged = baselines.merged(figures, more, with_site=True)
    return AdultCv(samples, t, runs[0][0], runs[0][1], merged, shares)


def child_columns(c: ChildCv) -> tuple[np.ndarray, ...]:
    s = c.samples
    thr = np.array([cutoff(x.age_months, x.sex) for x in s])
    return (c.oof.hb, c.oof.preds["ensemble"], thr, c.oof.half_width("ensemble"), c.margin)


def population_metrics(children: ChildCv | None, grown: AdultCv | None) -> dict[str, Any]:
    """`populations` for metrics.json: each population scored by the model serving it."""
    pops: dict[str, Any] = {}
    if children is not None:
        s = children.samples
        kinds, sets = (np.array([getattr(x, k) for x in s]) for k in ("population", "dataset"))
        own = by_population(kinds, sets, child_columns(children))
        pops.update(baselines.merged(own, baselines.of_children(children), with_site=False))
        oof = children.oof
        if oof.attention is not None:
            err = np.abs(oof.preds["ensemble"] - oof.hb)
            attention.add_to(pops, attention.by_population(oof.attention, err, kinds, sets, 0))
    if grown is not None:
        pops.update(grown.figures)
        t, err = grown.table, np.abs(grown.calibrated.pred - grown.table.hb)
        if grown.shares is not None:
            found = attention.by_population(grown.shares, err, t.population, t.dataset, 0)
            attention.add_to(pops, found)
    return pops


def _adult_figures(t: adults.Table, cal: adults.Calibrated) -> dict[str, dict[str, float | int]]:
    """Each site's figures with its own interval, and the coverage of the served one."""

    def figures(width: np.ndarray) -> dict[str, dict[str, float | int]]:
        return by_population(
            t.population, t.dataset, (t.hb, cal.pred, t.threshold, width, cal.margin)
        )

    own, served = figures(cal.half_width), figures(cal.served_half_width)
    return {
        k: {
            **m,
            "coverage_served": served[k]["coverage"],
            "coverage_anaemic_served": served[k]["coverage_anaemic"],
            "half_width_served": served[k]["half_width"],
        }
        for k, m in own.items()
    }


def run_cv(job: Job) -> CvResult:
    """Cross-validate each cohort's model present in the data; write the report."""
    try:
        samples, dedup = load_samples(job.data)
    except ValueError as e:
        raise DataError(str(e)) from e
    served = [s for v in split(samples).values() if len(v) >= 2 * job.folds for s in v]
    runs = usable(samples, job)
    children = _children_cv(runs["children"], job) if "children" in runs else None
    grown = _adults_cv(runs["adults"], job) if "adults" in runs else None
    metrics: Metrics = {}
    if children is not None:
        metrics.update(
            shipped_metrics(children.oof, seed=job.seed, k=job.folds, group_by=job.group_by)
        )
    metrics["populations"] = pops = population_metrics(children, grown)
    included = {k: float(m["mae"]) for k, m in pops.items()}
    if loso := adults.leave_site_out_figures(served, included, job.seed):
        metrics["leave_one_site_out"] = loso
    ec, tc = job.configs()
    _save_out_of_fold(job.out, children, grown, oof_store.fingerprint(ec, tc))
    path = report.write(
        children.oof if children else None,
        dedup,
        out=job.out,
        how=describe(job),
        populations=metrics,
    )
    return CvResult(dedup, children, grown, metrics, path)


def _save_out_of_fold(
    out: Path, children: ChildCv | None, grown: AdultCv | None, print_: str
) -> None:
    """`oof.npz` beside the report: every image's out-of-fold estimate, for later analysis."""
    arrays: dict[str, np.ndarray] = {}
    if children is not None:
        arrays |= oof_store.children_arrays(children.samples, children.oof, children.margin, print_)
    if grown is not None:
        arrays |= {
            "adults_key": np.array([s.key for s in grown.samples]),
            "adults_hb": grown.table.hb,
            "adults_fold": grown.folds,
            "adults_pred": grown.calibrated.pred,
            "adults_margin": grown.calibrated.margin,
            "adults_half_width": grown.calibrated.half_width,
            "adults_served_half_width": grown.calibrated.served_half_width,
        }
        if grown.shares is not None:
            arrays["adults_attention"] = grown.shares
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "oof.npz", **arrays)  # type: ignore[arg-type]
