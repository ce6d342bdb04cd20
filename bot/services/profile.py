"""/profile: whom the photos are of (age group or months, sex, pregnancy), step by step.

The step lives in the database (storage.conversations), so any bot process can take the next
answer. Only answers go into the chat's data: a group key, months, "f"/"m", a trimester.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline.risk import GROUP_MONTHS, Person, group_for
from bot.services import numbers, relay, research
from bot.services.base import Button, Deps, Out, Seen, Who, keyboard, log, once, tag
from bot.texts import i18n
from storage.conversations import clear_conversation, save_conversation
from storage.models import Subject
from storage.screenings import open_followup_of
from storage.subjects import Profile, set_contact_opt_in, set_profile

ASK_SEX_FROM_MONTHS = 144.0  # from 12 years sex can matter (adult cut-offs, pregnancy)
MAX_MONTHS = 1200.0
AGE_ROWS = tuple(
    tuple((f"profile.age_{key}", f"age:{key}") for key in row)
    for row in (
        ("infant_under_6m",),
        ("child_6_23m", "child_24_59m"),
        ("child_5_11y", "child_12_14y"),
        ("adult", "unknown"),
    )
)
SEX_ROW = (("profile.sex_f", "sex:f"), ("profile.sex_m", "sex:m"), ("profile.sex_unknown", "sex:u"))
PREGNANT_ROWS = (
    (("profile.pregnant_no", "preg:no"),),
    (("profile.pregnant_1", "preg:1"), ("profile.pregnant_2", "preg:2")),
    (("profile.pregnant_3", "preg:3"), ("profile.pregnant_unsure", "preg:u")),
)


def person_of(subject: Subject) -> Person:
    """The risk table's view of a stored profile."""
    months = subject.age_months
    if months is None and subject.age_group is not None:
        months = GROUP_MONTHS.get(subject.age_group)
    sex = cast(Literal["f", "m"] | None, subject.sex)
    trimester = cast(Literal[1, 2, 3] | None, subject.trimester)
    return Person(age_months=months, sex=sex, pregnant=subject.pregnant, trimester=trimester)


async def _step(session: AsyncSession, s: Seen, state: str, data: dict[str, Any]) -> None:
    version = s.chat.version if s.chat else None
    await save_conversation(
        session,
        pseudonym=s.pseudonym,
        state=state,
        data={**data, "lang": s.lang},
        expected_version=version,
    )


async def ask_age(session: AsyncSession, s: Seen) -> list[Out]:
    """Start the profile at its first step."""
    await _step(session, s, "profile_age", {})
    return [Out(i18n.t(s.lang, "profile.ask_age"), buttons=keyboard(s.lang, *AGE_ROWS))]


async def start_profile(deps: Deps, who: Who) -> list[Out]:
    """/profile: ask whom the photos are of (after consent)."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None:
            return [Out(i18n.t(s.lang, "profile.need_consent"))]
        return await ask_age(session, s)

    return await once(deps, who, work)


async def _save(session: AsyncSession, s: Seen, data: dict[str, Any]) -> list[Out]:
    """The last step: store the profile, end the chat flow, say which WHO group applies."""
    assert s.subject is not None
    group = data.get("group")
    months = data.get("months")
    profile = Profile(
        age_months=months,
        age_group=group if months is None else None,
        sex=data.get("sex"),
        pregnant=bool(data.get("pregnant")),
        trimester=data.get("trimester"),
    )
    subject = await set_profile(session, subject_id=s.subject.id, profile=profile)
    await clear_conversation(session, pseudonym=s.pseudonym)
    label = i18n.t(s.lang, f"group.{group_for(person_of(subject))}")
    text = i18n.t(s.lang, "profile.saved", group=label)
    on = subject.research_opt_in
    research_line = i18n.t(s.lang, "research.state_on" if on else "research.state_off")
    contact = subject.contact_opt_in
    contact_line = i18n.t(s.lang, f"profile.contact_state_{'on' if contact else 'off'}")
    buttons = research.toggle(s.lang, on) + contact_toggle(s.lang, contact)
    return [Out(f"{text}\n\n{research_line}\n{contact_line}", edit=True, buttons=buttons)]


def contact_toggle(lang: str, on: bool) -> tuple[tuple[Button, ...], ...]:
    """The button that turns the consent to be contacted the other way."""
    value = "off" if on else "on"
    return keyboard(lang, ((f"profile.contact_turn_{value}", f"contact:{value}"),))


async def contact(deps: Deps, who: Who, value: str) -> list[Out]:
    """A contact button: on seals the chat id beside an open case; off erases it at once and
    ends a pending answer to a health worker's message."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None or value not in ("on", "off"):
            return [Out(i18n.t(s.lang, "stale_button"))]
        on = value == "on"
        await set_contact_opt_in(session, subject_id=s.subject.id, opt_in=on)
        if on and await open_followup_of(session, subject_id=s.subject.id) is not None:
            await relay.remember(session, deps, s.subject, who)
        if not on:
            await relay.end_reply(session, s)
        log.info("contact subject=%s on=%s", tag(s.pseudonym), on)
        text = i18n.t(s.lang, f"profile.contact_{value}")
        return [Out(text, buttons=contact_toggle(s.lang, on))]

    return await once(deps, who, work)


