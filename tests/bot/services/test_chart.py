"""The /history chart in the person's language: its dates as the language writes them where the
bundled font has the script, in digits where it has not (no empty boxes), and its Hb ticks with
the language's decimal sign."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest

from bot.services.chart import day_labels, drawable, trend_png
from bot.texts import i18n

TIMES = [datetime(2026, 1, 3, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_languages_dates_can_be_drawn(lang):
    labels = day_labels(lang, TIMES)
    assert all(map(drawable, labels)) and len(set(labels)) == 2


def test_month_names_where_the_font_has_them_digits_where_not():
    assert day_labels("fr", TIMES) == ["3 janv.", "7 déc."]
    assert not drawable("दिस॰") and day_labels("hi", TIMES) == ["3/1", "7/12"]


def test_a_chart_in_hindi_draws_without_a_missing_glyph():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph its font lacks
        png = trend_png(TIMES, [10.2, 11.4], [8.9, 10.1], [11.5, 12.7], 11.0, "hi")
    assert png.startswith(b"\x89PNG")
