"""Shared pieces of the stand-in Bot API server: the recorded call, API errors, wake-up signals."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses files above 20 MB, like Telegram


@dataclass
class Call:
    """One request the bot made to the server, as the server understood it."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    chat_id: int | None
    at: float
    status: int = 200  # HTTP status answered; 0 when the connection was dropped
    delivered: bool = True  # the effect happened (a message really reached the chat)
    result: Any = None  # the `result` of the method when it ran (e.g. the sent Message)
    error: str | None = field(default=None)  # `description` of an error answer


class ApiError(Exception):
    """An error answer: `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 error with Telegram's `Bad Request: ` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


class Signal:
    """Wakes every waiter when something new happens (new update, new call, shutdown).

    `fire` may be called from another thread; it then hops onto the server's loop.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the loop the server runs on."""
        self._loop = loop
        self._thread = threading.get_ident()

    def fire(self) -> None:
        """Wake all current waiters."""
        if self._loop is not None and threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self._fire)
        else:
            self._fire()

    def _fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return when fired or after `timeout` seconds, whichever comes first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
