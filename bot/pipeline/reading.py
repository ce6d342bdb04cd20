"""How a result reads against the person's cut-off, as codes: where the estimate and its
interval fall, and which advice follows. `bot.texts.wording` puts them into words.

The rule: a screening aid never tells someone who may be anaemic that they are not. Only when
the whole interval lies at or above the cut-off is the reading "above" (still as an aid that
cannot rule anaemia out); when the interval reaches below it, the reading is "uncertain".
"""

from __future__ import annotations

from bot.pipeline.risk import SEVERITY

URGENT = ("moderate", "severe")


def verdict(category: str, straddles: bool) -> str:
    """Where the estimate and its interval fall: "below" the cut-off (in a severity band),
    "uncertain" (at or above it, but the interval reaches below it), or "above" (the whole
    interval at or above it)."""
    if category != "none":
        return "below"
    return "uncertain" if straddles else "above"


def advice_for(category: str, refer: bool, straddles: bool) -> str:
    """The advice key that follows the referral rule: urgent for moderate or severe anaemia, a
    blood test when referred or when the estimate is below the cut-off, and otherwise a
    reminder that a photo cannot rule anaemia out (no sign of it only above the whole
    interval)."""
    if category in URGENT:
        return f"advice.{category}"
    if refer or category != "none":
        return "advice.refer"
    return "advice.uncertain" if straddles else "advice.none"


def worse(a: str, b: str) -> str:
    """The more severe of two categories."""
    return max(a, b, key=SEVERITY.index)
