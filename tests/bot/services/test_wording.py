"""Screening language: a person whose interval reaches below their cut-off never reads "no
anaemia" or "no sign of anaemia", in the reply, its caption, /history or the re-sent result, in
any language; each carries the notice, the advice and the open case's code."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.cli.summary import summary_lines
from bot.pipeline.result import Estimate, Screening, advice_key, refers
from bot.pipeline.risk import GROUPS, Person, Risk, classify
from bot.services import people, photos
from bot.services.history import history_text
from bot.services.photos import resent_text, result_replies
from bot.services.screening_record import screening_record
from bot.services.settings import BotSettings
from bot.texts import i18n
from storage.models import Screening as StoredScreening
from storage.pseudonyms import format_case_code
from storage.screenings import _screening_row
from tests.bot.chat.conftest import who
from tests.bot.services.conftest import fetch

CHILD = Person(36.0, "f")  # served by the CP-AnemiC children's model; cut-off 11.0
MAN = Person(360.0, "m")  # served by the Eyes-defy adults' model; cut-off 13.0
COHORT = {"children": (CHILD, "cp-anemic"), "adults": (MAN, "eyes-defy")}
CASE = "ABCD2345"


def result(cohort: str, hb: float, half: float, refer: bool, **risk: object) -> Screening:
    person, population = COHORT[cohort]
    interval = (round(hb - half, 1), round(hb + half, 1))
    classified = classify(hb, interval, person)
    return Screening(
        hb_g_dl=hb,
        interval=interval,
        coverage=0.9,
        risk=Risk(**{**classified.__dict__, **risk}),
        refer=refer,
        attention_lower_half=None,
        warnings=(),
        source="photo",
        area_fraction=0.2,
        overlay_jpeg=b"png",
        model_version="v",
        population=population,
        cohort=cohort,
    )


def stored(r: Screening) -> StoredScreening:
    """The row the log keeps of a result (what /history and the re-sent result read)."""
    row = _screening_row(1, screening_record(r))
    row.created_at = datetime(2026, 1, 2, tzinfo=UTC)
    return row


def every_text(lang: str, r: Screening, case: str | None) -> str:
    """Everything a person reads about this result: reply, caption, re-sent result, /history."""
    reply, caption = result_replies(lang, r, case)
    return "\n".join(
        [
            reply.text,
            caption.text,
            resent_text(lang, stored(r), case),
            history_text(lang, [stored(r)], case),
        ]
    )


def forbidden(lang: str) -> list[str]:
    """Every catalogue text that says there is no anaemia or no sign of it (found by its
    English words), in `lang`, cut at its placeholders; and the bare words themselves."""
    words = ("no anaemia", "no sign", "no anemia")
    keys = [k for k, v in i18n.catalog("en").items() if any(w in v.lower() for w in words)]
    assert "result.above" in keys  # the text the test guards against
    texts = [i18n.t(lang, k).split("{")[0] for k in keys]
    bare = {
        "en": list(words),
        "ja": ["貧血なし", "貧血の兆候は見られません"],
        "fr": ["pas d'anémie", "pas de signe d'anémie"],
        "es": ["sin anemia", "no hay signos de anemia"],
        "pt": ["sem anemia", "nenhum sinal de anemia"],
        "it": ["nessuna anemia", "nessun segno di anemia"],
        "hi": ["एनीमिया नहीं है", "एनीमिया का कोई संकेत नहीं"],
        "sw": ["hakuna upungufu wa damu", "hakuna dalili ya upungufu wa damu"],
    }.get(lang, [])
    return [t for t in texts if t.strip()] + bare


def said(text: str, lang: str) -> list[str]:
    return [f for f in forbidden(lang) if f.lower() in text.lower()]


# (cohort, Hb, half-width): a straddling, a clearly low and a clearly high estimate for each
# population, with the intervals the issue saw (children +-3.1, men +-2.8)
STRADDLING = [
    ("children", 12.0, 3.1),
    ("children", 10.0, 3.1),
    ("adults", 14.6, 2.8),
    ("adults", 12.4, 2.8),
]
LOW = [("children", 6.0, 0.9), ("adults", 7.5, 0.4)]
HIGH = [("children", 15.5, 3.1), ("adults", 17.0, 2.8)]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize(("cohort", "hb", "half"), STRADDLING)
@pytest.mark.parametrize("refer", [False, True])
def test_a_straddling_estimate_is_never_called_no_anaemia(lang, cohort, hb, half, refer):
    r = result(cohort, hb, half, refer)
    assert r.risk.straddles
    text = every_text(lang, r, CASE if refer else None)
    assert said(text, lang) == []
    if r.risk.category == "none":  # above the cut-off: said so, and that it is not ruled out
        assert i18n.t(lang, "result.uncertain") in text
        assert i18n.t(lang, "history.uncertain") in text
    advice = i18n.t(
        lang, "advice.refer" if refer or r.risk.category != "none" else "advice.uncertain"
    )
    assert text.count(advice) == 3  # the reply, the re-sent result and /history
    assert text.count(i18n.t(lang, "notice")) == 4
    if refer:
        assert text.count(format_case_code(CASE)) == 3


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize(("cohort", "hb", "half"), LOW)
def test_a_clearly_low_estimate_gets_urgent_advice_and_its_case(lang, cohort, hb, half):
    r = result(cohort, hb, half, True)
    assert r.risk.category == "severe" and not r.risk.straddles
    text = every_text(lang, r, CASE)
    assert said(text, lang) == []
    assert text.count(i18n.t(lang, "advice.severe")) == 3
    assert text.count(format_case_code(CASE)) == 3 and text.count(i18n.t(lang, "notice")) == 4
    assert i18n.t(lang, "result.below", category=i18n.t(lang, "category.severe")) in text


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize(("cohort", "hb", "half"), HIGH)
def test_a_clearly_high_estimate_may_say_no_sign_still_as_an_aid(lang, cohort, hb, half):
    r = result(cohort, hb, half, False)
    assert r.risk.category == "none" and not r.risk.straddles
    text = every_text(lang, r, None)
    assert i18n.t(lang, "result.above") in text and i18n.t(lang, "history.above") in text
    assert text.count(i18n.t(lang, "advice.none")) == 3  # "... a photo cannot rule it out"
    assert text.count(i18n.t(lang, "notice")) == 4


def test_no_catalogue_text_saying_no_anaemia_is_reachable_for_a_straddling_result():
    """Every group, category, referral, case and reliability a straddling result can have."""
    for lang, group, category, refer, case, warned in itertools.product(
        ("en", "ja"),
        GROUPS,
        ("none", "mild", "moderate", "severe"),
        (False, True),
        (None, CASE),
        ((), ("low_attention",)),
    ):
        r = result("adults", 12.4, 2.8, refer, group=group, category=category, straddles=True)
        r = Screening(**{**r.__dict__, "warnings": warned})
        found = said(every_text(lang, r, case), lang)
        assert found == [], (lang, group, category, refer, case, warned, found)


def test_the_advice_follows_the_referral_rule_and_what_is_shown():
    assert advice_key(result("adults", 14.6, 2.8, False)) == "advice.uncertain"
    assert advice_key(result("adults", 14.6, 2.8, True)) == "advice.refer"
    assert advice_key(result("adults", 17.0, 2.8, False)) == "advice.none"
    # shown below the cut-off, whatever the rule said: a blood test
    assert advice_key(result("adults", 12.4, 0.3, False)) == "advice.refer"


def test_a_stored_row_is_read_as_it_is_shown_and_never_less_cautiously():
    # a row logged before the category came from the rounded estimate: 10.96 kept as "mild"
    # but shown 11.0; the words follow the 11.0 shown, the advice the stored "mild"
    r = result("children", 11.0, 0.5, False, category="mild")
    text = resent_text("en", stored(r))
    assert "11.0 g/dL" in text and "mild" not in text
    assert i18n.t("en", "advice.refer") in text
    # a row from before referral margins (refer unknown) whose interval reaches below the cut-off
    row = stored(result("children", 11.5, 1.0, False))
    row.refer = None
    assert i18n.t("en", "advice.refer") in history_text("en", [row], None)


async def test_the_programmes_elevation_reaches_the_screening(deps, pool, monkeypatch):
    # ALTITUDE_M from the environment, through the settings, onto the person the pool screens
    monkeypatch.setenv("ALTITUDE_M", "2000")
    deps.settings = BotSettings(photo_rate_limit=3)
    assert deps.settings.altitude_m == 2000.0
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    await photos.screen_photo(deps, who(), fetch, 10)
    [(_, person)] = pool.calls
    assert person.altitude_m == 2000.0 and classify(11.2, (11.0, 11.4), person).threshold == 11.8


@pytest.mark.parametrize("metres", ["-501", "6001", "high"])
def test_an_impossible_elevation_is_refused(monkeypatch, metres):
    monkeypatch.setenv("ALTITUDE_M", metres)
    with pytest.raises(ValidationError):
        BotSettings()


@pytest.mark.parametrize(
    ("hb", "margin", "refer"),
    [
        (10.9, -0.5, True),  # shown below 11.0 ("mild"): referred though the rule said not
        (10.96, 0.0, True),  # shown as 11.0 ("not below"), but the rule's own referral stands
        (11.2, 0.1, False),  # above the cut-off and its margin: the rule's "no" stands
        (11.2, 0.3, True),
    ],
)
def test_the_referral_rule_stands_unless_the_shown_estimate_is_below_the_cut_off(hb, margin, refer):
    e = Estimate(hb, 1.0, 0.9, margin, None, b"", "v", "cp-anemic")
    risk = classify(hb, (hb - 1.0, hb + 1.0), CHILD)
    assert refers(e, risk) is refer


@pytest.mark.parametrize(("cohort", "hb", "half"), STRADDLING)
def test_the_clis_summary_follows_the_same_rules(cohort, hb, half, tmp_path):
    r = result(cohort, hb, half, False)
    text = "\n".join(summary_lines(r, tmp_path / "overlay.png"))
    assert said(text, "en") == []
    assert i18n.t("en", advice_key(r)) in text and "not a diagnosis" in text
    clear = "\n".join(summary_lines(result(cohort, 17.5, 2.0, False), tmp_path / "o.png"))
    assert i18n.t("en", "result.above") in clear and i18n.t("en", "advice.none") in clear
