"""Numbers and dates as the person's locale writes them (CLDR data through Babel): "9,8" in
French, "12 345" or "12,345" by locale, "7 déc. 2025". Values are rounded as `f"{x:.1f}"` rounds
them before Babel formats them, so a shown estimate is the one the WHO table was applied to
(`bot.pipeline.risk.shown`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent


def decimal(lang: str, value: float, digits: int = 1, *, sign: bool = False) -> str:
    """`value` with `digits` decimals (g/dL: one), "+" before a positive one if `sign`."""
    rounded = Decimal(f"{value:.{digits}f}")
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    if sign:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(rounded, format=pattern, locale=lang)


def integer(lang: str, value: int) -> str:
    """A count with the locale's grouping ("1,234", "1 234", "1.234")."""
    return format_decimal(value, locale=lang)


def percent(lang: str, share: float) -> str:
    """A share of 1 as a whole percentage, with the locale's sign and spacing ("85 %")."""
    return format_percent(share, locale=lang)


def day(lang: str, when: date) -> str:
    """A date in the locale's medium form: "Dec 7, 2025", "7 déc. 2025", "2025/12/07"."""
    return format_date(when.date() if isinstance(when, datetime) else when, "medium", locale=lang)


def day_month(lang: str, when: date, *, numeric: bool = False) -> str:
    """Day and month, short, in the locale's order: "Dec 7", "7 déc."; with `numeric`, digits
    only ("12/7", "07/12"), for a chart whose font lacks the script of the month's name."""
    return format_skeleton("Md" if numeric else "MMMd", when, locale=lang)
