"""The `cv` and `train` jobs: load, de-duplicate, fold, evaluate, and build the shipped weights."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import model_card, report
from bot.data import DedupReport, Sample, deduplicate, make_folds, sources
from bot.evaluate import OutOfFold, cross_validate, fit_members, prepare, shipped_metrics
from model import colour, conformal, ensemble, train


@dataclass(frozen=True)
class Job:
    """What a cv/train run was asked to do."""

    data: Path
    out: Path
    folds: int = 5
    seed: int = 0
    group_by: str | None = None  # "hospital": hold out whole sites
    epochs: int | None = None  # override TrainConfig.epochs (quick checks)
    members: int | None = None  # override the ensemble size (quick checks)

    def configs(self) -> tuple[ensemble.Config, train.TrainConfig]:
        ec, tc = ensemble.Config(), train.TrainConfig()
        if self.members:
            ec = dataclasses.replace(ec, members=self.members)
        if self.epochs:
            tc = dataclasses.replace(tc, epochs=self.epochs)
        return ec, tc


@dataclass(frozen=True)
class CvResult:
    oof: OutOfFold
    dedup: DedupReport
    samples: list[Sample]
    metrics: dict[str, float | int | str | None]
    report: Path


def load_samples(path: Path) -> tuple[list[Sample], DedupReport]:
    """Every labelled image under `path`, de-duplicated by content."""
    return deduplicate(sources.load_any(path))


def describe(job: Job) -> str:
    """One paragraph on how the folds were made and which configuration ran."""
    ec, tc = job.configs()
    split = "whole hospitals held out" if job.group_by else "stratified by Hb"
    return (
        f"{job.folds}-fold cross-validation, seed {job.seed}, folds by image content "
        f"({split}; identical images always share a fold). CNN {ec.cnn.height}x{ec.cnn.width}, "
        f"channels {ec.cnn.channels}, {ec.members} seeds averaged, {tc.epochs} epochs, "
        f"AdamW lr {tc.learning_rate} with cosine decay, Huber loss."
    )


class DataError(ValueError):
    """The data cannot be used as given (unknown layout, too few images or groups)."""


def run_cv(job: Job) -> CvResult:
    """Cross-validate all four models and write the report beside its figures."""
    try:
        samples, dedup = load_samples(job.data)
        folds = make_folds(samples, k=job.folds, seed=job.seed, by_group=job.group_by is not None)
    except ValueError as e:
        raise DataError(str(e)) from e
    if len(samples) < 2 * job.folds:
        raise DataError(f"{len(samples)} usable images are too few for {job.folds} folds")
    ec, tc = job.configs()
    oof = cross_validate(samples, folds, config=ec, tc=tc, seed=job.seed)
    metrics = shipped_metrics(oof, seed=job.seed, k=job.folds, group_by=job.group_by)
    path = report.write(
        oof, dedup, out=job.out, how=describe(job), threshold=ec.attention_threshold
    )
    return CvResult(oof, dedup, samples, metrics, path)


def run_train(job: Job, weights: Path) -> CvResult:
    """Cross-validate (for the interval width and the figures), then fit on all the data."""
    cv = run_cv(job)
    ec, tc = job.configs()
    residuals = cv.oof.preds["ensemble"] - cv.oof.hb
    version = f"cnn-ens{ec.members}-{datetime.now(UTC):%Y%m%d}-seed{job.seed}"
    ec = dataclasses.replace(
        ec, half_width=round(conformal.half_width(residuals, ec.coverage), 4), version=version
    )
    data = prepare(cv.samples, ec.cnn)
    members = fit_members(ec, tc, data, job.seed, desc="final")
    ensemble.save(ensemble.assemble(ec, members), weights)
    colour.save(colour.fit(colour.Config(), data.colour, data.meta, data.hb), weights)
    (weights / "metrics.json").write_text(json.dumps(cv.metrics, indent=2) + "\n")
    model_card.write(weights / "MODEL_CARD.md", cv, ec, how=describe(job))
    return cv
