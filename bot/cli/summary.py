"""A screening in plain English for the terminal (`anemia-screen predict` without --json)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline import i18n
from bot.pipeline.screening import DISCLAIMER, Screening, advice_key


def _overlay_line(result: Screening, path: Path) -> str:
    share = result.attention_lower_half
    if share is None:
        return f"Measured region: {path} (the adults' model uses colour statistics: no Grad-CAM)"
    return f"Grad-CAM: {path} (share on the lower half: {share:.2f})"


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
        i18n.t("en", advice_key(result)),
        _overlay_line(result, gradcam_path),
    ]
    if mask_path is not None:
        lines.append(f"Conjunctiva mask: {mask_path} (white where the lining was measured)")
    warned = [i18n.t("en", f"warning.{w}") for w in result.warnings]
    lines += [f"Warning: {w} {i18n.t('en', 'result.retake')}" for w in warned]
    return [*lines, DISCLAIMER]
