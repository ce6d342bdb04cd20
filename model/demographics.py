"""The demographics line: Hb from what is known of a person without any photo (age, sex and,
where there are several, the site), by ordinary least squares. It is the yardstick every photo
model is held to: a photo earns its place only where it beats this line by a clear margin.

Missing values: an unknown age or sex takes the mean of the rows the line is fitted on (sex
coded 1 for a man, 0 for a woman, so the mean is the share of men), and a 0/1 column flags the
rows where it was unknown, when any fitted row lacks it (scikit-learn's `SimpleImputer` with
`add_indicator`). A site the fitted rows never had gets no site term. Age enters in years,
as a straight line: Hb does not follow age in a line over a lifetime, but within each
cohort's ages (6-59 months; adults) a line is what a programme would try first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

CLEAR_MAE = 0.10  # g/dL: the photo earns its place when its MAE is lower than the line's by this
CLEAR_AUROC = 0.05  # ... or its AUROC at the WHO cut-off higher by this (issue 31's margins)


@dataclass(frozen=True)
class People:
    """What is known of N people without a photo."""

    age_months: np.ndarray  # (N,) float, NaN where unknown
    male: np.ndarray  # (N,) 1.0 man, 0.0 woman, NaN unknown
    site: np.ndarray  # (N,) str; one value throughout where there is one site

    def take(self, idx: np.ndarray) -> People:
        return People(self.age_months[idx], self.male[idx], self.site[idx])

    def design(self) -> np.ndarray:
        """(N, 3) object array: age in years, male, site (what `line` reads)."""
        return np.column_stack([self.age_months / 12.0, self.male, self.site]).astype(object)


def people(
    age_months: Sequence[float | None],
    sex: Sequence[str | None],
    site: Sequence[str | None] | None = None,
) -> People:
    """`People` from plain values: sex "m" or "f" (anything else unknown)."""
    ages = np.array([np.nan if a is None else float(a) for a in age_months], np.float64)
    male = np.array([{"m": 1.0, "f": 0.0}.get(s or "", np.nan) for s in sex], np.float64)
    sites = np.array(["" if s is None else s for s in (site or [None] * len(ages))], dtype=str)
    return People(ages, male, sites)


def from_meta(meta: np.ndarray, site: np.ndarray) -> People:
    """`People` from rows of `model.preprocess.meta_vector` (age years, age known, f, m)."""
    known_age = meta[:, 1] > 0
    known_sex = (meta[:, 2] + meta[:, 3]) > 0
    return People(
        np.where(known_age, meta[:, 0] * 12.0, np.nan).astype(np.float64),
        np.where(known_sex, meta[:, 3], np.nan).astype(np.float64),
        np.asarray(site, dtype=str),
    )


def line(*, with_site: bool) -> Pipeline:
    """The unfitted line: imputation as the module says, then least squares."""
    known = SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True)
    parts: list[tuple[str, object, list[int]]] = [("known", known, [0, 1])]
    if with_site:
        parts.append(("site", OneHotEncoder(handle_unknown="ignore"), [2]))
    return make_pipeline(ColumnTransformer(parts), LinearRegression())


def fit_predict(train: People, hb: np.ndarray, test: People, *, with_site: bool) -> np.ndarray:
    """The line fitted on `train` and evaluated on `test`, g/dL."""
    fitted = line(with_site=with_site).fit(train.design(), np.asarray(hb, np.float64))
    return np.asarray(fitted.predict(test.design()), np.float64)


def leave_one_out(p: People, hb: np.ndarray) -> np.ndarray:
    """Each person's estimate from the line fitted on everyone else (one site: no site term)."""
    y = np.asarray(hb, np.float64)
    return np.asarray(
        cross_val_predict(line(with_site=False), p.design(), y, cv=LeaveOneOut()), np.float64
    )


def clearly_better(
    mae_photo: float, mae_line: float, auroc_photo: float = np.nan, auroc_line: float = np.nan
) -> bool:
    """Whether the photo model beats the line by a clear margin: MAE lower by `CLEAR_MAE`, or
    AUROC higher by `CLEAR_AUROC` (an AUROC that is NaN, not measurable, never counts)."""
    by_error = mae_photo <= mae_line - CLEAR_MAE + 1e-9  # 1e-9: figures rounded to 4 places
    return bool(by_error or auroc_photo >= auroc_line + CLEAR_AUROC - 1e-9)
