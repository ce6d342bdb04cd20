"""The relay: a worker's `/message CODE text` reaches the person of the case through the bot,
the person's answer lands in the case's notes, and a pending case's person is reminded once;
the worker never learns who the person is. Only people who agreed to be contacted, only while
a case of theirs is open (bot.services.relay_key seals the chat id; storage keeps the token).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.base import Deps, Out, Seen, Who, log, tag
from bot.services.relay_key import Relay
from bot.services.workers import as_worker, reads_line
from bot.texts import i18n
from storage.conversations import clear_conversation, load_conversation, save_conversation
from storage.errors import InvalidTransition, InvalidValue, NotFound
from storage.followups import MAX_NOTE_CHARS, Office, add_note, add_reply, get_followup
from storage.models import FollowUp, HealthWorker, Subject
from storage.pseudonyms import Pseudonym, format_case_code
from storage.relay import (
    claim_reminder,
    due_reminders,
    mark_reminded,
    relay_token,
    replace_relay,
    set_relay,
)

REPLY_STATE = "relay_reply"  # the person's next text goes to the case's notes
# what sending a reminder came to: sent; "gone" the chat cannot be reached any more (the
# person blocked the bot or deleted the chat); "failed" try again next round
Delivery = Literal["sent", "gone", "failed"]
Send = Callable[[int, str], Awaitable[Delivery]]


async def remember(session: AsyncSession, deps: Deps, subject: Subject, who: Who) -> None:
    """Seal the person's chat id beside their open case, if they agreed to be contacted."""
    if deps.relay is not None and subject.contact_opt_in:
        await set_relay(session, subject_id=subject.id, token=deps.relay.seal(who.user_id))


async def message(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/message CODE text: send the text to the case's person; note it in the case."""
    if len(args) < 2:
        return [Out(i18n.t(who.language_code, "worker.message_usage"))]
    code, text = args[0], " ".join(args[1:])

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        return await message_case(session, deps.relay, s.lang, worker, code, text)

    return await as_worker(deps, who, job)


async def message_case(
    session: AsyncSession,
    relay: Relay | None,
    lang: str,
    actor: HealthWorker | Office,
    code: str,
    text: str,
) -> list[Out]:
    """The text to the case's person (an Out `to` their chat), noted in the case; the reply
    to the worker first. Refused for a case not theirs, a person not reachable, a bad text."""
    if not text.strip():
        return [Out(i18n.t(lang, "worker.message_usage"))]
    try:
        case = await get_followup(session, case_code=code, worker=actor)
    except NotFound:
        return [Out(i18n.t(lang, "worker.not_found"))]
    chat = await _chat_of(session, relay, case)
    shown = format_case_code(case.case_code)
    if chat is None:
        return [Out(i18n.t(lang, "worker.unreachable", code=shown))]
    try:
        await add_note(session, case_code=case.case_code, worker=actor, text=f"sent: {text}")
    except InvalidValue:
        return [Out(i18n.t(lang, "worker.note_bad", max=MAX_NOTE_CHARS))]
    person, their_lang = await _await_reply(session, case)
    log.info("relayed case=%s subject=%s", case.id, tag(person))
    sent = i18n.t(lang, "worker.message_sent", code=shown)
    return [
        Out(f"{sent}\n{reads_line(lang, their_lang)}"),
        Out(i18n.t(their_lang, "relay.message", code=shown, text=text), to=chat),
    ]


async def _chat_of(session: AsyncSession, relay: Relay | None, case: FollowUp) -> int | None:
    """The person's chat id, re-sealing it under the current key if a retired one sealed it."""
    if relay is None or case.status not in ("pending", "contacted"):
        return None
    token = await relay_token(session, subject_id=case.subject_id)
    if token is None:
        return None
    renewed = relay.renewed(token)
    if renewed is not None:
        await replace_relay(session, subject_id=case.subject_id, old=token, new=renewed)
    return relay.open(token)


async def _await_reply(session: AsyncSession, case: FollowUp) -> tuple[Pseudonym, str | None]:
    """Put the person's chat at the reply step for this case; their pseudonym and language."""
    # locked: a message of the person's re-keying them after a key rotation (storage.subjects)
    # waits, and then moves this step along with them
    subject = await session.get_one(Subject, case.subject_id, with_for_update=True)
    person = Pseudonym(subject.pseudonym, subject.key_id)
    chat = await load_conversation(session, pseudonym=person)
    await save_conversation(
        session,
        pseudonym=person,
        state=REPLY_STATE,
        data={"case": case.case_code, "lang": subject.language},
        expected_version=chat.version if chat else None,
    )
    return person, subject.language


async def reply(session: AsyncSession, s: Seen, text: str) -> list[Out]:
    """The person's answer to a relayed message: into the case's notes, as theirs, while the
    case is open; once it closed, the answer is not filed and the person is told so."""
    assert s.chat is not None and s.chat.state == REPLY_STATE
    await clear_conversation(session, pseudonym=s.pseudonym)
    try:
        await add_reply(session, case_code=s.chat.data["case"], text=text[:MAX_NOTE_CHARS])
    except (NotFound, InvalidTransition, InvalidValue):
        return [Out(i18n.t(s.lang, "relay.closed"))]
    return [Out(i18n.t(s.lang, "relay.noted"))]


async def end_reply(session: AsyncSession, s: Seen) -> None:
    """Leave the reply step, if the chat is at it (contact withdrawn)."""
    if s.chat is not None and s.chat.state == REPLY_STATE:
        await clear_conversation(session, pseudonym=s.pseudonym)


async def remind(deps: Deps, send: Send, now: datetime | None = None) -> int:
    """Send the reminders due now through `send`; each case is marked reminded only once its
    reminder was delivered. Returns how many were sent."""
    if deps.relay is None:
        return 0
    before = (now or datetime.now(UTC)) - timedelta(days=deps.settings.reminder_after_days)
    async with deps.sessions() as session:
        codes = await due_reminders(session, opened_before=before)
    outcomes = [await _remind_one(deps, send, code, before) for code in codes]
    sent, gone = outcomes.count("sent"), outcomes.count("gone")
    kept = outcomes.count("failed") + outcomes.count("unreadable")
    (log.warning if kept else log.info)(
        "reminders: %d sent, %d unreachable, %d kept for the next round (%d unreadable)",
        sent,
        gone,
        kept,
        outcomes.count("unreadable"),
    )
    return sent


async def _remind_one(deps: Deps, send: Send, code: str, before: datetime) -> str:
    """One case's reminder, sent while the case is locked (another bot process skips it)."""
    assert deps.relay is not None
    async with deps.sessions.begin() as session:
        due = await claim_reminder(session, case_code=code, opened_before=before)
        if due is None:
            return "skipped"
        chat = deps.relay.open(due.token)
        if chat is None:  # sealed under a key we no longer have: RELAY_OLD_KEYS lacks it
            return "unreadable"
        text = i18n.t(due.language, "relay.reminder", code=format_case_code(due.case_code))
        outcome = await send(chat, text)
        if outcome == "sent":
            await mark_reminded(session, case_code=due.case_code)
        elif outcome == "gone":  # nobody to reach there: forget the chat id
            await set_relay(session, subject_id=due.subject_id, token=None)
        return outcome
