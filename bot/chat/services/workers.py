"""Health workers in the chat: /pending, /case, /contacted, /decline, /note, /take and
/resolve (the team's /stats, /join and /invite are in `bot.chat.services.team`).

A worker is known by the pseudonym of their id under the "worker" purpose, and sees only
their team's cases (storage.followups scopes every query).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.services.base import Deps, Out, Seen, Who, log, once
from bot.pipeline import i18n
from storage.errors import InvalidTransition, InvalidValue, NotFound
from storage.followups import (
    MAX_NOTE_CHARS,
    add_note,
    assign_followup,
    count_followups,
    decline_followup,
    get_followup,
    list_followups,
    list_notes,
    mark_contacted,
    resolve_followup,
)
from storage.models import (
    RISKS,
    FollowUp,
    FollowUpNote,
    HealthWorker,
    Screening,
    Subject,
    utcnow,
)
from storage.pseudonyms import format_case_code, normalise_code
from storage.workers import find_worker

PAGE_SIZE = 10  # cases per /pending page
OPEN = ("pending", "contacted")
HISTORY_SHOWN = 12  # latest entries of /case's history: a reply must stay under 4096 characters
NOTE_SHOWN = 200  # characters of each note in /case


async def _worker(session: AsyncSession, deps: Deps, who: Who) -> HealthWorker | None:
    candidates = deps.pseudonyms.candidates(who.user_id, "worker")
    return await find_worker(session, candidates=candidates)


Job = Callable[[AsyncSession, Seen, HealthWorker], Awaitable[list[Out]]]


async def as_worker(deps: Deps, who: Who, job: Job) -> list[Out]:
    """Run `job(session, seen, worker)` for a worker; refuse anyone else."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        worker = await _worker(session, deps, who)
        if worker is None:
            return [Out(i18n.t(s.lang, "worker.denied"))]
        return await job(session, s, worker)

    return await once(deps, who, work)


@dataclass(frozen=True)
class PendingQuery:
    """/pending's filters: screening risks, opened at least `older_than_days` ago, the page."""

    risks: tuple[str, ...] = ()
    older_than_days: int | None = None
    page: int = 1


def parse_pending(args: Sequence[str]) -> PendingQuery | None:
    """[risk[,risk]] [days] [page N] from /pending's arguments, in any order; None if bad."""
    risks: list[str] = []
    days: int | None = None
    page: int | None = None
    words = iter(w.lower() for w in args)
    for word in words:
        if word == "page" and page is None:
            page = _number(next(words, ""))
            if not page:
                return None
        elif (n := _number(word)) is not None and days is None:
            days = n
        elif word.strip(",") and all(r in RISKS for r in word.strip(",").split(",")):
            risks += [r for r in word.strip(",").split(",") if r not in risks]
        else:
            return None
    return PendingQuery(tuple(risks), days, page or 1)


def _number(word: str) -> int | None:
    return int(word) if re.fullmatch(r"[0-9]{1,5}", word) else None


