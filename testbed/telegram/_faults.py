"""Faults a test can inject: error answers (5xx, 429 with retry_after), slow answers, drops."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from dataclasses import dataclass
from http import HTTPStatus

from ._api import ApiError


@dataclass
class Fault:
    """One injected fault for one request of a method."""

    kind: str  # "fail", "delay" or "drop"
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0
    deliver: bool = False  # the method runs (the message arrives) before the fault hits

    def error(self) -> ApiError:
        """The error answer of a "fail" fault, worded like Telegram's."""
        if self.status == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            return ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        params = {"retry_after": self.retry_after} if self.retry_after is not None else None
        return ApiError(self.status, phrase, params)


class Faults:
    """Per-method queues of faults; each request of the method consumes the next one."""

    def __init__(self) -> None:
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._faults_closing = asyncio.Event()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        times: int = 1,
        deliver: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429 carries retry_after).

        deliver=True: the call still takes effect (the message is recorded as sent) and only
        the answer is an error, so a retry may duplicate it.
        """
        fault = Fault("fail", status=status, retry_after=retry_after, deliver=deliver)
        self._add(method, fault, times)

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Run the next `times` calls of `method` normally but answer `seconds` late."""
        self._add(method, Fault("delay", seconds=seconds), times)

    def drop_connection_next(self, method: str, *, times: int = 1, deliver: bool = False) -> None:
        """Close the connection of the next `times` calls of `method` without an answer.

        deliver=True: the call takes effect before the drop.
        """
        self._add(method, Fault("drop", deliver=deliver), times)

    def take_fault(self, method: str) -> Fault | None:
        """The fault for this request of `method` (method names are case-insensitive)."""
        queue = self._faults.get(method.lower())
        return queue.popleft() if queue else None

    async def fault_sleep(self, seconds: float) -> None:
        """Sleep for a delay fault; ends early when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._faults_closing.wait(), seconds)

    def _add(self, method: str, fault: Fault, times: int) -> None:
        self._faults[method.lower()].extend(fault for _ in range(times))
