"""What a cross-validation run found: each cohort's out-of-fold estimates and the figures.

`bot.training.jobs` makes these; `bot.training.model_card` writes the cards from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.training import adults
from bot.training.data import DedupReport, Sample
from bot.training.evaluate import OutOfFold

Metrics = dict[str, object]


@dataclass(frozen=True)
class ChildCv:
    samples: list[Sample]
    oof: OutOfFold
    margin: np.ndarray  # referral margin per row, chosen on the other folds


@dataclass(frozen=True)
class AdultCv:
    samples: list[Sample]
    table: adults.Table
    folds: np.ndarray  # the first split's (seed `Job.seed`), as are the estimates below
    calibrated: adults.Calibrated
    figures: dict[str, dict[str, object]]  # per population, means over `Job.repeats` splits
    # each adult's occlusion share (`attention_lower_half`) from the first split's fold model
    shares: np.ndarray | None = None


@dataclass(frozen=True)
class CvResult:
    dedup: DedupReport
    children: ChildCv | None
    adults: AdultCv | None
    metrics: Metrics
    report: Path
