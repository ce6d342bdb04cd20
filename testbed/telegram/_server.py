"""The stand-in Bot API server: aiohttp routes, call recording, observing, faults, webhooks."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from ._api import ApiError, Call, Signal
from ._bot_methods import BotMethods
from ._decode import Decoded, chat_id_of, decode_request
from ._driver import Driver
from ._faults import Fault, Faults
from ._messages import MessageMethods
from ._push import Pusher, post
from ._state import State

REPLY_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "editmessagetext"})
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
MAX_UPLOAD = 64 * 1024 * 1024


class FakeTelegram(Driver, Faults):
    """A Bot API server on 127.0.0.1 that a real python-telegram-bot Application can talk to."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        username: str = "anemia_screen_bot",
    ) -> None:
        Driver.__init__(self)
        Faults.__init__(self)
        self.token = token
        bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Anemia Screen",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._state = State(bot_user)
        self._bot_methods = BotMethods(self._state)
        self._handlers = {
            name.lower(): handler
            for name, handler in (
                self._bot_methods.table() | MessageMethods(self._state).table()
            ).items()
        }
        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self._call_signal = Signal()
        self._runner: web.AppRunner | None = None
        self._pusher: Pusher | None = None
        self.port = 0

    # --- lifecycle
    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        loop = asyncio.get_running_loop()
        self._state.update_signal.bind(loop)
        self._call_signal.bind(loop)
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """End long polls and delays at once, then close the server."""
        self._bot_methods.closing = True
        self._state.update_signal.fire()
        self._faults_closing.set()
        if self._pusher is not None:
            await self._pusher.stop()
            self._pusher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Value for `Application.builder().base_url(...)` / TELEGRAM_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for `Application.builder().base_file_url(...)` / TELEGRAM_BASE_FILE_URL."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- state seen from tests
    @property
    def sent_messages(self) -> dict[int, dict[str, Any]]:
        """message_id -> the Message the bot sent (current version; deleted ones removed)."""
        return self._state.sent_messages

    @property
    def webhook(self) -> dict[str, Any] | None:
        """Last setWebhook parameters (url, secret_token, ...), None after deleteWebhook."""
        return self._state.webhook

    @property
    def updates(self) -> dict[int, dict[str, Any]]:
        """Every update ever queued, by update_id."""
        return self._state.updates

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._state.queue)

    @property
    def callback_answers(self) -> dict[str, dict[str, Any]]:
        """callback_query_id -> answerCallbackQuery parameters."""
        return self._state.callback_answers

    def commands_for(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list:
        """The command list set with setMyCommands for that scope (default scope if None)."""
        key = self._state.commands_key(scope, language_code)
        return [dict(command) for command in self._state.commands.get(key, [])]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of a stored file (uploaded by the bot or sent by a user)."""
        return self._state.files[file_id].data

    def replies(self, chat_id: int) -> list[Call]:
        """Delivered sendMessage/sendPhoto/sendDocument/editMessageText calls to that chat."""
        return [
            call
            for call in self.calls
            if call.chat_id == chat_id and call.delivered and call.method.lower() in REPLY_METHODS
        ]

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 30.0) -> Call:
        """The first call matching `predicate`, already received or still to come."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for call in self.calls[seen:]:
                if predicate(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching call within {timeout} s; last: {self._tail()}")
            await self._call_signal.wait(remaining)

    async def wait_replies(self, chat_id: int, n: int, timeout: float = 30.0) -> list[Call]:
        """All replies to the chat once there are at least `n`."""
        deadline = time.monotonic() + timeout
        while len(found := self.replies(chat_id)) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"{len(found)} of {n} replies within {timeout} s; last: {self._tail()}"
                )
            await self._call_signal.wait(remaining)
        return found

    def _tail(self) -> list[str]:
        return [
            f"{c.method}:{c.status}" + (f" {c.error}" if c.error else "") for c in self.calls[-8:]
        ]

    # --- webhook delivery
    def push_to_webhooks(self, urls: list[str], *, secret_token: str | None) -> None:
        """From now on, POST every queued update to the replicas at `urls` in turn, as
        Telegram does through a round-robin front (see `_push.Pusher`)."""
        self._pusher = Pusher(self._state, urls, secret_token)
        self._pusher.start()

    @property
    def pushed(self) -> dict[int, float]:
        """update_id -> when it was first POSTed to a webhook (time.monotonic())."""
        return self._pusher.pushed if self._pusher is not None else {}

    @property
    def push_failures(self) -> list[int]:
        """update_ids that no replica took (no 2xx in every try)."""
        return self._pusher.failed if self._pusher is not None else []

    async def deliver_webhook(
        self, url: str, update: dict[str, Any] | int, *, secret_token: str | None
    ) -> int:
        """POST one update to `url` the way Telegram does; returns the HTTP status.

        An int is the update_id of an update already queued. A 2xx answer confirms the update.
        """
        body = self._state.updates[update] if isinstance(update, int) else update
        if "update_id" not in body:
            body = self._state.updates[self.push_update(body)]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            status = await post(session, url, body, secret_token)
        if 200 <= status < 300:
            self._state.queue = [u for u in self._state.queue if u is not body]
        return status

    # --- HTTP
    async def _not_found(self, request: web.Request) -> web.Response:
        return _answer(ApiError(404, "Not Found"))

    def _token_error(self, token: str) -> web.Response | None:
        if token == self.token:
            return None
        if _TOKEN_SHAPE.fullmatch(token):
            return _answer(ApiError(401, "Unauthorized"))
        return _answer(ApiError(404, "Not Found"))

    async def _download(self, request: web.Request) -> web.Response:
        if (error := self._token_error(request.match_info["token"])) is not None:
            return error
        stored = self._state.paths.get(request.match_info["path"])
        if stored is None:
            return _answer(ApiError(404, "Not Found"))
        self.downloads.append(stored.file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _api(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        if (error := self._token_error(request.match_info["token"])) is not None:
            return error
        method = request.match_info["method"]
        handler = self._handlers.get(method.lower())
        try:
            req = await decode_request(request)
        except ApiError as exc:
            self._record(method, Decoded({}), at, status=exc.code, error=exc.description)
            return _answer(exc)
        if handler is None:
            self._record(method, req, at, status=404, error="Not Found")
            return _answer(ApiError(404, "Not Found"))
        fault = self.take_fault(method)
        if fault is not None and not fault.deliver and fault.kind != "delay":
            return self._faulted(request, method, req, at, fault, executed=False)
        try:
            result = await handler(req)
        except ApiError as exc:
            self._record(method, req, at, status=exc.code, error=exc.description)
            return _answer(exc)
        if fault is not None:
            return await self._late_fault(request, method, req, at, fault, result)
        self._record(method, req, at, result=result)
        return web.json_response({"ok": True, "result": result})

    async def _late_fault(
        self,
        request: web.Request,
        method: str,
        req: Decoded,
        at: float,
        fault: Fault,
        result: Any,
    ) -> web.StreamResponse:
        """A fault after the method ran: slow answer, or error/drop of a delivered call."""
        if fault.kind == "delay":
            self._record(method, req, at, result=result)
            await self.fault_sleep(fault.seconds)
            return web.json_response({"ok": True, "result": result})
        return self._faulted(request, method, req, at, fault, executed=True, result=result)

    def _faulted(
        self,
        request: web.Request,
        method: str,
        req: Decoded,
        at: float,
        fault: Fault,
        *,
        executed: bool,
        result: Any = None,
    ) -> web.StreamResponse:
        if fault.kind == "drop":
            self._record(
                method,
                req,
                at,
                status=0,
                delivered=executed,
                result=result,
                error="connection dropped",
            )
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        error = fault.error()
        self._record(
            method,
            req,
            at,
            status=error.code,
            delivered=executed,
            result=result,
            error=error.description,
        )
        return _answer(error)

    def _record(
        self,
        method: str,
        req: Decoded,
        at: float,
        *,
        status: int = 200,
        delivered: bool | None = None,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        call = Call(
            method=method,
            params=req.params,
            files=req.files,
            chat_id=self._chat_of(req.params),
            at=at,
            status=status,
            delivered=status == 200 if delivered is None else delivered,
            result=result,
            error=error,
        )
        self.calls.append(call)
        self._call_signal.fire()

    def _chat_of(self, params: dict[str, Any]) -> int | None:
        chat_id = chat_id_of(params)
        query = self._state.callback_queries.get(str(params.get("callback_query_id")))
        if chat_id is None and query is not None:
            chat_id = query["from"]["id"]
        return chat_id


def _answer(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)
