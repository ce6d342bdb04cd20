"""The team's figures (screenings per week, risk mix, follow-up completion, accuracy against
lab Hb per population and model version, and the Bland-Altman picture `anemia-screen stats
--plot` draws), and the CSV exports of the queue and of the lab-confirmed cases."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.services.chart import lab_agreement_png
from bot.services.records import cases_csv
from bot.web.auth import Signed
from bot.web.dashboard import signed_page
from bot.web.pages import render
from bot.web.queue import parse_queue
from storage.followups import Narrow, list_followups
from storage.stats import Pair, field_stats, weekly_screenings

WEEKS = 12


def guess_mean_mae(pairs: list[Pair]) -> float:
    """The trivial baseline beside each group's error: always guessing the group's own mean
    lab Hb (in-sample, so if anything it flatters the baseline), MAE in g/dL."""
    mean = sum(p.lab for p in pairs) / len(pairs)
    return sum(abs(p.lab - mean) for p in pairs) / len(pairs)


async def figures(request: Request) -> Response:
    async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
        f = await field_stats(session, team_id=signed.team_id)
        weeks = await weekly_screenings(session, team_id=signed.team_id, weeks=WEEKS)
        groups = f.by_model
        baselines = [
            guess_mean_mae([p for p in f.pairs if (p.population, p.model_version) == key])
            for key in ((g.population, g.model_version) for g in groups)
        ]
        return render(
            request,
            "figures.html",
            signed=signed,
            f=f,
            weeks=weeks,
            most=max([n for _, n in weeks] + [1]),
            groups=list(zip(groups, baselines, strict=True)),
        )

    return await signed_page(request, page)


async def agreement_png(request: Request) -> Response:
    """The Bland-Altman picture of the team's lab-confirmed cases (drawn off the event loop)."""

    async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
        f = await field_stats(session, team_id=signed.team_id)
        if not f.pairs:
            return Response(status_code=404)
        png = await asyncio.to_thread(lab_agreement_png, f.pairs)
        return Response(png, media_type="image/png")

    return await signed_page(request, page)


def _csv(text: str, name: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


async def queue_csv(request: Request) -> Response:
    """Every case the queue's filters select (all pages)."""

    async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
        q = parse_queue(request.query_params)
        worker_id = signed.worker.id if signed.worker else None
        cases = await list_followups(
            session,
            worker=signed.actor,
            statuses=q.statuses,
            risks=q.risks,
            before=q.before(),
            narrow=q.narrow(worker_id),
        )
        return _csv(cases_csv(cases), "cases.csv")

    return await signed_page(request, page)


async def lab_csv(request: Request) -> Response:
    """The team's cases with a lab Hb, every status: the table the field accuracy rests on."""

    async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
        cases = await list_followups(session, worker=signed.actor, narrow=Narrow(with_lab=True))
        return _csv(cases_csv(cases), "lab-confirmed.csv")

    return await signed_page(request, page)


ROUTES = [
    Route("/dashboard/figures", figures),
    Route("/dashboard/figures/agreement.png", agreement_png),
    Route("/dashboard/cases.csv", queue_csv),
    Route("/dashboard/lab-confirmed.csv", lab_csv),
]
