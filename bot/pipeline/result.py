"""What a screening found: one model's estimate, the screening as the person is told it (codes
and values only; `bot.texts` makes the words), and the rules that read it: the referral, the
advice and the warnings. No model and no image work: the bot's process imports this."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.pipeline import reading
from bot.pipeline.risk import Risk


@dataclass(frozen=True)
class Estimate:
    """One model's answer on a conjunctiva crop, before the WHO table is applied."""

    hb: float  # g/dL
    half_width: float  # g/dL, of the interval at `coverage`
    coverage: float
    refer_margin: float  # g/dL above the cut-off below which the person is referred
    attention_lower_half: float | None  # its map's share on the lower half of the lining
    overlay_jpeg: bytes
    model_version: str
    population: str  # whose validation figures apply
    attention_threshold: float | None = None  # warn below this share; None: never


@dataclass(frozen=True)
class Screening:
    hb_g_dl: float
    interval: tuple[float, float]  # g/dL
    coverage: float  # nominal coverage of the interval
    risk: Risk
    refer: bool  # the population's referral rule says: have a blood test
    attention_lower_half: float | None  # share of its map on the lower half (None: no map)
    warnings: tuple[str, ...]  # codes, see WARNINGS
    source: str  # "cutout" (transparent background) or "photo" (segmented)
    area_fraction: float  # conjunctiva pixels / image pixels
    overlay_jpeg: bytes
    model_version: str
    population: str  # whose validation figures apply: "cp-anemic", "eyes-defy"
    cohort: str  # "children" or "adults": which model served the person
    # (h, w, 4) RGBA uint8: the lining's bounding box, alpha = the mask; made only when asked
    # for (`Screener.screen(..., with_cutout=True)`), for people who opted in to research
    # (bot.services.research); None otherwise
    cutout: np.ndarray | None = None

    @property
    def reliable(self) -> bool:
        return not self.warnings


WARNINGS = ("low_attention",)  # their texts are `warning.<code>` in the catalogues


def warning_codes(e: Estimate) -> tuple[str, ...]:
    """The warning codes (see WARNINGS) that apply to this estimate: low attention only where
    its model's training found that a low share went with larger errors (None: it did not)."""
    share, threshold = e.attention_lower_half, e.attention_threshold
    low = share is not None and threshold is not None and share < threshold
    return ("low_attention",) if low else ()


def describe(result: Screening) -> dict[str, object]:
    """The JSON-able estimate, codes and values only (`advice` is the advice's message key):
    `predict --json` adds the words (bot.cli.summary)."""
    risk = result.risk
    return {
        "hb_g_dl": result.hb_g_dl,
        "population": result.population,
        "cohort": result.cohort,
        "refer": result.refer,
        "interval": list(result.interval),
        "coverage": result.coverage,
        "risk": risk.category,
        "risk_group": risk.group,
        "threshold_g_dl": risk.threshold,
        "altitude_m": risk.altitude_m,
        "straddles_threshold": risk.straddles,
        "group_assumed": risk.assumed,
        "attention_lower_half": result.attention_lower_half,
        "reliable": result.reliable,
        "warnings": list(result.warnings),
        "advice": advice_key(result),
        "source": result.source,
        "area_fraction": result.area_fraction,
        "model_version": result.model_version,
    }


def refers(e: Estimate, risk: Risk) -> bool:
    """The population's referral rule (the unrounded estimate below the cut-off plus its
    margin), and anyone whose shown estimate is below the cut-off: a margin calibrated below
    zero never leaves someone told "mild anaemia" without the advice of a blood test."""
    return bool(e.hb < risk.threshold + e.refer_margin) or risk.category != "none"


def advice_key(result: Screening) -> str:
    """The advice that follows the referral rule: urgent for moderate or severe anaemia, a
    blood test when referred, and otherwise a reminder that a photo cannot rule it out."""
    return reading.advice_for(result.risk.category, result.refer, result.risk.straddles)
