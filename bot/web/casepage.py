"""A case's page: its screening, interval, the advice the person was given, its history and
notes, and the steps (contacted, declined, note, take, resolve with the lab Hb, a message
through the relay): each runs the chat's own service step (`bot.services.casework`,
`bot.services.relay`) for the signed-in worker or office, and its reply shows on the page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.services import casework, numbers, relay
from bot.services.base import Out
from bot.services.photos import stored_reading
from bot.services.workers import history_lines, reads_line, whom
from bot.texts import i18n
from bot.web.auth import Signed
from bot.web.dashboard import signed_page
from bot.web.pages import language, refusal, render
from bot.web.state import web_of
from storage.errors import NotFound
from storage.followups import get_followup, list_notes
from storage.models import Screening, Subject
from storage.pseudonyms import format_case_code

STEPS = ("contacted", "declined", "noted")


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


async def case(request: Request) -> Response:
    return await signed_page(request, case_page)


async def case_page(
    request: Request,
    session: AsyncSession,
    signed: Signed,
    said: list[Out] | None = None,
    status: int = 200,
) -> Response:
    """The case of the path's code, if it is the signed-in team's; 404 otherwise."""
    lang, code = language(request), request.path_params["code"]
    try:
        found = await get_followup(session, case_code=code, worker=signed.actor)
    except NotFound:
        return refusal(request, 404, i18n.t(lang, "worker.not_found"), signed=signed)
    sc = await session.get_one(Screening, found.screening_id)
    subject = await session.get_one(Subject, found.subject_id)
    notes = await list_notes(session, case_code=code, worker=signed.actor)
    return render(
        request,
        "case.html",
        status,
        signed=signed,
        case=found,
        code=format_case_code(found.case_code),
        screening=sc,
        advice=i18n.t(lang, stored_reading(sc)[2]),
        group=i18n.t(lang, f"group.{sc.risk_group}")
        if i18n.has(f"group.{sc.risk_group}")
        else sc.risk_group,
        contact=subject.contact_opt_in,
        reads=reads_line(lang, subject.language),
        assigned=whom(lang, found.assigned_worker_id, signed.actor, "worker.nobody"),
        history=history_lines(lang, found, notes, signed.actor)[1:],
        is_open=found.status in ("pending", "contacted"),
        said=[o.text for o in said or [] if o.to is None],
    )


class NotDelivered(Exception):
    """The relay's message did not go out: the step's writes are undone."""


async def act(request: Request) -> Response:
    try:
        return await signed_page(request, act_page, post=True)
    except NotDelivered:  # the transaction rolled back: no "sent" note, no reply step
        failed = [Out(i18n.t(language(request), "web.message_failed"))]

        async def page(request: Request, session: AsyncSession, signed: Signed) -> Response:
            return await case_page(request, session, signed, failed, 502)

        return await signed_page(request, page)


async def act_page(request: Request, session: AsyncSession, signed: Signed) -> Response:
    """One step on the case, then the case page with the step's reply."""
    lang, code = language(request), request.path_params["code"]
    form, step = await request.form(), request.path_params["step"]
    if step in STEPS:
        said = await casework.step(session, lang, signed.actor, step, code, _text(form, "text"))
    elif step == "take" and signed.worker is not None:
        said = await casework.take_case(session, lang, signed.worker, code)
    elif step == "unassign" and signed.role == "admin":
        said = await casework.unassign_case(session, lang, signed.actor, code)
    elif step == "resolve":
        said = await _resolve(session, lang, signed, code, form)
    elif step == "message":
        said = await _message(request, session, lang, signed, code, _text(form, "text"))
    else:
        return refusal(request, 404, i18n.t(lang, "web.no_such_step"), signed=signed)
    return await case_page(request, session, signed, said)


async def _resolve(
    session: AsyncSession, lang: str, signed: Signed, code: str, form: FormData
) -> list[Out]:
    """The lab Hb (g/dL) and date as the chat reads them (`numbers`), then the chat's step."""
    lab = numbers.decimal(_text(form, "lab_hb") or "")
    day = _text(form, "lab_date")
    when = numbers.iso_date(day) if day else None
    if lab is None or (day and when is None):
        return [Out(i18n.t(lang, "web.resolve_bad", example=9.8))]
    parsed = casework.Resolution(code, lab, when, _text(form, "note"))
    return await casework.resolve_case(session, lang, signed.actor, parsed)


async def _message(
    request: Request, session: AsyncSession, lang: str, signed: Signed, code: str, text: str | None
) -> list[Out]:
    """The chat's /message step; the person's message goes out before the step's writes are
    committed, and NotDelivered undoes them when it did not."""
    web = web_of(request)
    outs = await relay.message_case(session, web.relay, lang, signed.actor, code, text or "")
    for out in outs:
        if out.to is not None and not await web.deliver(out.to, out.text):
            raise NotDelivered
    return outs


ROUTES = [
    Route("/dashboard/case/{code}", case, methods=["GET"]),
    Route("/dashboard/case/{code}/{step}", act, methods=["POST"]),
]
