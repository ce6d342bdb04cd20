"""Health workers' team commands: /stats (with the Bland-Altman picture), /join, /web (a
sign-in link to the dashboard), and the admins' /invite, /workers and /revoke."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import numbers
from bot.services.base import Deps, Out, Seen, Who, log, once, tag
from bot.services.chart import lab_agreement_png
from bot.services.field_baseline import FieldBaseline, field_baselines
from bot.services.startup import worker_commands_text
from bot.services.workers import as_worker
from bot.texts import i18n
from bot.texts.numbers import decimal, percent
from model import demographics
from storage.errors import InviteInvalid, JoinRefused, NotFound
from storage.models import HealthWorker, Team
from storage.stats import GroupAccuracy, field_stats
from storage.weblinks import LINK_TTL, create_link
from storage.workers import (
    create_invite,
    find_worker,
    list_workers,
    redeem_invite,
    revoke_worker,
)


def _pct(lang: str, share: float | None) -> str:
    return "-" if share is None else percent(lang, share)


def accuracy_line(lang: str, g: GroupAccuracy) -> str:
    """One population and model version against lab Hb (g/dL to 0.01, signed where a
    difference)."""
    return i18n.t(
        lang,
        "worker.accuracy_group",
        population=g.population,
        version=g.model_version,
        n=g.n,
        mae=decimal(lang, g.mae, 2),
        bias=decimal(lang, g.bias, 2, sign=True),
        low=decimal(lang, g.loa[0], 2, sign=True),
        high=decimal(lang, g.loa[1], 2, sign=True),
        inside=_pct(lang, g.interval_coverage),
        sens=_pct(lang, g.sensitivity),
        spec=_pct(lang, g.specificity),
    )


def baseline_lines(lang: str, found: list[FieldBaseline]) -> list[str]:
    """The photo against age and sex alone on the team's cases, and a warning where the
    photo is not clearly better."""
    lines = []
    for b in found:
        lines.append(
            i18n.t(
                lang,
                "worker.accuracy_demographics",
                population=b.population,
                n=b.n,
                line=decimal(lang, b.mae_line, 2),
                photo=decimal(lang, b.mae_photo, 2),
            )
        )
        if not b.photo_adds:
            margin = decimal(lang, demographics.CLEAR_MAE, 2)
            lines.append(
                i18n.t(lang, "worker.photo_not_better", population=b.population, margin=margin)
            )
    return lines


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
                people=i18n.t(s.lang, "count.people", n=f.subjects),
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
                    mae=decimal(s.lang, a.mae, 2),
                    bias=decimal(s.lang, a.bias, 2, sign=True),
                    inside=round(a.interval_coverage * 100),
                )
            )
            lines += [accuracy_line(s.lang, g) for g in f.by_model]
            lines += baseline_lines(s.lang, await asyncio.to_thread(field_baselines, f.pairs))
            lines.append(i18n.t(s.lang, "worker.lab_note"))
            picture = await asyncio.to_thread(lab_agreement_png, f.pairs)
            caption = i18n.t(s.lang, "worker.bland_altman")
            return [Out("\n".join(lines)), Out(caption, photo=picture)]
        return [Out("\n".join(lines))]

    return await as_worker(deps, who, job)


async def join(deps: Deps, who: Who, code: str | None) -> list[Out]:
    """/join CODE: redeem an invite; the chat then gets the workers' commands."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if not code:
            return [Out(i18n.t(s.lang, "worker.join_usage"))]
        candidates = deps.pseudonyms.candidates(who.user_id, "worker")
        await find_worker(session, candidates=candidates)  # re-keyed, if under an old key
        try:
            worker = await redeem_invite(session, code=code, pseudonym=candidates[0])
        except InviteInvalid:
            return [Out(i18n.t(s.lang, "worker.join_invalid"))]
        except JoinRefused as e:
            return [await _refused_join(session, s.lang, e)]
        team = await session.get_one(Team, worker.team_id)
        log.info("joined worker=%s team=%s", tag(candidates[0]), team.id)
        text = i18n.t(
            s.lang, "worker.joined", team=team.name, commands=worker_commands_text(s.lang)
        )
        return [Out(text, worker_commands=True)]

    return await once(deps, who, work)


async def _refused_join(session: AsyncSession, lang: str, e: JoinRefused) -> Out:
    """Why the invite was not used, and what to do: an admin of their team decides."""
    team = await session.get_one(Team, e.team_id)
    role = i18n.t(lang, f"worker.role_{e.role}")
    return Out(i18n.t(lang, f"worker.join_{e.reason}", team=team.name, role=role))


async def invite(deps: Deps, who: Who) -> list[Out]:
    """/invite: a one-time invite code into the admin's team."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if worker.role != "admin":
            return [Out(i18n.t(s.lang, "worker.invite_denied"))]
        code = await create_invite(session, admin=worker)
        return [Out(i18n.t(s.lang, "worker.invite", code=code))]

    return await as_worker(deps, who, job)


async def members(deps: Deps, who: Who) -> list[Out]:
    """/workers (admins): the team's active workers by number, role and joining date."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if worker.role != "admin":
            return [Out(i18n.t(s.lang, "worker.invite_denied"))]
        rows = [
            i18n.t(
                s.lang,
                "worker.member",
                n=w.id,
                role=i18n.t(s.lang, f"worker.role_{w.role}"),
                since=w.created_at,
                you=i18n.t(s.lang, "worker.member_you") if w.id == worker.id else "",
            )
            for w in await list_workers(session, team_id=worker.team_id)
        ]
        return [Out("\n".join([i18n.t(s.lang, "worker.members_header"), *rows]))]

    return await as_worker(deps, who, job)


async def revoke(deps: Deps, who: Who, number: str | None) -> list[Out]:
    """/revoke N (admins): take a worker's access away; their notes stay."""

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if worker.role != "admin":
            return [Out(i18n.t(s.lang, "worker.invite_denied"))]
        n = None if number is None else numbers.whole(number.removeprefix("#"))
        if n is None or n == worker.id:
            return [Out(i18n.t(s.lang, "worker.revoke_usage"))]
        try:
            await revoke_worker(session, admin=worker, worker_id=n)
        except NotFound:
            return [Out(i18n.t(s.lang, "worker.revoke_unknown", n=n))]
        log.info("revoked worker=%s by=%s", n, worker.id)
        return [Out(i18n.t(s.lang, "worker.revoked", n=n))]

    return await as_worker(deps, who, job)


def signin_url(base_url: str, token: str) -> str:
    """The dashboard's sign-in page for a link token, under the public base URL."""
    return f"{base_url.rstrip('/')}/dashboard/signin?token={token}"


async def web_link(deps: Deps, who: Who) -> list[Out]:
    """/web: a one-time link that signs the worker in to the dashboard (WEB_BASE_URL)."""
    base = deps.settings.web_base_url

    async def job(session: AsyncSession, s: Seen, worker: HealthWorker) -> list[Out]:
        if base is None:
            return [Out(i18n.t(s.lang, "worker.web_unavailable"))]
        token = await create_link(
            session, team_id=worker.team_id, role=worker.role, worker_id=worker.id
        )
        log.info("dashboard link worker=%s", worker.id)
        minutes = int(LINK_TTL.total_seconds() // 60)
        text = i18n.t(s.lang, "worker.web_link", url=signin_url(base, token), minutes=minutes)
        return [Out(text)]

    return await as_worker(deps, who, job)
