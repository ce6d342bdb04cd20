"""Talking to the Bot API through trouble: retry only what Telegram did not do, and confirm a
polled update only once it has been handled.

Retries (`PatientRequest`): a 429 answer is retried after its `retry_after`, a 5xx answer after
a short backoff, and a connection that could not be opened at once; in each case Telegram
said or showed that it did not act. A request that timed out or whose connection dropped
after it was sent is NOT retried: Telegram may have delivered the message, and a second
result message would be worse than a missing Grad-CAM picture. (PTB's AIORateLimiter retries
429 only, adds the aiolimiter dependency and throttles every send; it is not used.)

Confirmation (`ConfirmingBot`, `ConfirmingApplication`): PTB's Updater confirms each polled
batch on its next getUpdates, before the handlers have run, so a crash mid-inference would
lose that update. Here the offset never passes an update still being handled; Telegram
redelivers it after a restart, and the claim in the database (`services.base.once`) keeps
updates that were handled but not yet confirmed from being handled twice. Behind a webhook
the same holds through `HandledQueue`: Telegram gets its 200 only after the handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import logging
from collections.abc import Iterable
from typing import Any

import httpx
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application, ExtBot
from telegram.request import HTTPXRequest

log = logging.getLogger("bot")
ATTEMPTS = 4  # the first try and three retries
BACKOFF_S = 0.5  # after a 5xx or a refused connection; doubles each time
MAX_RETRY_AFTER_S = 60.0  # a longer 429 wait is passed on as an error: nobody waits that long
# While updates are being handled Telegram answers getUpdates at once with them again, so
# look for new ones behind them at most this often: each look re-reads up to 100 updates,
# which under a burst cost more CPU than the handlers themselves.
IN_FLIGHT_POLL_S = 0.5
STOP_WAIT_S = 5.0  # for a cancelled long poll to end


def _retry_after(payload: bytes) -> float | None:
    try:
        parameters = json.loads(payload).get("parameters") or {}
        return float(parameters["retry_after"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _never_sent(error: NetworkError) -> bool:
    # only these httpx errors happen before a byte of the request left us
    return isinstance(error.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def may_have_arrived(error: BaseException | None) -> bool:
    """Whether a Bot API request that failed may still have reached Telegram: it timed out,
    or its connection dropped once it was on its way (neither is retried)."""
    if isinstance(error, TimedOut):
        return True
    if not isinstance(error, NetworkError) or not isinstance(error.__cause__, httpx.TransportError):
        return False  # not a failure on the way (Telegram's own refusal, say)
    return not _never_sent(error)


class PatientRequest(HTTPXRequest):
    """HTTPXRequest that retries the failures where Telegram surely did nothing."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """One Bot API request; see the module docstring for what is retried."""
        backoff = BACKOFF_S
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                code, payload = await super().do_request(*args, **kwargs)
            except NetworkError as e:
                if last or not _never_sent(e):
                    raise
                wait, why = backoff, "connection refused"
            else:
                if code == 429:
                    wait, why = _retry_after(payload) or backoff, "429"
                    if wait > MAX_RETRY_AFTER_S:
                        return code, payload
                elif code >= 500:
                    wait, why = backoff, str(code)
                else:
                    return code, payload
                if last:
                    return code, payload
            log.warning("Bot API %s: retry %s in %.1f s", why, attempt, wait)
            await asyncio.sleep(wait)
            backoff *= 2
        raise AssertionError("unreachable")  # pragma: no cover


class InFlight:
    """The polled updates handed to the Application, and those not yet handled."""

    def __init__(self) -> None:
        self.handed: set[int] = set()  # handed out and maybe not yet confirmed
        self.open: set[int] = set()  # handed out and still being handled
        self.drained = asyncio.Event()  # nothing open: the offset can move past all handed
        self.drained.set()
        self.came_back = 0  # updates the last poll returned, handed before or not

    def offset(self, asked: int | None) -> int | None:
        """The getUpdates offset: the one asked for, but never past an update still open."""
        low = min(self.open, default=None)
        offset = asked if low is None or (asked is not None and asked < low) else low
        if offset:  # Telegram forgets the updates below it, so need we
            self.handed = {u for u in self.handed if u >= offset}
        return offset

    def skip_handed(self, raw: list[Any]) -> list[Any]:
        """The polled updates (JSON) not handed out before: only those are parsed."""
        self.came_back = len(raw)
        return [u for u in raw if not isinstance(u, dict) or u.get("update_id") not in self.handed]

    def take(self, updates: Iterable[Update]) -> tuple[Update, ...]:
        """The updates not handed out before; they are now open."""
        fresh = tuple(u for u in updates if u.update_id not in self.handed)
        ids = {u.update_id for u in fresh}
        self.handed |= ids
        self.open |= ids
        if self.open:
            self.drained.clear()
        return fresh

    def done(self, update_id: int) -> None:
        """The Application has finished with the update (handled, or failed and reported)."""
        self.open.discard(update_id)
        if not self.open:
            self.drained.set()

    async def wait(self, seconds: float) -> None:
        """Until every update handed out is done, or `seconds`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drained.wait(), seconds)


