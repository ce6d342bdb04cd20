"""A screening in plain English for the terminal (`anemia-screen predict`): the lines printed,
and the words `--json` adds to the pipeline's codes and values."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.result import Screening, advice_key, describe
from bot.pipeline.risk import elevation_adjustment
from bot.texts import i18n, wording

LANG = "en"  # the terminal's language: the CLI speaks English
DISCLAIMER = "This is a screening aid, not a diagnosis. Only a blood test can confirm anaemia."


def _overlay_line(result: Screening, path: Path) -> str:
    share = result.attention_lower_half
    if share is None:
        return f"Measured region: {path}"
    kind = "Grad-CAM" if result.cohort == "children" else "Occlusion map"
    return f"{kind}: {path} (share on the lower half: {share:.2f})"


def _elevation_line(altitude_m: float) -> list[str]:
    add = elevation_adjustment(altitude_m)
    if add == 0:
        return []
    return [f"Cut-offs raised by {add:.1f} g/dL for an elevation of {altitude_m:.0f} m (WHO)."]


def summary_lines(
    result: Screening, gradcam_path: Path, mask_path: Path | None = None
) -> list[str]:
    """Plain-English lines for a terminal; names the mask file when one was written."""
    r, (lo, hi) = result.risk, result.interval
    lines = [
        *wording.estimate_line(LANG, result.hb_g_dl, result.coverage, lo, hi).split("\n"),
        *wording.risk_lines(LANG, r.group, r.threshold, r.category, r.straddles),
        *_elevation_line(r.altitude_m),
        i18n.t(LANG, advice_key(result)),
        _overlay_line(result, gradcam_path),
    ]
    if mask_path is not None:
        lines.append(f"Conjunctiva mask: {mask_path} (white where the lining was measured)")
    warned = [i18n.t(LANG, f"warning.{w}") for w in result.warnings]
    lines += [f"Warning: {w} {i18n.t(LANG, 'result.retake')}" for w in warned]
    return [*lines, DISCLAIMER]


def described(result: Screening) -> dict[str, object]:
    """`predict --json`: the pipeline's codes and values with their English words."""
    return {
        **describe(result),
        "risk_group_label": wording.group_name(LANG, result.risk.group),
        "warning_messages": [i18n.t(LANG, f"warning.{w}") for w in result.warnings],
        "advice": i18n.t(LANG, advice_key(result)),
        "advice_code": advice_key(result).removeprefix("advice."),
        "disclaimer": DISCLAIMER,
    }
