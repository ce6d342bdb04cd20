"""What a result says to people, shared by the bot's reply, its re-sent result, /history and the
CLI: the estimate, where it and its interval fall against the person's cut-off (the reading,
`bot.pipeline.reading`), in the person's language and number format."""

from __future__ import annotations

from bot.pipeline.reading import verdict
from bot.pipeline.risk import Category
from bot.texts.i18n import has, t


def estimate_line(lang: str, hb: float, coverage: float, low: float, high: float) -> str:
    """The estimate and its interval, g/dL, with the locale's decimal sign."""
    return t(lang, "result.estimate", hb=hb, coverage=round(coverage * 100), low=low, high=high)


def group_name(lang: str, group: str) -> str:
    """The WHO group in the person's language (its code if there is no message for it)."""
    return t(lang, f"group.{group}") if has(f"group.{group}") else group


def risk_lines(
    lang: str, group: str, threshold: float, category: Category | str, straddles: bool
) -> list[str]:
    """The person's cut-off, then where the estimate and its interval fall against it."""
    where = verdict(category, straddles)
    key = "result.below_straddles" if where == "below" and straddles else f"result.{where}"
    return [
        t(lang, "result.risk", group=group_name(lang, group), threshold=threshold),
        t(lang, key, category=t(lang, f"category.{category}")),
    ]


def short_verdict(lang: str, category: str, straddles: bool) -> str:
    """One history line's few words on the same reading."""
    where = verdict(category, straddles)
    return t(lang, f"history.{where}", category=t(lang, f"category.{category}"))
