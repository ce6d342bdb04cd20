"""`t`: the message in the person's language, its plural form, local numbers and dates, and
English for a language or a message we do not have; every code the bot can meet has a message."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.pipeline import decode, quality
from bot.pipeline.populations import COHORTS, NOT_COVERED
from bot.pipeline.result import WARNINGS
from bot.pipeline.risk import GROUPS, SEVERITY
from bot.texts import i18n, numbers
from bot.texts.i18n import t


def test_every_code_the_bot_can_meet_has_a_message():
    codes = [f"reject.{c}" for c in (*decode.CODES, *quality.GATES)]
    codes += [f"group.{g}" for g in GROUPS] + [f"warning.{w}" for w in WARNINGS]
    codes += [f"category.{c}" for c in SEVERITY]
    codes += [f"advice.{c}" for c in ("none", "uncertain", "refer", "moderate", "severe")]
    codes += [f"reject.not_covered_{c}" for c in (*NOT_COVERED, "adults_unavailable")]
    codes += [f"cohort.{c.key}" for c in COHORTS]
    codes += [f"population.{p}" for p in ("cp-anemic", "eyes-defy")]  # the shipped models
    assert [c for c in codes if not i18n.has(c)] == []


def test_t_fills_placeholders_and_falls_back_to_english():
    assert "10.4 g/dL" in t("ja", "result.estimate", hb=10.4, coverage=90, low=9.0, high=11.8)
    assert t("xx", "busy") == t("en", "busy")
    assert t("ja", "busy") != t("en", "busy")
    with pytest.raises(KeyError):
        t("en", "no.such_message")


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("ja-JP", "ja"), ("JA", "ja"), (None, "en"), ("", "en"), ("xx-YY", "en"), ("en-GB", "en")],
)
def test_language_of_a_telegram_tag(tag, lang):
    assert i18n.language_of(tag) == lang


def test_every_catalogued_language_is_offered_and_english_comes_first():
    assert i18n.LANGUAGES[0] == "en" and len(set(i18n.LANGUAGES)) == len(i18n.LANGUAGES)
    for code in i18n.LANGUAGES:
        assert i18n.language_of(f"{code}-XX") == code  # a region never hides the language


def test_a_count_agrees_with_its_noun():
    assert t("en", "history.header", n=1) == "Your last 1 result:"
    assert t("en", "history.header", n=3) == "Your last 3 results (oldest first):"
    assert t("en", "count.days", n=1) == "1 day" and t("en", "count.days", n=365) == "365 days"
    assert t("en", "worker.pending_no_page", page=3, pages=1).endswith("fill 1 page.")
    assert t("en", "worker.pending_no_page", page=3, pages=2).endswith("fill 2 pages.")


def test_numbers_and_dates_as_the_locale_writes_them():
    assert numbers.decimal("fr", 9.8) == "9,8" and numbers.decimal("en", 9.8) == "9.8"
    assert numbers.decimal("en", 0.149, 2, sign=True) == "+0.15"
    assert numbers.decimal("de", -1.25, 2, sign=True) == "-1,25"
    assert numbers.decimal("en", 10.96) == "11.0"  # rounded as the WHO table judges it
    assert numbers.integer("en", 12345) == "12,345"
    assert numbers.day("en", date(2026, 3, 2)) == "Mar 2, 2026"
    assert numbers.day("ja", datetime(2026, 3, 2, 23, 59)) == "2026/03/02"
    assert numbers.day_month("en", date(2026, 3, 2), numeric=True) == "3/2"


def test_t_writes_numbers_and_dates_in_the_persons_locale():
    line = t("en", "history.line", date=date(2026, 3, 2), hb=9.84, low=8.0, high=11.25, verdict="")
    assert line.startswith("Mar 2, 2026: 9.8 g/dL (8.0 to 11.2)")
    assert "1,234" in t("en", "worker.history_more", n=1234)


def test_language_names_for_the_keyboard_and_for_workers():
    assert i18n.endonym("en") == "English" and i18n.endonym("ja") == "日本語"
    assert i18n.language_name("ja", "en") == "Japanese (日本語)"
    assert i18n.language_name("en", "en") == "English"
