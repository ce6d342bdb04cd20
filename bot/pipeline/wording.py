"""What a result says to people, shared by the bot's reply, its re-sent result, /history and the
CLI: the estimate, where it and its interval fall against the person's cut-off, and the advice.

The rule the words follow: a screening aid never tells someone who may be anaemic that they are
not. Only when the whole interval lies at or above the cut-off do the words say there is no sign
of anaemia (still as an aid that cannot rule it out); when the interval reaches below it, they
say the estimate is above the cut-off and that anaemia is not ruled out.
"""

from __future__ import annotations

from bot.pipeline import i18n
from bot.pipeline.risk import SEVERITY, Category

URGENT = ("moderate", "severe")


def fmt(hb: float) -> str:
    """An Hb value as shown, in g/dL."""
    return f"{hb:.1f}"


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


def estimate_line(lang: str, hb: float, coverage: float, low: float, high: float) -> str:
    return i18n.t(
        lang,
        "result.estimate",
        hb=fmt(hb),
        coverage=round(coverage * 100),
        low=fmt(low),
        high=fmt(high),
    )


def group_name(lang: str, group: str) -> str:
    """The WHO group in the person's language (its key if the catalogue lacks it)."""
    return i18n.t(lang, f"group.{group}") if i18n.has(f"group.{group}") else group


def risk_lines(
    lang: str, group: str, threshold: float, category: Category | str, straddles: bool
) -> list[str]:
    """The person's cut-off, then where the estimate and its interval fall against it."""
    where = verdict(category, straddles)
    key = "result.below_straddles" if where == "below" and straddles else f"result.{where}"
    return [
        i18n.t(lang, "result.risk", group=group_name(lang, group), threshold=fmt(threshold)),
        i18n.t(lang, key, category=i18n.t(lang, f"category.{category}")),
    ]


def short_verdict(lang: str, category: str, straddles: bool) -> str:
    """One history line's few words on the same reading."""
    where = verdict(category, straddles)
    return i18n.t(lang, f"history.{where}", category=i18n.t(lang, f"category.{category}"))
