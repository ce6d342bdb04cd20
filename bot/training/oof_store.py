"""The children's out-of-fold CNN estimates on disk (`oof.npz` beside a `cv` report), so a
later `cv`/`train --reuse-oof` can score them again without an hour of retraining.

Reuse is refused unless the same images (keys, in order), the same folds and the same ensemble
and training configurations made them: a reused estimate is then exactly the one a fresh run
with this seed would give up to floating-point nondeterminism.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.training.data import Sample
from bot.training.evaluate import MODELS, OutOfFold
from model import ensemble, train


class StaleOutOfFold(ValueError):
    """The stored estimates were made on other images, folds or configurations."""


def fingerprint(config: ensemble.Config, tc: train.TrainConfig) -> str:
    """What must match for stored estimates to stand for this run (calibration excluded)."""
    cfg = dataclasses.replace(config, half_width=0.0, refer_margin=0.0, version="", population="")
    fields = dataclasses.asdict(cfg)
    fields.pop("attention_mae")  # set after the CV, like the interval: not in older prints
    return json.dumps([fields, dataclasses.asdict(tc)], sort_keys=True)


def children_arrays(
    samples: Sequence[Sample], oof: OutOfFold, margin: np.ndarray, print_: str
) -> dict[str, np.ndarray]:
    """The arrays `oof.npz` keeps for the children (every model's estimate, Grad-CAM share)."""
    arrays = {
        "children_key": np.array([s.key for s in samples]),
        "children_hb": oof.hb,
        "children_fold": oof.folds,
        "children_pred": oof.preds["ensemble"],
        "children_margin": margin,
        "children_config": np.array(print_),
    }
    arrays |= {f"children_pred_{name}": oof.preds[name] for name in oof.preds}
    if oof.attention is not None:
        arrays["children_attention"] = oof.attention
    return arrays


def load_children(
    path: Path,
    samples: Sequence[Sample],
    folds: np.ndarray,
    config: ensemble.Config,
    tc: train.TrainConfig,
) -> OutOfFold:
    """The stored children's estimates for exactly these samples and folds."""
    with np.load(path) as z:
        stored = {k: z[k] for k in z.files}
    keys = [s.key for s in samples]
    if "children_config" not in stored or str(stored["children_config"]) != fingerprint(config, tc):
        raise StaleOutOfFold(f"{path}: made with another configuration (or an older version)")
    if stored["children_key"].tolist() != keys:
        raise StaleOutOfFold(f"{path}: made on other images")
    if not np.array_equal(stored["children_fold"], folds):
        raise StaleOutOfFold(f"{path}: made on other folds")
    ages = np.array([np.nan if s.age_months is None else s.age_months for s in samples])
    hb = np.array([s.hb for s in samples], np.float32)
    oof = OutOfFold(hb=hb, age_months=ages, folds=folds, coverage=config.coverage)
    oof.preds = {name: stored[f"children_pred_{name}"] for name in MODELS}
    oof.attention = stored.get("children_attention")
    return oof
