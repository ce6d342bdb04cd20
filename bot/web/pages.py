"""Rendering the server-side pages: the templates, the page's language (the browser's
Accept-Language), the texts of the catalogues, and the headers every response carries."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.texts import i18n, numbers
from bot.web.state import web_of

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# no framing (clickjacking), no referrer (a sign-in link's token must not leak in a Referer),
# no scripts but our own, no caching of a page with cases on it
HEADERS = {
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"x-content-type-options": b"nosniff",
    b"content-security-policy": b"default-src 'self'; img-src 'self'; frame-ancestors 'none'; "
    b"form-action 'self'; base-uri 'none'",
    b"cache-control": b"no-store",
}


def language(request: Request) -> str:
    """Our language for the browser's first preferred one; English otherwise."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return i18n.language_of(first or None)


def formats(lang: str) -> dict[str, Any]:
    """What a template writes words, numbers and dates with, as `lang` writes them: `t` is the
    catalogue's lookup, `num` a measured value (g/dL: one decimal), `day` a date, `pct` a share
    of 1 as a percentage, `count` a whole number."""
    return {
        "t": partial(i18n.t, lang),
        "num": partial(numbers.decimal, lang),
        "day": partial(numbers.day, lang),
        "pct": partial(numbers.percent, lang),
        "count": partial(numbers.integer, lang),
    }


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page `template` in the request's language (`formats`)."""
    lang = language(request)
    web = web_of(request)
    base = {"lang": lang, "local": web.local, **formats(lang)}
    return TEMPLATES.TemplateResponse(request, template, base | context, status_code=status)


def refusal(request: Request, status: int, text: str, **context: Any) -> HTMLResponse:
    """A page that says why the request was refused, with its status code."""
    return render(request, "refused.html", status, text=text, **context)


class SecurityHeaders:
    """Adds HEADERS to every HTTP response (an ASGI middleware: a few lines, no dependency)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS.items()]
            await send(message)

        await self.app(scope, receive, with_headers)


def plain(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
