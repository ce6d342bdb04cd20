"""Health workers' steps on one case: /contacted, /decline, /note, /take and /resolve.

Each step is one storage call on a case of the worker's team (`bot.services.workers`
has /pending and /case, and who counts as a worker). The steps themselves (`step`,
`take_case`, `resolve_case`) take the acting worker, or the office of one team, so the
dashboard runs the same ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import numbers
from bot.services.base import Deps, Out, Seen, Who, log
from bot.services.workers import as_worker
from bot.texts import i18n
from storage.errors import InvalidTransition, InvalidValue, NotFound
from storage.followups import (
    MAX_NOTE_CHARS,
    Office,
    add_note,
    assign_followup,
    decline_followup,
    get_followup,
    mark_contacted,
    resolve_followup,
)
from storage.models import HealthWorker, Screening
from storage.pseudonyms import format_case_code, normalise_code


def _shown(code: str) -> str:
    """A case code as typed, in the XXXX-XXXX form (the stored code, once the case is found)."""
    return format_case_code(normalise_code(code))


def _refused(lang: str, code: str, error: Exception, bad: str = "worker.note_bad") -> list[Out]:
    """The reply to a case the worker cannot see, a closed case, or a value out of range."""
    if isinstance(error, NotFound):
        return [Out(i18n.t(lang, "worker.not_found"))]
    if isinstance(error, InvalidTransition):
        return [Out(i18n.t(lang, "worker.bad_transition", code=_shown(code)))]
    return [Out(i18n.t(lang, bad, max=MAX_NOTE_CHARS))]


Actor = HealthWorker | Office


@dataclass(frozen=True)
class Step:
    """A step on a case: the storage call `act(session, case_code=, worker=, <text_as>=text)`,
    whether it needs the text, and its usage reply."""

    act: Callable[..., Awaitable[object]]
    text_as: str
    needs_text: bool
    usage: str


STEPS = {
    "contacted": Step(mark_contacted, "note", False, "contacted_usage"),
    "declined": Step(decline_followup, "note", True, "decline_usage"),
    "noted": Step(add_note, "text", True, "note_usage"),
}


async def step(
    session: AsyncSession, lang: str, actor: Actor, name: str, code: str | None, text: str | None
) -> list[Out]:
    """The step `name` (a key of STEPS) on the case `code`, then the reply `worker.<name>`; a
    usage note or a refusal otherwise."""
    what = STEPS[name]
    if not code or (what.needs_text and not text):
        return [Out(i18n.t(lang, f"worker.{what.usage}"))]
    try:
        await what.act(session, case_code=code, worker=actor, **{what.text_as: text})
    except (NotFound, InvalidTransition, InvalidValue) as e:
        return _refused(lang, code, e)
    log.info("%s case worker=%s", name, actor.id)
    return [Out(i18n.t(lang, f"worker.{name}", code=_shown(code)))]


async def _step(deps: Deps, who: Who, args: list[str], name: str) -> list[Out]:
    """CODE [text...] from the chat: `step` for the worker writing."""
    code, text = (args[0] if args else None), " ".join(args[1:]) or None

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        return await step(session, s.lang, worker, name, code, text)

    return await as_worker(deps, who, job)


async def contacted(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/contacted CODE [note]: the person was reached (again); an unassigned case becomes yours."""
    return await _step(deps, who, args, "contacted")


async def decline(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/decline CODE REASON...: the person does not want a follow-up; the reason is a note."""
    return await _step(deps, who, args, "declined")


async def note(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/note CODE TEXT...: add a note to a case, open or closed."""
    return await _step(deps, who, args, "noted")


async def take(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/take CODE: assign an open case to yourself, also one another worker had."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        return await take_case(session, s.lang, worker, code)

    return await as_worker(deps, who, job)


async def take_case(
    session: AsyncSession, lang: str, worker: HealthWorker, code: str | None
) -> list[Out]:
    """Assign the open case `code` to the worker, also one another worker had."""
    if not code:
        return [Out(i18n.t(lang, "worker.take_usage"))]
    try:
        had = (await get_followup(session, case_code=code, worker=worker)).assigned_worker_id
        await assign_followup(session, case_code=code, worker=worker, assignee_id=worker.id)
    except (NotFound, InvalidTransition) as e:
        return _refused(lang, code, e)
    log.info("took case worker=%s", worker.id)
    key = "worker.taken" if had in (None, worker.id) else "worker.taken_over"
    return [Out(i18n.t(lang, key, code=_shown(code)))]


async def unassign_case(
    session: AsyncSession, lang: str, actor: Actor, code: str | None
) -> list[Out]:
    """Take the case from whichever worker had it (one who left, say), as the CLI's
    `followups assign --unassign` does; the dashboard offers it to admins."""
    if not code:
        return [Out(i18n.t(lang, "worker.case_usage"))]
    try:
        await assign_followup(session, case_code=code, worker=actor, assignee_id=None)
    except NotFound as e:
        return _refused(lang, code, e)
    log.info("unassigned case by=%s", actor.id)
    return [Out(i18n.t(lang, "worker.unassigned", code=_shown(code)))]


@dataclass(frozen=True)
class Resolution:
    """/resolve's arguments: the case, the lab Hb (g/dL), the lab date if given, a note."""

    code: str
    lab: float
    lab_date: date | None
    note: str | None


def parse_resolve(args: list[str]) -> Resolution | None:
    """CODE LAB_HB [YYYY-MM-DD] [note...] from /resolve's arguments, or None if they do not
    parse (without a date, the lab date is today)."""
    if len(args) < 2 or (lab := numbers.decimal(args[1])) is None:
        return None
    rest, when = args[2:], None
    if rest and numbers.looks_like_date(rest[0]):  # a date, even one mistyped, is no note
        if (when := numbers.iso_date(rest[0])) is None:
            return None
        rest = rest[1:]
    return Resolution(args[0], lab, when, " ".join(rest) or None)


async def resolve(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/resolve CODE LAB_HB [YYYY-MM-DD] [note]: close the case with the lab-confirmed Hb."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        parsed = parse_resolve(args)
        if parsed is None:
            return [Out(i18n.t(s.lang, "worker.resolve_usage"))]
        return await resolve_case(session, s.lang, worker, parsed)

    return await as_worker(deps, who, job)


async def resolve_case(
    session: AsyncSession, lang: str, actor: Actor, parsed: Resolution
) -> list[Out]:
    """Close the case with the lab-confirmed Hb; the estimate beside it in the reply."""
    code, lab = parsed.code, parsed.lab
    try:
        found = await resolve_followup(
            session,
            case_code=code,
            worker=actor,
            lab_hb_g_dl=lab,
            lab_date=parsed.lab_date,
            note=parsed.note,
        )
    except (NotFound, InvalidTransition, InvalidValue) as e:
        return _refused(lang, code, e, bad="worker.bad_value")
    sc = await session.get_one(Screening, found.screening_id)
    log.info("resolved case worker=%s", actor.id)
    shown = format_case_code(found.case_code)
    return [Out(i18n.t(lang, "worker.resolved", code=shown, lab=lab, hb=sc.hb_g_dl))]
