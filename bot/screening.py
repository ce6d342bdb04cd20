"""One screening: image bytes and what we know of the person -> Hb estimate, interval, risk,
Grad-CAM overlay and plain warnings. Shared by the CLI and the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.decode import Decoded, ImageRejected, decode
from bot.risk import Person, Risk, classify
from model import WEIGHTS, ensemble, features, gradcam, preprocess

DISCLAIMER = "This is a screening aid, not a diagnosis. Only a blood test can confirm anaemia."
MIN_MASK_PIXELS = 400  # below this the conjunctiva is too small to measure colour reliably
TRAINED_AGE_MONTHS = (6.0, 59.0)  # CP-AnemiC: children 6-59 months


@dataclass(frozen=True)
class Screening:
    hb_g_dl: float
    interval: tuple[float, float]  # g/dL
    coverage: float  # nominal coverage of the interval
    risk: Risk
    attention_lower_half: float
    warnings: tuple[str, ...]  # codes, see WARNINGS
    overlay_png: bytes
    model_version: str

    @property
    def reliable(self) -> bool:
        return not self.warnings


WARNINGS = {
    "low_attention": "The model looked mostly outside the lower half of the eyelid lining; "
    "this estimate is less reliable. Retake the photo with the lower lid pulled down "
    "in good, even light.",
    "outside_training_population": "The model was trained on children aged 6-59 months; "
    "for this person the estimate is not validated.",
    "no_cutout": "No transparent cut-out was found, so the whole picture was treated as "
    "the eyelid lining.",
}


def find_mask(rgb: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """Conjunctiva mask from the cut-out's alpha (or black background); flag if none was found."""
    mask = alpha if alpha is not None else rgb.max(axis=2) > 8
    whole = bool(mask.mean() > 0.98)
    if mask.sum() < MIN_MASK_PIXELS:
        raise ImageRejected(
            "no_conjunctiva",
            "I could not find enough of the inner eyelid in this picture. "
            "Please send a close, sharp photo of the pulled-down lower eyelid.",
        )
    return mask, whole


def _population_warning(person: Person) -> bool:
    age = person.age_months
    lo, hi = TRAINED_AGE_MONTHS
    return person.pregnant or (age is not None and not lo <= age <= hi)


class Screener:
    """Holds the loaded ensemble; `screen` is safe to call from one thread at a time."""

    def __init__(self, weights: Path = WEIGHTS) -> None:
        self.model = ensemble.load(weights)
        self.config = self.model.config
        rgb = np.full((64, 128, 3), (180, 60, 60), np.uint8)
        self._run(rgb, np.ones((64, 128), bool), Person())  # compile once, before any user

    def _run(
        self, rgb: np.ndarray, mask: np.ndarray, person: Person
    ) -> tuple[gradcam.Explanation, np.ndarray, np.ndarray]:
        image, mask = preprocess.crop(rgb, mask)
        cfg = self.config.cnn
        x = preprocess.to_input(image, mask, cfg.height, cfg.width)
        colour = features.colour_features(image, mask)
        meta = preprocess.meta_vector(person.age_months, person.sex)
        return gradcam.explain(self.model, x, colour, meta), image, mask

    def screen(self, data: bytes, person: Person) -> Screening:
        """Screen one image; raises ImageRejected with a friendly message when it cannot."""
        return self.screen_decoded(decode(data), person)

    def screen_decoded(self, decoded: Decoded, person: Person) -> Screening:
        """Screen an image already decoded by `bot.decode.decode`."""
        mask, whole = find_mask(decoded.rgb, decoded.alpha)
        ex, image, crop_mask = self._run(decoded.rgb, mask, person)
        hw = self.config.half_width
        interval = (round(ex.estimate - hw, 1), round(ex.estimate + hw, 1))
        warnings = [
            code
            for code, on in (
                ("low_attention", ex.lower_share < self.config.attention_threshold),
                ("outside_training_population", _population_warning(person)),
                ("no_cutout", whole),
            )
            if on
        ]
        return Screening(
            hb_g_dl=round(ex.estimate, 1),
            interval=interval,
            coverage=self.config.coverage,
            risk=classify(ex.estimate, interval, person),
            attention_lower_half=round(ex.lower_share, 3),
            warnings=tuple(warnings),
            overlay_png=gradcam.overlay_png(image, crop_mask, ex.heatmap),
            model_version=self.config.version,
        )


def describe(result: Screening) -> dict[str, object]:
    """The JSON-able estimate object shared by `predict --json` and the bot's logs."""
    risk = result.risk
    return {
        "hb_g_dl": result.hb_g_dl,
        "interval": list(result.interval),
        "coverage": result.coverage,
        "risk": risk.category,
        "risk_group": risk.group,
        "risk_group_label": risk.group_label,
        "threshold_g_dl": risk.threshold,
        "straddles_threshold": risk.straddles,
        "group_assumed": risk.assumed,
        "attention_lower_half": result.attention_lower_half,
        "reliable": result.reliable,
        "warnings": list(result.warnings),
        "warning_messages": [WARNINGS[w] for w in result.warnings],
        "model_version": result.model_version,
        "disclaimer": DISCLAIMER,
    }


def summary_lines(result: Screening, gradcam_path: Path) -> list[str]:
    """Plain-English lines for a terminal."""
    r, (lo, hi) = result.risk, result.interval
    straddle = " - the interval straddles this cut-off" if r.straddles else ""
    lines = [
        f"Estimated haemoglobin: {result.hb_g_dl:.1f} g/dL "
        f"({result.coverage:.0%} interval {lo:.1f}-{hi:.1f} g/dL)",
        f"Risk: {r.category} ({r.group_label}: anaemia below {r.threshold:.1f} g/dL){straddle}",
        f"Grad-CAM: {gradcam_path} (share on the lower half: {result.attention_lower_half:.2f})",
    ]
    lines += [f"Warning: {WARNINGS[w]}" for w in result.warnings]
    return [*lines, DISCLAIMER]
