"""The dashboard: sign-in by a one-time link, sign-out, and the team's queue. Every page reads
the session first; without one it shows the sign-in note and no case. The case page and its
steps are in `bot.web.casepage`, the figures and exports in `bot.web.figures`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.pipeline.risk import GROUPS
from bot.services.workers import whom
from bot.texts import i18n
from bot.web.auth import (
    Signed,
    clear_session_cookie,
    csrf_ok,
    set_session_cookie,
    signed_in,
)
from bot.web.pages import language, refusal, render
from bot.web.queue import ASSIGNED, PAGE_SIZE, POPULATIONS, parse_queue
from bot.web.state import web_of
from storage.errors import LinkInvalid
from storage.followups import CaseFilters, count_followups, list_followups
from storage.models import RISKS, STATUSES
from storage.weblinks import check_link, end_session, redeem_link

Page = Callable[[Request, AsyncSession, Signed], Awaitable[Response]]


def secure(request: Request) -> bool:
    """Cookies only over HTTPS when the dashboard's public address is https."""
    base = web_of(request).settings.web_base_url or ""
    return base.startswith("https://")


async def signed_page(request: Request, page: Page, *, post: bool = False) -> Response:
    """Run `page` for the signed-in session in one transaction; the sign-in note (401)
    without one, and a refusal (403) for a form without the session's CSRF token."""
    async with web_of(request).sessions.begin() as session:
        signed = await signed_in(session, request)
        if signed is None:
            return render(request, "signed_out.html", 401)
        if post and not csrf_ok(signed, await request.form()):
            return refusal(request, 403, i18n.t(language(request), "web.csrf_refused"))
        return await page(request, session, signed)


async def signin_page(request: Request) -> Response:
    """The link's page: a button that signs in (a link preview's fetch spends nothing)."""
    token = request.query_params.get("token", "")
    async with web_of(request).sessions() as session:
        try:
            await check_link(session, token=token)
        except LinkInvalid as e:
            return _link_refused(request, e)
    return render(request, "signin.html", token=token)


def _link_refused(request: Request, error: LinkInvalid) -> Response:
    text = i18n.t(language(request), f"web.link_{error.reason}")
    return refusal(request, 403, text)


async def signin(request: Request) -> Response:
    """Spend the link, open a session, set its cookie and go to the queue."""
    form = await request.form()
    token = form.get("token")
    hours = web_of(request).web.web_session_hours
    try:
        async with web_of(request).sessions.begin() as session:
            secret, _ = await redeem_link(
                session, token=str(token or ""), session_ttl=timedelta(hours=hours)
            )
    except LinkInvalid as e:
        return _link_refused(request, e)
    response = RedirectResponse("/dashboard", status_code=303)
    set_session_cookie(response, secret, hours=hours, secure=secure(request))
    return response


async def signout(request: Request) -> Response:
    async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
        await end_session(session, token=signed.token)
        response = render(request, "signed_out.html", signed_out=True)
        clear_session_cookie(response, secure=secure(request))
        return response

    return await signed_page(request, page, post=True)


async def queue(request: Request) -> Response:
    return await signed_page(request, queue_page)


async def queue_page(request: Request, session: AsyncSession, signed: Signed) -> Response:
    """The team's cases with the filters, a page at a time, oldest first."""
    q = parse_queue(request.query_params)
    worker_id = signed.worker.id if signed.worker else None
    narrow, before = q.narrow(worker_id), q.before()
    filters = CaseFilters(
        worker=signed.actor, statuses=q.statuses, risks=q.risks, before=before, narrow=narrow
    )
    total = await count_followups(session, **filters)
    offset = (q.page - 1) * PAGE_SIZE
    cases = await list_followups(session, **filters, limit=PAGE_SIZE, offset=offset)
    lang = language(request)
    assigned = {
        c.case_code: whom(lang, c.assigned_worker_id, signed.actor, "worker.nobody") for c in cases
    }
    return render(
        request,
        "queue.html",
        signed=signed,
        q=q,
        cases=cases,
        assigned=assigned,
        total=total,
        pages=max(-(-total // PAGE_SIZE), 1),
        choices={
            "status": STATUSES,
            "risk": RISKS,
            "group": tuple(GROUPS),
            "population": POPULATIONS,
            "assigned": ASSIGNED,
        },
    )


ROUTES = [
    Route("/dashboard", queue),
    Route("/dashboard/signin", signin_page, methods=["GET"]),
    Route("/dashboard/signin", signin, methods=["POST"]),
    Route("/dashboard/signout", signout, methods=["POST"]),
]
