"""The local trial's chat page (`anemia-bot --local`): the Telegram chat's commands, buttons
and photos on a web page, through the same services. Each browser is one person, known by a
signed random id in a cookie (the services pseudonymise it as they do a Telegram id); what the
page shows lives in this process's memory, what the services store goes to the database."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.services import buttons, people, photos, profile
from bot.services.base import Button, Deps, Out, Who
from bot.texts import i18n
from bot.web.commands import COMMANDS
from bot.web.pages import language, refusal, render
from bot.web.state import web_of

COOKIE = "anemia_trial"
KEPT = 300  # messages a page keeps per person (a trial, in memory)


@dataclass
class Shown:
    """One message on the page: the person's (`mine`) or the service's, with its buttons."""

    id: int
    mine: bool
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: bytes | None = None


class Chats:
    """Every trial person's messages, by their id, in memory."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.by_person: dict[int, list[Shown]] = {}
        self._ids = itertools.count(1)
        self._last_update = 0

    def of(self, person: int) -> list[Shown]:
        return self.by_person.setdefault(person, [])

    def add(self, person: int, text: str, *, mine: bool = False, **more: object) -> Shown:
        shown = Shown(next(self._ids), mine, text, **more)  # type: ignore[arg-type]
        messages = self.of(person)
        messages.append(shown)
        del messages[:-KEPT]
        return shown

    def apply(self, person: int, outs: list[Out], pressed: Shown | None = None) -> None:
        """Show the services' replies: in this chat, in the relayed person's, or in place of
        the message whose button was pressed."""
        for out in outs:
            if out.to is not None:
                self.add(out.to, out.text, buttons=out.buttons)
            elif out.edit and pressed is not None:
                pressed.text, pressed.buttons = out.text, out.buttons
            else:
                self.add(person, out.text, buttons=out.buttons, image=out.photo)

    async def deliver(self, chat_id: int, text: str) -> bool:
        """A relayed message from the dashboard: into that person's page."""
        self.add(chat_id, text)
        return True

    def update_id(self) -> int:
        """A new update id, increasing across restarts (microseconds since the epoch): the
        services claim each one once, as they do Telegram's."""
        self._last_update = max(self._last_update + 1, time.time_ns() // 1000)
        return self._last_update

    def sign(self, person: int, label: str = "id") -> str:
        return hmac.new(self.key, f"{label}:{person}".encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, person: int) -> str:
        return f"{person}.{self.sign(person)}"

    def person_of(self, value: str | None) -> int | None:
        """The person of a cookie this page signed; None for anything else."""
        number, _, signature = (value or "").partition(".")
        if not number.isdigit() or not hmac.compare_digest(signature, self.sign(int(number))):
            return None
        return int(number)


def chats_of(request: Request) -> Chats:
    chats = web_of(request).extra["chats"]
    assert isinstance(chats, Chats)
    return chats


def deps_of(request: Request) -> Deps:
    deps = web_of(request).deps
    assert deps is not None  # the chat page is served only with --local
    return deps


async def page(request: Request) -> Response:
    """The chat; a new visitor becomes a new trial person."""
    chats = chats_of(request)
    person = chats.person_of(request.cookies.get(COOKIE))
    fresh = person is None
    if person is None:
        person = secrets.randbelow(2**52) + 1
    response = render(
        request,
        "chat.html",
        messages=chats.of(person),
        csrf=chats.sign(person, "csrf"),
        max_mb=deps_of(request).settings.max_photo_bytes // 2**20,
    )
    if fresh:
        response.set_cookie(
            COOKIE, chats.cookie_value(person), httponly=True, samesite="strict", path="/"
        )
    return response


Act = Callable[[Request, Deps, Who, int], Awaitable[None]]


async def _acting(request: Request, act: Act) -> Response:
    """Run `act` for the page's person; back to the page (a refusal without the cookie or the
    form's token)."""
    chats = chats_of(request)
    person = chats.person_of(request.cookies.get(COOKIE))
    form = await request.form()
    sent = form.get("csrf")
    if person is None or not isinstance(sent, str):
        return refusal(request, 403, i18n.t(language(request), "web.csrf_refused"))
    if not hmac.compare_digest(sent, chats.sign(person, "csrf")):
        return refusal(request, 403, i18n.t(language(request), "web.csrf_refused"))
    who = Who(person, chats.update_id(), language(request))
    await act(request, deps_of(request), who, person)
    return RedirectResponse("/#end", status_code=303)


async def say(request: Request) -> Response:
    """A command or a text from the text box."""

    async def act(request: Request, deps: Deps, who: Who, person: int) -> None:
        text = str((await request.form()).get("text") or "").strip()
        if not text:
            return
        chats_of(request).add(person, text, mine=True)
        chats_of(request).apply(person, await _answer(deps, who, text))

    return await _acting(request, act)


async def _answer(deps: Deps, who: Who, text: str) -> list[Out]:
    if not text.startswith("/"):
        return await profile.text(deps, who, text)
    name, *args = text[1:].split()
    command = COMMANDS.get(name.split("@")[0].lower())
    if command is None:
        return await people.hint(deps, who)
    return await command(deps, who, args)


async def press(request: Request) -> Response:
    """A button under a message: only the buttons that message carries now count."""

    async def act(request: Request, deps: Deps, who: Who, person: int) -> None:
        form = await request.form()
        chats, data = chats_of(request), str(form.get("data") or "")
        message = next((m for m in chats.of(person) if str(m.id) == form.get("message")), None)
        offered = frozenset(b.data for row in message.buttons for b in row) if message else ()
        chats.apply(person, await buttons.press(deps, who, data, offered), message)

    return await _acting(request, act)


async def photo(request: Request) -> Response:
    """A photo taken with the phone's camera or chosen from the files."""

    async def act(request: Request, deps: Deps, who: Who, person: int) -> None:
        form = await request.form()
        files = [f for f in form.getlist("photo") if isinstance(f, UploadFile) and f.size]
        if not files:
            return
        upload, limit = files[0], deps.settings.max_photo_bytes

        async def fetch() -> bytes:
            return await upload.read(limit + 1)  # one byte over: the service says too large

        chats = chats_of(request)
        chats.add(person, i18n.t(who.language_code, "web.chat_photo_sent"), mine=True)
        chats.apply(person, await photos.screen_photo(deps, who, fetch, upload.size))
        await photos.sent(deps, who)

    return await _acting(request, act)


async def image(request: Request) -> Response:
    """A picture in the person's own chat (the Grad-CAM overlay, the trend chart)."""
    chats = chats_of(request)
    person = chats.person_of(request.cookies.get(COOKIE))
    wanted = request.path_params["message"]
    messages = chats.of(person) if person is not None else []
    found = next((m for m in messages if str(m.id) == wanted and m.image), None)
    if found is None or found.image is None:
        return Response(status_code=404)
    jpeg = found.image.startswith(b"\xff\xd8\xff")  # the overlay; charts are PNG
    return Response(found.image, media_type="image/jpeg" if jpeg else "image/png")


ROUTES = [
    Route("/", page, methods=["GET"]),
    Route("/chat/say", say, methods=["POST"]),
    Route("/chat/press", press, methods=["POST"]),
    Route("/chat/photo", photo, methods=["POST"]),
    Route("/chat/image/{message}", image, methods=["GET"]),
]
