"""Health workers in the chat: /pending, /case, /resolve, /stats, /join and /invite.

A worker is known by the pseudonym of their id under the "worker" purpose, and sees only
their team's cases (storage.followups scopes every query).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot import i18n
from bot.services.base import Deps, Out, Seen, Who, log, once, tag
from storage.errors import InvalidTransition, InvalidValue, InviteInvalid, NotFound
from storage.followups import get_followup, list_followups, resolve_followup
from storage.models import HealthWorker, Screening, Subject, Team
from storage.stats import field_stats
from storage.workers import create_invite, find_worker, redeem_invite

PENDING_SHOWN = 30


async def _worker(session: AsyncSession, deps: Deps, who: Who) -> HealthWorker | None:
    candidates = deps.pseudonyms.candidates(who.user_id, "worker")
    return await find_worker(session, candidates=candidates)


Job = Callable[[AsyncSession, Seen, HealthWorker], Awaitable[list[Out]]]


async def _as_worker(deps: Deps, who: Who, job: Job) -> list[Out]:
    """Run `job(session, seen, worker)` for a worker; refuse anyone else."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        worker = await _worker(session, deps, who)
        if worker is None:
            return [Out(i18n.t(s.lang, "worker.denied"))]
        return await job(session, s, worker)

    return await once(deps, who, work)


async def pending(deps: Deps, who: Who) -> list[Out]:
    """/pending: the team's open cases, oldest first."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        cases = await list_followups(
            session, worker=worker, statuses=("pending", "contacted"), limit=PENDING_SHOWN
        )
        if not cases:
            return [Out(i18n.t(s.lang, "worker.pending_empty"))]
        lines = [i18n.t(s.lang, "worker.pending_header", n=len(cases))] + [
            i18n.t(
                s.lang,
                "worker.pending_line",
                code=_code(c.case_code),
                status=c.status,
                risk=c.risk,
                hb=f"{c.hb_g_dl:.1f}",
                opened=c.opened_at.strftime("%Y-%m-%d"),
            )
            for c in cases
        ]
        return [Out("\n".join(lines))]

    return await _as_worker(deps, who, job)


def _code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


async def case(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/case CODE: one case of the worker's team."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if not code:
            return [Out(i18n.t(s.lang, "worker.case_usage"))]
        try:
            found = await get_followup(session, case_code=code, worker=worker)
        except NotFound:
            return [Out(i18n.t(s.lang, "worker.not_found"))]
        sc = await session.get_one(Screening, found.screening_id)
        yes, no = i18n.t(s.lang, "worker.yes"), i18n.t(s.lang, "worker.no")
        lab = (
            f"{found.lab_hb_g_dl:.1f} g/dL" if found.lab_hb_g_dl else i18n.t(s.lang, "worker.none")
        )
        subject = await session.get_one(Subject, found.subject_id)
        text = i18n.t(
            s.lang,
            "worker.case",
            code=_code(found.case_code),
            status=found.status,
            reason=found.reason,
            hb=f"{sc.hb_g_dl:.1f}",
            low=f"{sc.interval_low:.1f}",
            high=f"{sc.interval_high:.1f}",
            risk=sc.risk,
            reliable=yes if sc.reliable else no,
            contact=yes if subject.contact_opt_in else no,
            lab=lab,
        )
        return [Out(text)]

    return await _as_worker(deps, who, job)


def parse_resolve(args: list[str]) -> tuple[str, float, str | None] | None:
    """CODE LAB_HB [note...] from /resolve's arguments, or None if they do not parse."""
    if len(args) < 2:
        return None
    try:
        lab = float(args[1].replace(",", "."))
    except ValueError:
        return None
    return args[0], lab, " ".join(args[2:]) or None


async def resolve(deps: Deps, who: Who, args: list[str]) -> list[Out]:
    """/resolve CODE LAB_HB [note]: close the case with the lab-confirmed Hb."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        parsed = parse_resolve(args)
        if parsed is None:
            return [Out(i18n.t(s.lang, "worker.resolve_usage"))]
        code, lab, note = parsed
        try:
            found = await resolve_followup(
                session, case_code=code, worker=worker, lab_hb_g_dl=lab, note=note
            )
        except NotFound:
            return [Out(i18n.t(s.lang, "worker.not_found"))]
        except InvalidTransition:
            return [Out(i18n.t(s.lang, "worker.bad_transition", code=code))]
        except InvalidValue:
            return [Out(i18n.t(s.lang, "worker.bad_value"))]
        sc = await session.get_one(Screening, found.screening_id)
        log.info("resolved case worker=%s", worker.id)
        return [
            Out(
                i18n.t(
                    s.lang,
                    "worker.resolved",
                    code=_code(found.case_code),
                    lab=f"{lab:.1f}",
                    hb=f"{sc.hb_g_dl:.1f}",
                )
            )
        ]

    return await _as_worker(deps, who, job)


async def stats(deps: Deps, who: Who) -> list[Out]:
    """/stats: the team's screenings, risk mix, follow-ups and accuracy against lab Hb."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        f = await field_stats(session, team_id=worker.team_id)
        closed = f.followups.get("resolved", 0) + f.followups.get("declined", 0)
        lines = [
            i18n.t(
                s.lang,
                "worker.stats",
                n=f.screenings,
                people=f.subjects,
                unreliable=f.unreliable,
                opened=f.followups_opened,
                closed=closed,
                **f.risk_mix,
            )
        ]
        if (a := f.accuracy) is not None:
            lines.append(
                i18n.t(
                    s.lang,
                    "worker.accuracy",
                    n=a.n,
                    mae=f"{a.mae:.2f}",
                    bias=f"{a.bias:+.2f}",
                    inside=round(a.interval_coverage * 100),
                )
            )
        return [Out("\n".join(lines))]

    return await _as_worker(deps, who, job)


async def join(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/join CODE: redeem an invite; the chat then gets the workers' commands."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if not code:
            return [Out(i18n.t(s.lang, "worker.join_usage"))]
        pseudonym = deps.pseudonyms.pseudonym(who.user_id, "worker")
        try:
            worker = await redeem_invite(session, code=code, pseudonym=pseudonym)
        except InviteInvalid:
            return [Out(i18n.t(s.lang, "worker.join_invalid"))]
        team = await session.get_one(Team, worker.team_id)
        log.info("joined worker=%s team=%s", tag(pseudonym), team.id)
        return [Out(i18n.t(s.lang, "worker.joined", team=team.name), worker_commands=True)]

    return await once(deps, who, work)


async def invite(deps: Deps, who: Who) -> list[Out]:
    """/invite: a one-time invite code into the admin's team."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if worker.role != "admin":
            return [Out(i18n.t(s.lang, "worker.invite_denied"))]
        code = await create_invite(session, admin=worker)
        return [Out(i18n.t(s.lang, "worker.invite", code=code))]

    return await _as_worker(deps, who, job)
