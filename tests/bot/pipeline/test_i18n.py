"""The message catalogs: same keys and placeholders in every language, every code covered."""

from __future__ import annotations

import string

import pytest

from bot.pipeline import decode, i18n, quality
from bot.pipeline.populations import COHORTS, NOT_COVERED
from bot.pipeline.risk import GROUPS, SEVERITY
from bot.pipeline.screening import WARNINGS


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT])
def test_catalogs_have_the_same_keys_and_placeholders(lang):
    base, other = i18n.catalog(i18n.DEFAULT), i18n.catalog(lang)
    assert set(base) == set(other)
    for key, text in base.items():
        assert placeholders(text) == placeholders(other[key]), key


def test_every_code_the_bot_can_meet_has_a_message():
    codes = [f"reject.{c}" for c in (*decode.CODES, *quality.GATES)]
    codes += [f"group.{g}" for g in GROUPS] + [f"warning.{w}" for w in WARNINGS]
    codes += [f"category.{c}" for c in SEVERITY]
    codes += [f"advice.{c}" for c in ("none", "refer", "moderate", "severe")]
    codes += [f"reject.not_covered_{c}" for c in (*NOT_COVERED, "adults_unavailable")]
    codes += [f"cohort.{c.key}" for c in COHORTS]
    codes += [f"population.{p}" for p in ("cp-anemic", "eyes-defy")]  # the shipped models
    codes += [f"language.name_{lang}" for lang in i18n.LANGUAGES]
    assert [c for c in codes if not i18n.has(c)] == []


def test_t_fills_placeholders_and_falls_back_to_english():
    assert "10.4 g/dL" in i18n.t(
        "ja", "result.estimate", hb="10.4", coverage=90, low="9", high="11"
    )
    assert i18n.t("xx", "busy") == i18n.t("en", "busy")
    assert i18n.language_of("ja-JP") == "ja" and i18n.language_of(None) == "en"
