"""A bounded pool of inference threads in the bot's process (INFERENCE_PROCESSES=false, tests
and tools; the bot screens in child processes by default: `bot.pipeline.executor`).

Each thread owns one screener (loaded and warmed up at start), because a Screener is safe
for one thread at a time. Jobs wait in a bounded queue; when it is full, `screen` raises
`PoolBusy` at once so the person can be told to try again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener

log = logging.getLogger(__name__)


class PoolBusy(Exception):
    """Every worker is busy and the queue is full."""


class PhotoTimedOut(Exception):
    """The photo took longer than the pool's time limit; nobody waits for its result."""


class ScreenerLike(Protocol):
    def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening: ...


@dataclass
class _Job:
    data: bytes
    person: Person
    with_cutout: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Screening]
    started: asyncio.Event  # set when a thread takes the job: the time limit runs from then


def _answer(job: _Job, result: object) -> None:
    try:
        job.loop.call_soon_threadsafe(_settle, job.future, result)
    except RuntimeError:  # the loop has closed (shutdown): nobody waits any more
        log.debug("inference result dropped: the event loop is closed")


def _settle(future: asyncio.Future[Screening], result: object) -> None:
    if future.cancelled():  # the handler gave up (shutdown); nobody waits for the result
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)  # type: ignore[arg-type]


class InferencePool:
    """`workers` threads with a Screener each, behind a queue of `queue_size` waiting jobs."""

    def __init__(
        self,
        weights: Path,
        *,
        workers: int = 1,
        queue_size: int = 16,
        timeout_s: float | None = None,
        make: Callable[[Path], ScreenerLike] = Screener,
    ) -> None:
        self.weights, self.workers, self.make = weights, workers, make
        self.timeout_s = timeout_s
        self.jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self.threads: list[threading.Thread] = []
        self._ready = threading.Barrier(workers + 1)
        self._failure: BaseException | None = None

    def start(self) -> None:
        """Start the threads and wait until every Screener is loaded and warm."""
        for i in range(self.workers):
            thread = threading.Thread(target=self._run, name=f"inference-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)
        self._ready.wait()
        if self._failure is not None:
            self.close()
            raise RuntimeError("an inference worker failed to load the models") from self._failure

    def _run(self) -> None:
        try:
            screener = self.make(self.weights)
        except BaseException as e:  # reported to start(), which raises it
            self._failure = e
            self._ready.wait()
            return
        self._ready.wait()
        while (job := self.jobs.get()) is not None:
            self._do(screener, job)

    @staticmethod
    def _do(screener: ScreenerLike, job: _Job) -> None:
        try:
            job.loop.call_soon_threadsafe(job.started.set)
        except RuntimeError:  # the loop has closed (shutdown): nobody waits any more
            return
        try:
            result: object = screener.screen(job.data, job.person, with_cutout=job.with_cutout)
        except BaseException as e:  # ImageRejected and bugs alike go back to the caller
            result = e
        _answer(job, result)

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        """Screen in a worker thread; raises PoolBusy when the queue is full, PhotoTimedOut
        when the photo took over `timeout_s` once a thread took it. A thread cannot be
        stopped: it finishes that photo, its result unread, before it takes the next."""
        loop = asyncio.get_running_loop()
        job = _Job(data, person, with_cutout, loop, loop.create_future(), asyncio.Event())
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            raise PoolBusy from None
        await job.started.wait()
        try:
            return await asyncio.wait_for(job.future, self.timeout_s)
        except TimeoutError:
            raise PhotoTimedOut from None

    def close(self) -> None:
        """Stop the threads after the jobs already queued."""
        for thread in self.threads:
            if thread.is_alive():
                self.jobs.put(None)
        for thread in self.threads:
            thread.join(timeout=30)
        self.threads.clear()