def _no_wait(timeout: object) -> bool:
    return timeout == 0 or timeout == dtm.timedelta(0)


class ConfirmingBot(ExtBot[None]):
    """ExtBot whose getUpdates confirms an update only after it has been handled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight = InFlight()  # PTB freezes public attributes of a Bot
        self._long_poll: asyncio.Task[Any] | None = None

    @property
    def in_flight(self) -> InFlight:
        """The updates handed out and not yet confirmed."""
        return self._in_flight

    async def get_updates(  # type: ignore[override]
        self, offset: int | None = None, **kwargs: Any
    ) -> tuple[Update, ...]:
        """New updates only; the offset stays at the oldest update still being handled."""
        no_wait = _no_wait(kwargs.get("timeout"))
        if no_wait:
            await self._let_long_poll_go()
        else:
            self._long_poll = asyncio.current_task()
        while True:
            updates = await super().get_updates(offset=self.in_flight.offset(offset), **kwargs)
            fresh = self.in_flight.take(updates)
            if fresh or not self.in_flight.came_back or no_wait:
                return fresh
            # only updates still being handled came back (Telegram answers at once while any
            # are unconfirmed): wait for them to finish, or look again for new ones shortly
            await self.in_flight.wait(IN_FLIGHT_POLL_S)

    async def _let_long_poll_go(self) -> None:
        # On stopping, PTB cancels the long poll without awaiting it and at once polls again
        # to confirm what was handled: wait until the cancelled one has let go of the single
        # connection, or that poll times out on the pool (or Telegram answers 409 Conflict).
        poll, self._long_poll = self._long_poll, None
        if poll is not None and poll is not asyncio.current_task() and not poll.done():
            await asyncio.wait({poll}, timeout=STOP_WAIT_S)

    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        # PTB's own hook below each method (ExtBot's rate limiter uses it). While updates
        # are being handled a poll returns them again; parsing them anew each time costs more
        # CPU under a burst than the handlers do, so they are dropped here, still as JSON.
        result = await super()._do_post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return self.in_flight.skip_handed(result)
        return result


class HandledQueue(asyncio.Queue[Any]):
    """An update queue whose put() returns only once the Application has handled the update.

    PTB's webhook server answers Telegram right after put(); with this queue it answers after
    the handlers, so a process that dies mid-photo never confirmed the update and Telegram
    delivers it again (to this process after a restart, or to another). For webhooks only:
    the polling Updater puts one update after another and would be made serial.
    """

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[int, asyncio.Future[None]] = {}  # by object: duplicates are equal

    async def put(self, item: Any) -> None:
        """Queue the item; for an update, wait until it has been handled."""
        if not isinstance(item, Update):
            return await super().put(item)
        done = asyncio.get_running_loop().create_future()
        self._waiting[id(item)] = done
        try:
            await super().put(item)
            await done
        finally:
            self._waiting.pop(id(item), None)

    def handled(self, item: object) -> None:
        """The Application has finished with this update (handled, or failed and reported)."""
        done = self._waiting.get(id(item))
        if done is not None and not done.done():
            done.set_result(None)


class ConfirmingApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Application that tells ConfirmingBot when an update has been handled."""

    async def process_update(self, update: object) -> None:
        """Handle the update as PTB does, then mark it done (even when a handler failed)."""
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update) and isinstance(self.bot, ConfirmingBot):
                self.bot.in_flight.done(update.update_id)
            if isinstance(self.update_queue, HandledQueue):
                self.update_queue.handled(update)
