"""The relay's keys rotate (RELAY_OLD_KEYS), a reminder is marked sent only once Telegram took
it, and consent to be contacted is turned off (erasing the sealed chat id) and on in /profile."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.chat.handlers import reminder_job
from bot.services import buttons, people, profile, relay
from bot.services.base import Deps
from bot.services.relay import Delivery
from bot.services.relay_key import Relay, new_key
from bot.services.settings import BotSettings
from bot.services.startup import relay_for, reseal
from bot.texts.i18n import t
from storage.models import FollowUp, Subject
from tests.bot.chat.conftest import who
from tests.bot.services.conftest import open_case

PERSON = 5151
LATER = datetime.now(UTC) + timedelta(days=30)  # every open case's reminder is due


def test_old_keys_open_and_renew() -> None:
    old, new = new_key(), new_key()
    token = Relay(old).seal(PERSON)
    assert Relay(new).open(token) is None  # without the old key: unreadable
    rotated = Relay(new, [old])
    assert rotated.open(token) == PERSON
    renewed = rotated.renewed(token)
    assert renewed is not None and Relay(new).open(renewed) == PERSON
    assert rotated.renewed(renewed) is None  # already under the current key
    assert rotated.renewed(Relay(new_key()).seal(1)) is None  # no key of ours


def test_relay_old_keys_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    monkeypatch.setenv("RELAY_KEY", new)
    monkeypatch.setenv("RELAY_OLD_KEYS", f"{old}, {new_key()}")
    settings = BotSettings()
    token = Relay(old).seal(PERSON)
    made = relay_for(settings)
    assert made is not None and made.open(token) == PERSON
    assert old not in repr(settings)
    monkeypatch.setenv("RELAY_OLD_KEYS", "not-a-key")
    with pytest.raises(ValidationError, match="RELAY_OLD_KEYS"):
        BotSettings()


def _with_relay(deps: Deps, key: str, *old: str) -> Deps:
    return dataclasses.replace(deps, relay=Relay(key, list(old)))


async def _contact_case(deps: Deps, pool) -> str:
    await people.start(deps, who(PERSON))
    await people.answer_consent(deps, who(PERSON), "contact")
    return await open_case(deps, pool, PERSON)


async def _reminded(deps: Deps) -> datetime | None:
    async with deps.sessions() as session:
        return await session.scalar(select(FollowUp.reminded_at))


async def _token(deps: Deps) -> bytes | None:
    async with deps.sessions() as session:
        return await session.scalar(select(Subject.relay_chat))


class Telegram:
    """Takes reminders, or fails them with `outcome`."""

    def __init__(self, outcome: Delivery = "sent") -> None:
        self.outcome = outcome
        self.sent: list[tuple[int, str]] = []

    async def __call__(self, chat_id: int, text: str) -> Delivery:
        if self.outcome == "sent":
            self.sent.append((chat_id, text))
        return self.outcome


async def test_a_reminder_is_marked_only_once_sent(deps, pool) -> None:
    deps = _with_relay(deps, new_key())
    code = await _contact_case(deps, pool)
    down = Telegram("failed")
    assert await relay.remind(deps, down, LATER) == 0
    assert await _reminded(deps) is None  # Telegram did not take it: still due
    up = Telegram()
    assert await relay.remind(deps, up, LATER) == 1
    assert up.sent == [(PERSON, t("en", "relay.reminder", code=code))]
    assert await _reminded(deps) is not None
    assert await relay.remind(deps, up, LATER) == 0 and len(up.sent) == 1  # once only


async def test_an_unreadable_token_is_not_marked_sent(deps, pool) -> None:
    old = new_key()
    await _contact_case(_with_relay(deps, old), pool)
    forgot = _with_relay(deps, new_key())  # rotated without RELAY_OLD_KEYS
    telegram = Telegram()
    assert await relay.remind(forgot, telegram, LATER) == 0
    assert telegram.sent == [] and await _reminded(deps) is None
    # with the old key listed, the reminder goes out after all
    assert await relay.remind(_with_relay(deps, new_key(), old), telegram, LATER) == 1
    assert [chat for chat, _ in telegram.sent] == [PERSON]


async def test_a_blocked_chat_is_forgotten_not_marked(deps, pool) -> None:
    deps = _with_relay(deps, new_key())
    await _contact_case(deps, pool)
    assert await relay.remind(deps, Telegram("gone"), LATER) == 0
    assert await _reminded(deps) is None and await _token(deps) is None


async def test_rotation_keeps_the_person_reachable(deps, pool) -> None:
    old, new = new_key(), new_key()
    await _contact_case(_with_relay(deps, old), pool)
    sealed = await _token(deps)
    rotated = _with_relay(deps, new, old)
    assert rotated.relay is not None
    assert await reseal(deps.sessions, rotated.relay) == 1  # at start
    token = await _token(deps)
    assert token is not None and token != sealed and Relay(new).open(token) == PERSON
    assert await reseal(deps.sessions, rotated.relay) == 0  # nothing left under the old key


async def test_contact_is_turned_off_and_on_in_the_profile(deps, pool) -> None:
    deps = _with_relay(deps, new_key())
    await _contact_case(deps, pool)
    assert await _token(deps) is not None
    [off] = await buttons.press(deps, who(PERSON), "contact:off", {"contact:off"})
    assert off.text == t("en", "profile.contact_off")
    assert [b.data for row in off.buttons for b in row] == ["contact:on"]
    assert await _token(deps) is None  # erased at once
    async with deps.sessions() as session:
        assert not (await session.scalars(select(Subject))).one().contact_opt_in
    [on] = await profile.contact(deps, who(PERSON), "on")
    assert on.text == t("en", "profile.contact_on")
    token = await _token(deps)  # the case is open: reachable again
    assert token is not None and deps.relay is not None and deps.relay.open(token) == PERSON


async def test_contact_off_ends_a_pending_answer(deps, pool) -> None:
    deps = _with_relay(deps, new_key())
    await _contact_case(deps, pool)
    async with deps.sessions.begin() as session:
        case = (await session.scalars(select(FollowUp))).one()
        await relay._await_reply(session, case)
    await profile.contact(deps, who(PERSON), "off")
    [answer] = await profile.text(deps, who(PERSON), "my answer")
    assert answer.text == t("en", "hint")  # not filed: no step awaits it any more


class Bot:
    """send_message as Telegram answers it: taken, or refused with `error`."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.sent = error, 0

    async def send_message(self, chat_id: int, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.sent += 1


@pytest.mark.parametrize(
    ("error", "marked", "kept"),
    [
        (None, True, True),
        (Forbidden("Forbidden: bot was blocked by the user"), False, False),
        (BadRequest("Chat not found"), False, False),
        (NetworkError("connection reset"), False, True),
        (TimedOut(), False, True),
    ],
)
async def test_the_reminder_job_marks_what_telegram_took(deps, pool, error, marked, kept):
    deps = _with_relay(deps, new_key())
    await _contact_case(deps, pool)
    async with deps.sessions.begin() as session:  # opened long enough ago to be due
        case = (await session.scalars(select(FollowUp))).one()
        case.opened_at = datetime.now(UTC) - timedelta(days=30)
    context = SimpleNamespace(deps=deps, bot=Bot(error))
    await reminder_job(context)  # type: ignore[arg-type]
    assert (await _reminded(deps) is not None) == marked
    assert (await _token(deps) is not None) == kept
