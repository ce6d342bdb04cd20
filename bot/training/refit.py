"""`train --refit`: fit the children's networks again on all their data, keeping the interval,
referral margin and figures an earlier cross-validation of the same data and configuration
wrote. The cross-validation measures the training procedure; this job applies that procedure
to every image, so the shipped networks are the ones the figures describe without running the
two-hour cross-validation a second time."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.training.data import Sample
from bot.training.evaluate import fit_members, prepare
from bot.training.jobs import DataError, Job, load_samples, usable
from model import ensemble, export


def _same_run(metrics: dict[str, Any], children: list[Sample], job: Job) -> list[str]:
    """How metrics.json's cross-validation differs from the one `job` would run (none: [])."""
    asked = {"n": len(children), "folds": job.folds, "seed": job.seed, "group_by": job.group_by}
    return [
        f"{k} {metrics.get(k)!r} there, {v!r} here" for k, v in asked.items() if metrics.get(k) != v
    ]


def _checked(weights: Path, children: list[Sample], job: Job) -> ensemble.Config:
    """The shipped children's config, once its figures are shown to fit this data and job."""
    path = weights / "metrics.json"
    if not (weights / "ensemble.msgpack").is_file() or not path.is_file():
        raise DataError(
            f"--refit needs calibrated children's weights and metrics.json in {weights}"
        )
    if differs := _same_run(json.loads(path.read_text()), children, job):
        raise DataError(
            "--refit keeps figures from another cross-validation ("
            + "; ".join(differs)
            + "): run train without --refit"
        )
    shipped = ensemble.load(weights).config
    ec, _ = job.configs()
    if (shipped.cnn, shipped.members) != (ec.cnn, ec.members):
        raise DataError("--refit: the shipped networks were calibrated for another configuration")
    return shipped


def _retitle(card: Path, old: str, new: str) -> None:
    """The model card's title names the new version; the rest describes the same procedure."""
    if card.is_file():
        lines = card.read_text().split("\n")
        lines[0] = lines[0].replace(f"`{old}`", f"`{new}`")
        card.write_text("\n".join(lines))


def run_refit(job: Job, weights: Path) -> ensemble.Config:
    """Fit the children's members on every usable child image; keep the calibration."""
    try:
        samples, _ = load_samples(job.data)
    except ValueError as e:
        raise DataError(str(e)) from e
    children = usable(samples, dataclasses.replace(job, cohorts=("children",))).get("children")
    if not children:
        raise DataError("--refit: no children's images in the data")
    shipped = _checked(weights, children, job)
    _, tc = job.configs()
    cfg = dataclasses.replace(
        shipped, version=f"cnn-ens{shipped.members}-{datetime.now(UTC):%Y%m%d}-seed{job.seed}"
    )
    members = fit_members(cfg, tc, prepare(children, cfg.cnn), job.seed, desc="final")
    ensemble.save(ensemble.assemble(cfg, members), weights)
    _retitle(weights / "MODEL_CARD.md", shipped.version, cfg.version)
    export.export(weights)
    return cfg
