"""Consent, language, erasure, help and the hint: everything about a person but the profile."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import profile, research
from bot.services.base import Button, Deps, Out, Seen, Who, keyboard, log, once, tag
from bot.services.startup import worker_commands_text
from bot.texts import i18n
from storage.conversations import clear_conversation, save_conversation
from storage.settings import get_settings
from storage.subjects import create_subject, erase_subject, set_language
from storage.workers import find_worker

LANGUAGES_PER_ROW = 2  # names of up to ~10 letters: two fit a phone's width without cutting
CONSENT_VERSION = "2026-2"  # bump when the consent text changes in substance

CONSENT_BUTTONS = (
    (("consent.agree", "consent:yes"),),
    (("consent.agree_contact", "consent:contact"),),
    (("consent.decline", "consent:no"),),
)


def consent_prompt(lang: str, *, first: bool = False) -> list[Out]:
    """The terms with the screening notice and the agree buttons."""
    kept = get_settings()  # the retention the bot applies (app.py builds the bot on these)
    text = i18n.t(
        lang,
        "consent.text",
        notice=i18n.t(lang, "notice"),
        days=i18n.t(lang, "count.days", n=kept.retention_days),
        crop_days=i18n.t(lang, "count.days", n=kept.research_retention_days),
    )
    if first:
        text = f"{i18n.t(lang, 'consent.first')}\n\n{text}"
    return [Out(text, buttons=keyboard(lang, *CONSENT_BUTTONS))]


async def ask_consent(session: AsyncSession, s: Seen, *, first: bool = False) -> list[Out]:
    """Put the chat at the consent step (remembering the language) and show the terms."""
    if s.subject is not None:
        return [Out(i18n.t(s.lang, "consent.already"))]
    version = s.chat.version if s.chat else None
    await save_conversation(
        session,
        pseudonym=s.pseudonym,
        state="consent",
        data={"lang": s.lang},
        expected_version=version,
    )
    return consent_prompt(s.lang, first=first)


async def start(deps: Deps, who: Who) -> list[Out]:
    """/start: the consent prompt, or a note that the person already agreed."""
    return await once(deps, who, lambda session, s: ask_consent(session, s))


async def answer_consent(deps: Deps, who: Who, choice: str) -> list[Out]:
    """A consent button: create the subject and go on to the profile, or forget the chat."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is not None:
            return [Out(i18n.t(s.lang, "consent.already"))]
        if s.chat is None or s.chat.state != "consent":
            return [Out(i18n.t(s.lang, "stale_button"))]
        if choice == "no":
            await clear_conversation(session, pseudonym=s.pseudonym)
            return [Out(i18n.t(s.lang, "consent.declined"), edit=True)]
        s.subject = await create_subject(
            session,
            pseudonym=s.pseudonym,
            consent_version=CONSENT_VERSION,
            language=s.lang,
            contact_opt_in=choice == "contact",
            team_id=deps.team_id,
        )
        log.info("consent subject=%s contact=%s", tag(s.pseudonym), choice == "contact")
        # the research opt-in is offered here, apart from the consent to screening, and off
        thanks = Out(
            i18n.t(s.lang, "consent.thanks_research"),
            edit=True,
            buttons=research.toggle(s.lang, on=False),
        )
        return [thanks, *await profile.ask_age(session, s)]

    return await once(deps, who, work)


def language_buttons() -> tuple[tuple[Button, ...], ...]:
    """Every language by its own name ("Français", "हिन्दी"), LANGUAGES_PER_ROW a row: a
    reader finds theirs whatever the language the bot speaks now."""
    buttons = [Button(i18n.endonym(code), f"lang:{code}") for code in i18n.LANGUAGES]
    step = LANGUAGES_PER_ROW
    return tuple(tuple(buttons[i : i + step]) for i in range(0, len(buttons), step))


async def choose_language(deps: Deps, who: Who) -> list[Out]:
    """/language: the language buttons."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        return [Out(i18n.t(s.lang, "language.ask"), buttons=language_buttons())]

    return await once(deps, who, work)


async def set_language_to(deps: Deps, who: Who, code: str) -> list[Out]:
    """A language button: keep the choice with the subject, or with the chat before consent."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if code not in i18n.LANGUAGES:
            return [Out(i18n.t(s.lang, "stale_button"))]
        if s.subject is not None:
            await set_language(session, subject_id=s.subject.id, language=code)
        else:
            state, data = (s.chat.state, s.chat.data) if s.chat else ("idle", {})
            version = s.chat.version if s.chat else None
            await save_conversation(
                session,
                pseudonym=s.pseudonym,
                state=state,
                data={**data, "lang": code},
                expected_version=version,
            )
        return [Out(i18n.t(code, "language.set"), edit=True)]

    return await once(deps, who, work)


async def ask_delete(deps: Deps, who: Who) -> list[Out]:
    """/delete: ask for confirmation (nothing goes before the button)."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None and s.chat is None:
            return [Out(i18n.t(s.lang, "delete.nothing"))]
        buttons = keyboard(s.lang, (("delete.yes", "delete:yes"), ("delete.no", "delete:no")))
        return [Out(i18n.t(s.lang, "delete.confirm"), buttons=buttons)]

    return await once(deps, who, work)


async def confirm_delete(deps: Deps, who: Who, choice: str) -> list[Out]:
    """The delete button: erase the subject and their chat, under every key."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if choice != "yes":
            return [Out(i18n.t(s.lang, "delete.kept"), edit=True)]
        erased = await erase_subject(session, candidates=deps.pseudonyms.candidates(who.user_id))
        log.info("erased subject=%s rows=%s", tag(s.pseudonym), erased)
        return [Out(i18n.t(s.lang, "delete.done"), edit=True)]

    return await once(deps, who, work)


async def help_text(deps: Deps, who: Who) -> list[Out]:
    """/help: what the bot does, the commands (workers' too, for workers), and the notice."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        text = i18n.t(s.lang, "help.text", notice=i18n.t(s.lang, "notice"))
        worker = await find_worker(
            session, candidates=deps.pseudonyms.candidates(who.user_id, "worker")
        )
        if worker is None:
            return [Out(text)]
        commands = worker_commands_text(s.lang)
        return [Out(f"{text}\n\n{i18n.t(s.lang, 'help.worker', commands=commands)}")]

    return await once(deps, who, work)


async def hint(deps: Deps, who: Who) -> list[Out]:
    """Anything we cannot use (stickers, voice, documents that are not images...): a hint."""
    return await once(deps, who, lambda session, s: _hint(s))


async def _hint(s: Seen) -> list[Out]:
    return [Out(i18n.t(s.lang, "hint"))]