async def pending(deps: Deps, who: Who, args: Sequence[str] = ()) -> list[Out]:
    """/pending [risk] [days] [page N]: the team's open cases, oldest first, a page at a time."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        q = parse_pending(args)
        if q is None:
            return [Out(i18n.t(s.lang, "worker.pending_usage"))]
        days = q.older_than_days
        before = None if days is None else utcnow() - timedelta(days=days)
        total = await count_followups(
            session, worker=worker, statuses=OPEN, risks=q.risks, before=before
        )
        if not total:
            return [Out(i18n.t(s.lang, "worker.pending_empty"))]
        pages = -(-total // PAGE_SIZE)
        if q.page > pages:
            return [Out(i18n.t(s.lang, "worker.pending_no_page", page=q.page, pages=pages))]
        cases = await list_followups(
            session,
            worker=worker,
            statuses=OPEN,
            risks=q.risks,
            before=before,
            limit=PAGE_SIZE,
            offset=(q.page - 1) * PAGE_SIZE,
        )
        header = i18n.t(s.lang, "worker.pending_header", n=total, page=q.page, pages=pages)
        lines = [header] + [
            i18n.t(
                s.lang,
                "worker.pending_line",
                code=format_case_code(c.case_code),
                status=c.status,
                risk=c.risk,
                hb=f"{c.hb_g_dl:.1f}",
                opened=_day(c.opened_at),
            )
            for c in cases
        ]
        return [Out("\n".join(lines))]

    return await as_worker(deps, who, job)


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


async def case(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/case CODE: one case of the worker's team, whose it is, and its history with the notes."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if not code:
            return [Out(i18n.t(s.lang, "worker.case_usage"))]
        try:
            found = await get_followup(session, case_code=code, worker=worker)
        except NotFound:
            return [Out(i18n.t(s.lang, "worker.not_found"))]
        notes = await list_notes(session, case_code=code, worker=worker)
        sc = await session.get_one(Screening, found.screening_id)
        yes, no = i18n.t(s.lang, "worker.yes"), i18n.t(s.lang, "worker.no")
        lab = (
            f"{found.lab_hb_g_dl:.1f} g/dL" if found.lab_hb_g_dl else i18n.t(s.lang, "worker.none")
        )
        subject = await session.get_one(Subject, found.subject_id)
        text = i18n.t(
            s.lang,
            "worker.case",
            code=format_case_code(found.case_code),
            status=found.status,
            reason=found.reason,
            hb=f"{sc.hb_g_dl:.1f}",
            low=f"{sc.interval_low:.1f}",
            high=f"{sc.interval_high:.1f}",
            risk=sc.risk,
            reliable=yes if sc.reliable else no,
            contact=yes if subject.contact_opt_in else no,
            lab=lab,
            assigned=_whom(s.lang, found.assigned_worker_id, worker, "worker.nobody"),
        )
        return [Out("\n".join([text, *_history(s.lang, found, notes, worker)]))]

    return await as_worker(deps, who, job)


def _whom(lang: str, worker_id: int | None, me: HealthWorker, nobody: str) -> str:
    """The worker as "you", "another worker" or the `nobody` text; never which worker."""
    if worker_id is None:
        return i18n.t(lang, nobody)
    return i18n.t(lang, "worker.you" if worker_id == me.id else "worker.another_worker")


def _history(lang: str, found: FollowUp, notes: list[FollowUpNote], me: HealthWorker) -> list[str]:
    """The case's steps and notes, oldest first; only the latest HISTORY_SHOWN of them."""
    steps = [
        (found.opened_at, "worker.history_opened"),
        (found.contacted_at, "worker.history_contacted"),
    ]
    if found.status in ("resolved", "declined"):
        steps.append((found.closed_at, f"worker.history_{found.status}"))
    events = [(when, i18n.t(lang, key, date=_day(when))) for when, key in steps if when]
    for n in notes:
        text = n.text if len(n.text) <= NOTE_SHOWN else n.text[: NOTE_SHOWN - 1] + "…"
        author = _whom(lang, n.worker_id, me, "worker.office")
        line = i18n.t(
            lang, "worker.history_note", date=_day(n.created_at), author=author, text=text
        )
        events.append((n.created_at, line))
    events.sort(key=lambda e: e[0])  # stable: a step comes before the note made with it
    earlier = len(events) - HISTORY_SHOWN
    more = [i18n.t(lang, "worker.history_more", n=earlier)] if earlier > 0 else []
    return [i18n.t(lang, "worker.history"), *more, *(line for _, line in events[-HISTORY_SHOWN:])]


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
    deps: Deps, who: Who, args: list[str], act: Callable[..., Awaitable[object]], *,
    text_as: str, needs_text: bool, name: str,
) -> list[Out]:  # fmt: skip
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
    return await _step(deps, who, args, mark_contacted, text_as="note", needs_text=False,
                       name="contacted")  # fmt: skip


async def decline(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/decline CODE REASON...: the person does not want a follow-up; the reason is a note."""
    return await _step(deps, who, args, decline_followup, text_as="note", needs_text=True,
                       name="declined")  # fmt: skip


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
    if len(args) < 2:
        return None
    try:
        lab = float(args[1].replace(",", "."))
    except ValueError:
        return None
    rest, when = args[2:], None
    if rest and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rest[0]):
        try:
            when = date.fromisoformat(rest[0])
        except ValueError:
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
            found = await resolve_followup(session, case_code=code, worker=worker,
                                           lab_hb_g_dl=lab, lab_date=parsed.lab_date,
                                           note=parsed.note)  # fmt: skip
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
