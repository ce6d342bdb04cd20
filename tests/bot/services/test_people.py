"""Consent, profile, language and erasure, straight through the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.services import people, profile
from bot.texts.i18n import LANGUAGES, t
from storage.models import Conversation, Subject
from tests.bot.chat.conftest import who


async def agree(deps, user=4242, choice="yes"):
    await people.start(deps, who(user))
    return await people.answer_consent(deps, who(user), choice)


async def subject(deps, user=4242) -> Any:  # Subject | None; tests read it either way
    async with deps.sessions() as session:
        value = deps.pseudonyms.pseudonym(user).value
        return await session.scalar(select(Subject).where(Subject.pseudonym == value))


async def test_start_shows_the_terms_with_the_notice_and_three_buttons(deps):
    [out] = await people.start(deps, who())
    assert t("en", "notice") in out.text
    assert [b.data for row in out.buttons for b in row] == [
        "consent:yes",
        "consent:contact",
        "consent:no",
    ]
    assert await subject(deps) is None  # nothing about a person before consent


# Telegram's language_code as apps send it: a region never hides the language
TAGS = {"fr": "fr-CA", "es": "es-419", "pt": "pt-BR", "it": "it", "hi": "hi", "sw": "sw-KE"}


async def test_first_contact_gets_the_terms_in_the_apps_language(deps):
    for user, (lang, tag) in enumerate(TAGS.items(), start=100):
        [out] = await people.start(deps, who(user, tag))
        assert t(lang, "notice") in out.text and t(lang, "notice") != t("en", "notice")
        assert [b.text for b in out.buttons[0]] == [t(lang, "consent.agree")]
        [thanks, _] = await people.answer_consent(deps, who(user, tag), "yes")
        assert thanks.text == t(lang, "consent.thanks_research")
    async with deps.sessions() as session:
        kept = await session.scalars(select(Subject.language).order_by(Subject.id))
        assert list(kept) == list(TAGS)  # our code, kept with the person for every update


async def test_agreeing_creates_the_subject_in_the_team_and_asks_whom(deps):
    thanks, ask = await agree(deps, choice="contact")
    assert thanks.edit and ask.text == t("en", "profile.ask_age")
    s = await subject(deps)
    assert s is not None and s.contact_opt_in and s.team_id == deps.team_id
    assert (await people.start(deps, who()))[0].text == t("en", "consent.already")


async def test_declining_stores_nothing(deps):
    [out] = await agree(deps, choice="no")
    assert out.text == t("en", "consent.declined")
    assert await subject(deps) is None
    async with deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_consent_button_without_the_prompt_is_stale(deps):
    [out] = await people.answer_consent(deps, who(), "yes")
    assert out.text == t("en", "stale_button") and await subject(deps) is None


async def test_profile_of_a_pregnant_woman_in_the_second_trimester(deps):
    await agree(deps)
    [sex] = await profile.answer(deps, who(), "age", "adult")
    assert sex.text == t("en", "profile.ask_sex")
    [preg] = await profile.answer(deps, who(), "sex", "f")
    assert preg.text == t("en", "profile.ask_pregnant")
    [saved] = await profile.answer(deps, who(), "preg", "2")
    assert saved.text.startswith(t("en", "profile.saved", group=t("en", "group.pregnant_t2")))
    s = await subject(deps)
    assert (s.age_group, s.sex, s.pregnant, s.trimester) == ("adult", "f", True, 2)
    assert profile.person_of(s).age_months == 360.0
    # the flow ended: its old buttons no longer work
    [stale] = await profile.answer(deps, who(), "preg", "1")
    assert stale.text == t("en", "stale_button")


async def test_age_typed_in_months(deps):
    await agree(deps)
    [bad] = await profile.text(deps, who(), "two years")
    assert bad.text == t("en", "profile.bad_months")
    [saved] = await profile.text(deps, who(), "30")
    assert saved.text.startswith(t("en", "profile.saved", group=t("en", "group.child_24_59m")))
    assert (await subject(deps)).age_months == 30.0
    [hint] = await profile.text(deps, who(), "hello")
    assert hint.text == t("en", "hint")


async def test_forged_profile_buttons_are_refused(deps):
    await agree(deps)
    for step, value in (("age", "dragon"), ("sex", "f"), ("zzz", "1")):
        [out] = await profile.answer(deps, who(), step, value)
        assert out.text == t("en", "stale_button")


async def test_language_chosen_before_consent_sticks(deps):
    [ask] = await people.choose_language(deps, who())
    assert [b.data for row in ask.buttons for b in row] == [f"lang:{c}" for c in LANGUAGES]
    assert all(len(row) <= people.LANGUAGES_PER_ROW for row in ask.buttons)
    [out] = await people.set_language_to(deps, who(), "ja")
    assert out.text == t("ja", "language.set")
    [terms] = await people.start(deps, who(lang="en"))
    assert terms.text.startswith(t("ja", "consent.text", notice="", days="", crop_days="")[:10])
    await people.answer_consent(deps, who(), "yes")
    assert (await subject(deps)).language == "ja"
    await people.set_language_to(deps, who(), "en")
    assert (await subject(deps)).language == "en"


async def test_delete_after_confirmation_erases_everything(deps):
    assert (await people.ask_delete(deps, who()))[0].text == t("en", "delete.nothing")
    await agree(deps)
    [ask] = await people.ask_delete(deps, who())
    assert ask.text == t("en", "delete.confirm")
    [kept] = await people.confirm_delete(deps, who(), "no")
    assert kept.text == t("en", "delete.kept") and await subject(deps) is not None
    [done] = await people.confirm_delete(deps, who(), "yes")
    assert done.text == t("en", "delete.done") and await subject(deps) is None
    async with deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_redelivered_update_is_handled_once(deps):
    update = who()
    assert await people.start(deps, update)
    assert await people.start(deps, update) == []
    first = who()
    await people.answer_consent(deps, first, "yes")
    assert await people.answer_consent(deps, first, "yes") == []


async def test_help_shows_the_workers_commands_only_to_workers(deps):
    from bot.services.startup import worker_commands_text
    from tests.bot.services.conftest import make_worker

    [plain] = await people.help_text(deps, who())
    assert "/pending" not in plain.text and t("en", "notice") in plain.text
    await make_worker(deps, 4242)
    [worker] = await people.help_text(deps, who())
    listed = t("en", "help.worker", commands=worker_commands_text("en"))
    assert listed in worker.text
