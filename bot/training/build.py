"""`train`: cross-validate, then build the shipped weights from all the data (or, with
`refit_children=False`, renew the children's calibration only), their cards, programs and
metrics.json, and the README's generated figures."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.training import adults, attention, model_card
from bot.training import readme as readme_block
from bot.training.cv_results import ChildCv, CvResult, Metrics
from bot.training.data import Sample
from bot.training.evaluate import fit_members, prepare
from bot.training.jobs import Job, child_columns, describe, run_cv
from model import adult, conformal, ensemble, export, referral


def _population_name(samples: list[Sample]) -> str:
    return "+".join(sorted({s.dataset for s in samples}))


def _calibrated_children(
    c: ChildCv, ec: ensemble.Config, version: str, metrics: Metrics
) -> ensemble.Config:
    oof, pred = c.oof, c.oof.preds["ensemble"]
    thr, pops = child_columns(c)[2], np.array([s.population for s in c.samples])
    name = _population_name(c.samples)
    cfg = dataclasses.replace(
        ec,
        half_width=round(conformal.half_width(pred - oof.hb, ec.coverage), 4),
        refer_margin=referral.margin_for(oof.hb, pred, thr, pops, adults.SENSITIVITY),
        version=version,
        population=name,
    )
    # no shares measured (an older run reused): the warning stays as the config has it
    if oof.attention is None:
        return cfg
    return _with_warning(cfg, attention.config_fields(metrics, name))


def _with_warning(cfg: ensemble.Config, fields: dict[str, float | None]) -> ensemble.Config:
    """`cfg` with the low-attention warning's fields set."""
    return dataclasses.replace(
        cfg,
        attention_threshold=fields["attention_threshold"],
        attention_mae=fields["attention_mae"],
    )


def _merged(weights: Path, cv: CvResult) -> CvResult:
    """`cv` with metrics.json's figures: this run's over what earlier runs left (another
    cohort's populations, the whole-photo figures of `python -m studies.whole_photos`)."""
    path = weights / "metrics.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    new = {**old, **cv.metrics}
    for key in ("populations", "leave_one_site_out"):  # a run of one cohort keeps the other's
        new[key] = {**old.get(key, {}), **cv.metrics.get(key, {})}  # type: ignore[dict-item]
    return dataclasses.replace(cv, metrics=new)


def run_train(
    job: Job, weights: Path, *, refit_children: bool = True, readme: Path | None = None
) -> CvResult:
    """Cross-validate (for the figures, intervals and referral margins), then fit each cohort's
    model on all its data. Without `refit_children` the children's shipped members are kept
    and only their calibration (interval, referral margin) is renewed from this CV. With
    `readme`, its generated figures are rewritten from the new metrics.json."""
    cv = run_cv(job)
    every = _merged(weights, cv)  # the cards show the other cohort's figures too
    ec, tc = job.configs()
    stamp = f"{datetime.now(UTC):%Y%m%d}-seed{job.seed}"
    if cv.children is not None:
        if refit_children:
            cfg = _calibrated_children(cv.children, ec, f"cnn-ens{ec.members}-{stamp}", cv.metrics)
            data = prepare(cv.children.samples, ec.cnn)
            ens = ensemble.assemble(cfg, fit_members(cfg, tc, data, job.seed, desc="final"))
        else:
            ens = ensemble.load(weights)
            cfg = _calibrated_children(cv.children, ens.config, ens.config.version, cv.metrics)
            ens = ensemble.assemble(cfg, list(ens.members))
        ensemble.save(ens, weights)
        model_card.write(weights / "MODEL_CARD.md", every, cfg, how=describe(job))
    if (a := cv.adults) is not None:
        name = _population_name(a.samples)
        model = adults.final(
            a.table, a.calibrated.pred, seed=job.seed, version=f"svr-trees-{stamp}", population=name
        )
        if a.shares is not None:
            model = adult.with_calibration(model, **attention.config_fields(cv.metrics, name))
        adult.save(model, weights)
        model_card.write_adults(weights / "ADULTS_CARD.md", every, model.config, how=describe(job))
    weights.mkdir(parents=True, exist_ok=True)
    export.export(weights)  # the programs serving calls, made again from the new weights
    (weights / "metrics.json").write_text(json.dumps(every.metrics, indent=2) + "\n")
    if readme is not None:
        readme_block.rewrite(readme, every.metrics)
    return cv