async def _after_age(session: AsyncSession, s: Seen, data: dict[str, Any]) -> list[Out]:
    months = data.get("months") or GROUP_MONTHS.get(data.get("group") or "", 0.0)
    if data.get("group") == "unknown" or months < ASK_SEX_FROM_MONTHS:
        return await _save(session, s, data)
    await _step(session, s, "profile_sex", data)
    return [Out(i18n.t(s.lang, "profile.ask_sex"), buttons=keyboard(s.lang, SEX_ROW), edit=True)]


async def _after_sex(session: AsyncSession, s: Seen, data: dict[str, Any]) -> list[Out]:
    if data.get("sex") != "f":
        return await _save(session, s, data)
    await _step(session, s, "profile_pregnant", data)
    buttons = keyboard(s.lang, *PREGNANT_ROWS)
    return [Out(i18n.t(s.lang, "profile.ask_pregnant"), buttons=buttons, edit=True)]


def _pregnancy(value: str) -> dict[str, Any]:
    if value == "no":
        return {"pregnant": False}
    return {"pregnant": True, "trimester": int(value) if value in ("1", "2", "3") else None}


async def answer(deps: Deps, who: Who, step: str, value: str) -> list[Out]:
    """A profile button: `step` is "age", "sex" or "preg"; stale or forged buttons are refused."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None or s.chat is None or s.chat.state != _STATES.get(step):
            return [Out(i18n.t(s.lang, "stale_button"))]
        data = dict(s.chat.data)
        if step == "age" and (value in GROUP_MONTHS or value == "unknown"):
            return await _after_age(session, s, data | {"group": value})
        if step == "sex" and value in ("f", "m", "u"):
            return await _after_sex(session, s, data | {"sex": None if value == "u" else value})
        if step == "preg" and value in ("no", "1", "2", "3", "u"):
            return await _save(session, s, data | _pregnancy(value))
        return [Out(i18n.t(s.lang, "stale_button"))]

    return await once(deps, who, work)


_STATES = {"age": "profile_age", "sex": "profile_sex", "preg": "profile_pregnant"}


def parse_months(text: str) -> float | None:
    """An age in months typed by the person, or None if it is not one."""
    months = numbers.decimal(text)  # '1e309', 'nan', '-0', '١٢' are not ages
    return months if months is not None and months <= MAX_MONTHS else None


async def text(deps: Deps, who: Who, message: str) -> list[Out]:
    """Plain text: an answer to a relayed message, the age in months at the profile's first
    step, otherwise the hint."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.chat is not None and s.chat.state == relay.REPLY_STATE:
            return await relay.reply(session, s, message)
        if s.subject is None or s.chat is None or s.chat.state != "profile_age":
            return [Out(i18n.t(s.lang, "hint"))]
        months = parse_months(message)
        if months is None:
            return [Out(i18n.t(s.lang, "profile.bad_months"))]
        return await _after_age(session, s, dict(s.chat.data) | {"months": months})

    return await once(deps, who, work)
