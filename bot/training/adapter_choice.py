"""Adapting a served model to a programme's people from their lab-confirmed photos, chosen by
measurement on the programme's data only.

`choose` picks, by K-fold cross-validation on the rows it is given, one of `model.adapter`'s
kinds or none (the base model as it is); `fit` fits that kind on all the rows. `nested`
measures the whole procedure (choice included) on folds it never saw, which is what the job
(`bot.training.adapt_job`) compares with the base model before it writes anything, and what
the interval and referral margin are calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import adapter, conformal, referral, svr

NONE = "none"  # keep the base model
FOLDS = 5
MIN_TWO_BINS = 40  # below this, one interval width for all estimates (too few per bin)
MIN_ANAEMIC = 5  # below this, the referral margin stays the base model's


@dataclass(frozen=True)
class Rows:
    """A programme's people of one cohort: the base model's estimate and what it saw."""

    base: np.ndarray  # (N,) g/dL
    colour: np.ndarray  # (N, F) `model.features.colour_features`
    meta: np.ndarray  # (N, 4) `model.preprocess.meta_vector`
    hb: np.ndarray  # (N,) lab g/dL
    threshold: np.ndarray  # (N,) WHO cut-off of each person, g/dL

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(
            self.base[idx], self.colour[idx], self.meta[idx], self.hb[idx], self.threshold[idx]
        )

    def __len__(self) -> int:
        return len(self.hb)


@dataclass(frozen=True)
class Fitted:
    kind: str  # a kind of `model.adapter.KINDS`, or NONE
    a: float = 0.0
    b: float = 1.0
    head: svr.Model | None = None

    def predict(self, rows: Rows) -> np.ndarray:
        out = self.a + self.b * rows.base
        return out if self.head is None else out + svr.predict(self.head, rows.colour, rows.meta)


def fit(kind: str, rows: Rows, seed: int) -> Fitted:
    """One kind fitted on every row (NONE: the base model unchanged)."""
    if kind == "offset":
        return Fitted(kind, a=float(np.mean(rows.hb - rows.base)))
    if kind == "linear":
        b = np.polyfit(rows.base, rows.hb, 1)[0] if np.ptp(rows.base) > 0 else 1.0
        b = float(np.clip(b, 0.0, 2.0))  # a steeper or inverted slope is noise at these n
        return Fitted(kind, a=float(np.mean(rows.hb - b * rows.base)), b=b)
    if kind == "residual":
        head = svr.fit(svr.Config(), rows.colour, rows.meta, rows.hb - rows.base, seed)
        return Fitted(kind, head=head)
    if kind == "local":
        return Fitted(
            kind, a=0.0, b=0.0, head=svr.fit(svr.Config(), rows.colour, rows.meta, rows.hb, seed)
        )
    return Fitted(NONE)


def folds_of(rows: Rows, k: int, seed: int) -> np.ndarray:
    """K folds stratified by lab Hb (each person is one row: `storage.export` sees to it)."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(rows)), rows.hb))
    folds = np.empty(len(rows), np.int32)
    for start in range(0, len(rows), k):
        block = order[start : start + k]
        folds[block] = rng.permutation(k)[: len(block)]
    return folds


def out_of_fold(kind: str, rows: Rows, folds: np.ndarray, seed: int) -> np.ndarray:
    pred = np.empty(len(rows))
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        pred[te] = fit(kind, rows.take(np.flatnonzero(tr)), seed).predict(
            rows.take(np.flatnonzero(te))
        )
    return pred


def choose(rows: Rows, seed: int) -> tuple[str, dict[str, float]]:
    """The kind (or NONE) with the lowest cross-validated MAE on these rows, and every MAE."""
    folds = folds_of(rows, min(FOLDS, len(rows)), seed)
    mae = {NONE: float(np.mean(np.abs(rows.base - rows.hb)))}
    for kind in adapter.KINDS:
        mae[kind] = float(np.mean(np.abs(out_of_fold(kind, rows, folds, seed) - rows.hb)))
    return min(mae, key=mae.__getitem__), mae


def choose_and_fit(rows: Rows, seed: int) -> Fitted:
    """`choose` on these rows, then the chosen kind fitted on all of them."""
    return fit(choose(rows, seed)[0], rows, seed)


@dataclass(frozen=True)
class Nested:
    """The adaptation procedure measured on folds it never saw."""

    pred: np.ndarray  # out-of-fold adapted estimates
    folds: np.ndarray
    kinds: tuple[str, ...]  # chosen in each outer fold

    def mae(self, rows: Rows) -> float:
        return float(np.mean(np.abs(self.pred - rows.hb)))


def nested(rows: Rows, seed: int) -> Nested:
    """Outer K-fold: in each, choose and fit on the other folds, estimate this one."""
    folds = folds_of(rows, FOLDS, seed)
    pred, kinds = np.empty(len(rows)), list[str]()
    for f in range(FOLDS):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        fitted = choose_and_fit(rows.take(tr), seed)
        pred[te], kinds = fitted.predict(rows.take(te)), [*kinds, fitted.kind]
    return Nested(pred, folds, tuple(kinds))


def interval(rows: Rows, pred: np.ndarray, coverage: float) -> tuple[tuple[float, ...], ...]:
    """(bin edges, half-widths) from out-of-fold residuals; one bin below MIN_TWO_BINS rows."""
    if len(rows) >= MIN_TWO_BINS:
        return conformal.binned(pred - rows.hb, pred, coverage)
    return (), (round(conformal.half_width(pred - rows.hb, coverage), 4),)


def margin(rows: Rows, pred: np.ndarray, sensitivity: float, fallback: float) -> float:
    """The referral margin for `sensitivity` on out-of-fold estimates; the base model's when
    too few anaemic people were seen to choose one."""
    if int((rows.hb < rows.threshold).sum()) < MIN_ANAEMIC:
        return fallback
    one = np.zeros(len(rows), dtype=np.int32)
    return referral.margin_for(rows.hb, pred, rows.threshold, one, sensitivity)
