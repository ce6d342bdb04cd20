"""The relay: a worker's `/message CODE text` reaches the person of the case through the bot,
the person's answer lands in the case's notes, and a pending case's person is reminded once;
the worker never learns who the person is. Only people who agreed to be contacted, only while
a case of theirs is open (bot.chat.relay seals the chat id; storage keeps the token).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.services.base import Deps, Out, Seen, Who, log, tag
from bot.chat.services.workers import as_worker
from bot.pipeline import i18n
from storage.conversations import clear_conversation, load_conversation, save_conversation
from storage.errors import InvalidValue, NotFound
from storage.followups import MAX_NOTE_CHARS, add_note, get_followup
from storage.models import FollowUp, HealthWorker, Subject
from storage.pseudonyms import Pseudonym, format_case_code
from storage.relay import due_reminders, mark_reminded, relay_token, set_relay

REPLY_STATE = "relay_reply"  # the person's next text goes to the case's notes
FROM_PERSON = "[from the person] "


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
        try:
            case = await get_followup(session, case_code=code, worker=worker)
        except NotFound:
            return [Out(i18n.t(s.lang, "worker.not_found"))]
        chat = await _chat_of(session, deps, case)
        shown = format_case_code(case.case_code)
        if chat is None:
            return [Out(i18n.t(s.lang, "worker.unreachable", code=shown))]
        try:
            await add_note(session, case_code=case.case_code, worker=worker, text=f"sent: {text}")
        except InvalidValue:
            return [Out(i18n.t(s.lang, "worker.note_bad", max=MAX_NOTE_CHARS))]
        person, lang = await _await_reply(session, case)
        log.info("relayed case=%s subject=%s", case.id, tag(person))
        return [Out(i18n.t(s.lang, "worker.message_sent", code=shown)),
                Out(i18n.t(lang, "relay.message", code=shown, text=text), to=chat)]  # fmt: skip

    return await as_worker(deps, who, job)


async def _chat_of(session: AsyncSession, deps: Deps, case: FollowUp) -> int | None:
    if deps.relay is None or case.status not in ("pending", "contacted"):
        return None
    token = await relay_token(session, subject_id=case.subject_id)
    return None if token is None else deps.relay.open(token)


async def _await_reply(session: AsyncSession, case: FollowUp) -> tuple[Pseudonym, str | None]:
    """Put the person's chat at the reply step for this case; their pseudonym and language."""
    subject = await session.get_one(Subject, case.subject_id)
    person = Pseudonym(subject.pseudonym, subject.key_id)
    chat = await load_conversation(session, pseudonym=person)
    await save_conversation(session, pseudonym=person, state=REPLY_STATE,
                            data={"case": case.case_code, "lang": subject.language},
                            expected_version=chat.version if chat else None)  # fmt: skip
    return person, subject.language


async def reply(session: AsyncSession, s: Seen, text: str) -> list[Out]:
    """The person's answer to a relayed message: into the case's notes."""
    assert s.chat is not None and s.chat.state == REPLY_STATE
    await clear_conversation(session, pseudonym=s.pseudonym)
    try:
        await add_note(session, case_code=s.chat.data["case"], worker=None,
                       text=f"{FROM_PERSON}{text}"[:MAX_NOTE_CHARS])  # fmt: skip
    except (NotFound, InvalidValue):
        return [Out(i18n.t(s.lang, "relay.closed"))]
    return [Out(i18n.t(s.lang, "relay.noted"))]


async def remind(deps: Deps, now: datetime | None = None) -> list[Out]:
    """The reminders due now, each addressed to its person; marked as sent here."""
    if deps.relay is None:
        return []
    before = (now or datetime.now(UTC)) - timedelta(days=deps.settings.reminder_after_days)
    outs = []
    async with deps.sessions.begin() as session:
        for due in await due_reminders(session, opened_before=before):
            chat = deps.relay.open(due.token)
            await mark_reminded(session, case_code=due.case_code)  # once, even if unreadable
            if chat is not None:
                code = format_case_code(due.case_code)
                outs.append(Out(i18n.t(due.language, "relay.reminder", code=code), to=chat))
    log.info("reminders: %d due", len(outs))
    return outs
