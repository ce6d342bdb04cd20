"""Health workers in the chat: who is one, /pending and /case (the steps on a case are in
`bot.services.casework`; the team's /stats, /join and /invite in `bot.services.team`).

A worker is known by the pseudonym of their id under the "worker" purpose, and sees only
their team's cases (storage.cases scopes every query).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import numbers
from bot.services.base import Deps, Out, Seen, Who, once
from bot.texts import i18n
from storage.errors import NotFound
from storage.followups import (
    CaseFilters,
    Office,
    count_followups,
    get_followup,
    list_followups,
    list_notes,
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
from storage.pseudonyms import format_case_code
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
    return numbers.whole(word, digits=5)  # days or a page: 99999 is beyond any


async def pending(deps: Deps, who: Who, args: Sequence[str] = ()) -> list[Out]:
    """/pending [risk] [days] [page N]: the team's open cases, oldest first, a page at a time."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        q = parse_pending(args)
        if q is None:
            return [Out(i18n.t(s.lang, "worker.pending_usage"))]
        days = q.older_than_days
        before = None if days is None else utcnow() - timedelta(days=days)
        filters = CaseFilters(worker=worker, statuses=OPEN, risks=q.risks, before=before)
        total = await count_followups(session, **filters)
        if not total:
            return [Out(i18n.t(s.lang, "worker.pending_empty"))]
        pages = -(-total // PAGE_SIZE)
        if q.page > pages:
            return [Out(i18n.t(s.lang, "worker.pending_no_page", page=q.page, pages=pages))]
        offset = (q.page - 1) * PAGE_SIZE
        cases = await list_followups(session, **filters, limit=PAGE_SIZE, offset=offset)
        header = i18n.t(s.lang, "worker.pending_header", n=total, page=q.page, pages=pages)
        lines = [header] + [
            i18n.t(
                s.lang,
                "worker.pending_line",
                code=format_case_code(c.case_code),
                status=c.status,
                risk=c.risk,
                hb=c.hb_g_dl,
                opened=c.opened_at,
            )
            for c in cases
        ]
        return [Out("\n".join(lines))]

    return await as_worker(deps, who, job)


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
            f"{i18n.localised(s.lang, found.lab_hb_g_dl)} g/dL"
            if found.lab_hb_g_dl
            else i18n.t(s.lang, "worker.none")
        )
        subject = await session.get_one(Subject, found.subject_id)
        text = i18n.t(
            s.lang,
            "worker.case",
            code=format_case_code(found.case_code),
            status=found.status,
            reason=found.reason,
            hb=sc.hb_g_dl,
            low=sc.interval_low,
            high=sc.interval_high,
            risk=sc.risk,
            reliable=yes if sc.reliable else no,
            contact=yes if subject.contact_opt_in else no,
            lab=lab,
            assigned=whom(s.lang, found.assigned_worker_id, worker, "worker.nobody"),
        )
        reads = reads_line(s.lang, subject.language)
        return [Out("\n".join([text, reads, *history_lines(s.lang, found, notes, worker)]))]

    return await as_worker(deps, who, job)


def reads_line(lang: str, person_lang: str | None) -> str:
    """Which language the person reads, for the worker who writes to them."""
    code = i18n.language_of(person_lang)
    return i18n.t(lang, "worker.reads", language=i18n.language_name(code, lang))


def whom(lang: str, worker_id: int | None, me: HealthWorker | Office, nobody: str) -> str:
    """The worker as "you", "another worker" or the `nobody` text; never which worker."""
    if worker_id is None:
        return i18n.t(lang, nobody)
    return i18n.t(lang, "worker.you" if worker_id == me.id else "worker.another_worker")


def _author(lang: str, note: FollowUpNote, me: HealthWorker | Office) -> str:
    """Who wrote a note: the person (an answer through the relay), the office, or a worker."""
    if note.author in ("person", "office"):
        return i18n.t(lang, f"worker.{note.author}")
    return whom(lang, note.worker_id, me, "worker.office")


def history_lines(
    lang: str, found: FollowUp, notes: list[FollowUpNote], me: HealthWorker | Office
) -> list[str]:
    """The case's steps and notes, oldest first; only the latest HISTORY_SHOWN of them."""
    steps = [
        (found.opened_at, "worker.history_opened"),
        (found.contacted_at, "worker.history_contacted"),
    ]
    if found.status in ("resolved", "declined"):
        steps.append((found.closed_at, f"worker.history_{found.status}"))
    events = [(when, i18n.t(lang, key, date=when)) for when, key in steps if when]
    for n in notes:
        text = n.text if len(n.text) <= NOTE_SHOWN else n.text[: NOTE_SHOWN - 1] + "…"
        author = _author(lang, n, me)
        line = i18n.t(lang, "worker.history_note", date=n.created_at, author=author, text=text)
        events.append((n.created_at, line))
    events.sort(key=lambda e: e[0])  # stable: a step comes before the note made with it
    earlier = len(events) - HISTORY_SHOWN
    more = [i18n.t(lang, "worker.history_more", n=earlier)] if earlier > 0 else []
    return [i18n.t(lang, "worker.history"), *more, *(line for _, line in events[-HISTORY_SHOWN:])]
