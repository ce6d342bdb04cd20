"""The field's yardstick: on the lab-confirmed cases of each population, the photo's error
against that of a least-squares line on age and sex alone (`model.demographics`), each case
estimated by the line fitted on the other cases (leave-one-out), so a programme sees whether
on its own people the photo beats what age and sex tell. Shown by /stats and `stats`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.pipeline import lazy
from storage.stats import Pair

# imported on first use (/stats), not when the bot starts: scikit-learn is seconds and tens of MB
demographics = lazy.module("model.demographics")

MIN_CASES = 10  # fewer lab-confirmed cases in a population: a fitted line is mostly noise


@dataclass(frozen=True)
class FieldBaseline:
    """One population's lab-confirmed cases: the photo's MAE and the line's, g/dL."""

    population: str
    n: int
    mae_photo: float
    mae_line: float

    @property
    def photo_adds(self) -> bool:
        """Whether the photo's MAE is lower than the line's by a clear margin."""
        return demographics.clearly_better(self.mae_photo, self.mae_line)


def field_baselines(pairs: Sequence[Pair]) -> list[FieldBaseline]:
    """Per population with `MIN_CASES` lab values or more, in order of first appearance."""
    groups: dict[str, list[Pair]] = {}
    for p in pairs:
        groups.setdefault(p.population, []).append(p)
    out = []
    for population, ps in groups.items():
        if len(ps) < MIN_CASES:
            continue
        lab = np.array([p.lab for p in ps])
        who = demographics.people([p.age_months for p in ps], [p.sex for p in ps])
        line = demographics.leave_one_out(who, lab)
        photo = np.array([p.estimate for p in ps])
        out.append(
            FieldBaseline(
                population,
                len(ps),
                float(np.abs(photo - lab).mean()),
                float(np.abs(line - lab).mean()),
            )
        )
    return out
