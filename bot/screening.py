"""One screening: image bytes and what we know of the person -> Hb estimate, interval, risk,
Grad-CAM overlay and plain warnings. Shared by the CLI and the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import malloc, quality
from bot.decode import Decoded, decode
from bot.risk import Person, Risk, classify
from model import WEIGHTS, ensemble, features, gradcam, preprocess, segment, unet

DISCLAIMER = "This is a screening aid, not a diagnosis. Only a blood test can confirm anaemia."
MIN_MASK_PIXELS = 400  # below this the conjunctiva is too small to measure colour reliably
TRAINED_AGE_MONTHS = (6.0, 60.0)  # CP-AnemiC: described as 6-59 months; its sheet records 6-60


@dataclass(frozen=True)
class Screening:
    hb_g_dl: float
    interval: tuple[float, float]  # g/dL
    coverage: float  # nominal coverage of the interval
    risk: Risk
    attention_lower_half: float
    warnings: tuple[str, ...]  # codes, see WARNINGS
    source: str  # "cutout" (transparent background) or "photo" (segmented)
    area_fraction: float  # conjunctiva pixels / image pixels
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
}


def cutout_mask(decoded: Decoded) -> np.ndarray | None:
    """The conjunctiva mask of a transparent cut-out (like CP-AnemiC's), or None for a photo."""
    alpha = decoded.alpha
    if alpha is None or alpha.mean() > 0.98:  # opaque: an ordinary photo
        return None
    if alpha.sum() < MIN_MASK_PIXELS:
        raise quality.reject("too_small")
    return alpha


def _trained_age(age_months: float | None) -> float | None:
    """Age as the regressor may see it: clamped to the ages it was trained on, because its
    linear age input gives an adult of 50 an estimate several g/dL too high (measured on
    Eyes-defy adults: MAE 7.9-10.6 g/dL unclamped, 1.5-2.3 clamped; `docs/populations.py`)."""
    lo, hi = TRAINED_AGE_MONTHS
    return None if age_months is None else min(max(age_months, lo), hi)


def _population_warning(person: Person) -> bool:
    age = person.age_months
    lo, hi = TRAINED_AGE_MONTHS
    return person.pregnant or (age is not None and not lo <= age <= hi)


class Screener:
    """Holds the loaded models; `screen` is safe to call from one thread at a time."""

    def __init__(self, weights: Path = WEIGHTS) -> None:
        # whatever process screens (a worker, the bot, the CLI, a benchmark) reuses its
        # photo-sized buffers instead of faulting them in again on every photo
        malloc.tune()
        self.model = ensemble.load(weights)
        self.config = self.model.config
        self.segmenter = unet.load(weights) if (weights / "unet.msgpack").is_file() else None
        rgb = np.full((96, 128, 3), (180, 60, 60), np.uint8)
        self.estimate(rgb, np.ones((96, 128), bool), Person())  # compile once, before any user
        if self.segmenter is not None:
            segment.probabilities(self.segmenter, rgb)

    def locate(self, rgb: np.ndarray) -> np.ndarray:
        """Find the conjunctiva in a whole photo, or refuse the photo with a reason."""
        if self.segmenter is None:
            raise RuntimeError("no segmentation weights: run `anemia-screen train-seg`")
        return quality.locate(self.segmenter, rgb).mask

    def estimate(
        self, rgb: np.ndarray, mask: np.ndarray, person: Person
    ) -> tuple[gradcam.Explanation, np.ndarray, np.ndarray]:
        """Regression and Grad-CAM on the mask's crop: (explanation, crop, crop mask)."""
        image, mask = preprocess.crop(rgb, mask)
        cfg = self.config.cnn
        x = preprocess.to_input(image, mask, cfg.height, cfg.width)
        colour = features.colour_features(image, mask)
        meta = preprocess.meta_vector(_trained_age(person.age_months), person.sex)
        return gradcam.explain(self.model, x, colour, meta), image, mask

    def screen(self, data: bytes, person: Person) -> Screening:
        """Screen one image; raises ImageRejected with a friendly message when it cannot."""
        return self.screen_decoded(decode(data), person)

    def screen_decoded(self, decoded: Decoded, person: Person) -> Screening:
        """Screen an image already decoded by `bot.decode.decode`."""
        return self.screen_with_mask(decoded, person)[0]

    def screen_with_mask(self, decoded: Decoded, person: Person) -> tuple[Screening, np.ndarray]:
        """`screen_decoded`, and the conjunctiva mask it measured: (H, W) bool at the size of
        `decoded.rgb` (upright, EXIF applied); for a transparent cut-out, its alpha mask."""
        mask, source = self._conjunctiva(decoded)
        ex, image, crop_mask = self.estimate(decoded.rgb, mask, person)
        # No Grad-CAM heat at all (NaN share) means no visible evidence: as unreliable as
        # attention outside the lower half, and stored as 0 so the log never holds a NaN.
        share = ex.lower_share if np.isfinite(ex.lower_share) else 0.0
        hw = self.config.half_width
        interval = (round(ex.estimate - hw, 1), round(ex.estimate + hw, 1))
        result = Screening(
            hb_g_dl=round(ex.estimate, 1),
            interval=interval,
            coverage=self.config.coverage,
            risk=classify(ex.estimate, interval, person),
            attention_lower_half=round(share, 3),
            warnings=self._warnings(share, person),
            source=source,
            area_fraction=round(float(mask.mean()), 4),
            overlay_png=gradcam.overlay_png(image, crop_mask, ex.heatmap),
            model_version=self.config.version,
        )
        return result, mask

    def _conjunctiva(self, decoded: Decoded) -> tuple[np.ndarray, str]:
        """The conjunctiva mask and its source: a cut-out's alpha, or found in a whole photo."""
        mask = cutout_mask(decoded)
        if mask is None:
            return self.locate(decoded.rgb), "photo"
        # a cut-out still has to be bright, glare-free and in colour
        quality.check_region(decoded.rgb, mask, confidence=1.0)
        return mask, "cutout"

    def _warnings(self, share: float, person: Person) -> tuple[str, ...]:
        """The warning codes (see WARNINGS) that apply to this estimate."""
        return tuple(
            code
            for code, on in (
                ("low_attention", share < self.config.attention_threshold),
                ("outside_training_population", _population_warning(person)),
            )
            if on
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
        "source": result.source,
        "area_fraction": result.area_fraction,
        "model_version": result.model_version,
        "disclaimer": DISCLAIMER,
    }


def summary_lines(
    result: Screening, gradcam_path: Path, mask_path: Path | None = None
) -> list[str]:
    """Plain-English lines for a terminal; names the mask file when one was written."""
    r, (lo, hi) = result.risk, result.interval
    straddle = " - the interval straddles this cut-off" if r.straddles else ""
    lines = [
        f"Estimated haemoglobin: {result.hb_g_dl:.1f} g/dL "
        f"({result.coverage:.0%} interval {lo:.1f}-{hi:.1f} g/dL)",
        f"Risk: {r.category} ({r.group_label}: anaemia below {r.threshold:.1f} g/dL){straddle}",
        f"Grad-CAM: {gradcam_path} (share on the lower half: {result.attention_lower_half:.2f})",
    ]
    if mask_path is not None:
        lines.append(f"Conjunctiva mask: {mask_path} (white where the lining was measured)")
    lines += [f"Warning: {WARNINGS[w]}" for w in result.warnings]
    return [*lines, DISCLAIMER]
