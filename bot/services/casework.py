"""Health workers' steps on one case: /contacted, /decline, /note, /take and /resolve.

Each step is one storage call on a case of the worker's team (`bot.services.workers`
has /pending and /case, and who counts as a worker).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline import i18n
from bot.services import numbers
from bot.services.base import Deps, Out, Seen, Who, log
from bot.services.workers import as_worker
from storage.errors import InvalidTransition, InvalidValue, NotFound
from storage.followups import (
    MAX_NOTE_CHARS,
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


async def _step(
    deps: Deps,
    who: Who,
    args: list[str],
    act: Callable[..., Awaitable[object]],
    *,
    text_as: str,
    needs_text: bool,
    name: str,
) -> list[Out]:
    """CODE [text...] for one case: the storage step `act(session, case_code=, worker=,
    <text_as>=text)`, then the reply `worker.<name>`; a usage note or a refusal otherwise."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if len(args) < (2 if needs_text else 1):
            return [Out(i18n.t(s.lang, f"worker.{USAGE[name]}"))]
        code, text = args[0], " ".join(args[1:]) or None
        try:
            await act(session, case_code=code, worker=worker, **{text_as: text})
        except (NotFound, InvalidTransition, InvalidValue) as e:
            return _refused(s.lang, code, e)
        log.info("%s case worker=%s", name, worker.id)
        return [Out(i18n.t(s.lang, f"worker.{name}", code=_shown(code)))]

    return await as_worker(deps, who, job)


USAGE = {"contacted": "contacted_usage", "declined": "decline_usage", "noted": "note_usage"}


async def contacted(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/contacted CODE [note]: the person was reached (again); an unassigned case becomes yours."""
    return await _step(
        deps, who, args, mark_contacted, text_as="note", needs_text=False, name="contacted"
    )


async def decline(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/decline CODE REASON...: the person does not want a follow-up; the reason is a note."""
    return await _step(
        deps, who, args, decline_followup, text_as="note", needs_text=True, name="declined"
    )


async def note(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/note CODE TEXT...: add a note to a case, open or closed."""
    return await _step(deps, who, args, add_note, text_as="text", needs_text=True, name="noted")


async def take(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/take CODE: assign an open case to yourself, also one another worker had."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if not code:
            return [Out(i18n.t(s.lang, "worker.take_usage"))]
        try:
            had = (await get_followup(session, case_code=code, worker=worker)).assigned_worker_id
            await assign_followup(session, case_code=code, worker=worker, assignee_id=worker.id)
        except (NotFound, InvalidTransition) as e:
            return _refused(s.lang, code, e)
        log.info("took case worker=%s", worker.id)
        key = "worker.taken" if had in (None, worker.id) else "worker.taken_over"
        return [Out(i18n.t(s.lang, key, code=_shown(code)))]

    return await as_worker(deps, who, job)


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
        code, lab = parsed.code, parsed.lab
        try:
            found = await resolve_followup(
                session,
                case_code=code,
                worker=worker,
                lab_hb_g_dl=lab,
                lab_date=parsed.lab_date,
                note=parsed.note,
            )
        except (NotFound, InvalidTransition, InvalidValue) as e:
            return _refused(s.lang, code, e, bad="worker.bad_value")
        sc = await session.get_one(Screening, found.screening_id)
        log.info("resolved case worker=%s", worker.id)
        return [
            Out(
                i18n.t(
                    s.lang,
                    "worker.resolved",
                    code=format_case_code(found.case_code),
                    lab=f"{lab:.1f}",
                    hb=f"{sc.hb_g_dl:.1f}",
                )
            )
        ]

    return await as_worker(deps, who, job)
