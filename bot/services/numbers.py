"""Numbers typed in the chat: plain digits only, bounded in length.

Python's int() and float() take far more than a person means: '١٢' (Arabic-Indic digits),
'1e309' (infinity), 'nan', '-0', and str.isdigit() is True for '²', which int() then refuses.
Every command argument that is a number goes through here, so each of those gets the
command's usage line and nothing raises. Full-width digits, which a Japanese keyboard types,
are read as the digits they are.
"""

from __future__ import annotations

import re
from datetime import date

# full-width 0-9, full stop and comma (U+FF10-FF19, U+FF0E, U+FF0C) -> ASCII
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def ascii_digits(text: str) -> str:
    """The text with full-width digits and separators as ASCII, and no outer spaces."""
    return text.strip().translate(_FULL_WIDTH)


def whole(text: str, *, digits: int = 9) -> int | None:
    """A whole number of at most `digits` digits (no sign), or None."""
    text = ascii_digits(text)
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None


def decimal(text: str, *, digits: int = 4, places: int = 3) -> float | None:
    """A number with at most `digits` digits before the point and `places` after it (a point
    or a comma; no sign, no exponent), or None."""
    text = ascii_digits(text)
    pattern = rf"[0-9]{{1,{digits}}}(?:[.,][0-9]{{1,{places}}})?"
    return float(text.replace(",", ".")) if re.fullmatch(pattern, text) else None


def looks_like_date(text: str) -> bool:
    """Whether the text is meant as a date (then `iso_date`): it starts with a digit of any
    kind and has two hyphens, e.g. 2026-3-2 or 2026-0²-01; a note's word rarely does."""
    text = ascii_digits(text)
    return text[:1].isnumeric() and re.fullmatch(r"[^-]+-[^-]+-[^-]+", text) is not None


def iso_date(text: str) -> date | None:
    """The date written YYYY-MM-DD in plain digits, or None (other digits, no such day)."""
    text = ascii_digits(text)
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # e.g. 2026-02-30
        return None
