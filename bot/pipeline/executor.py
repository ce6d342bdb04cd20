"""The bot's inference pool: `concurrent.futures.ProcessPoolExecutor`, each child process
holding one Screener (loaded by the executor's initializer), behind the interface of
`bot.pipeline.inference.InferencePool` (`start`, `screen`, `close`, PoolBusy).

Why processes: the pipeline's own Python (JAX dispatch, NumPy, the gates) holds the GIL for
most of a photo, so in a thread of the bot it takes turns with the event loop, and under a
burst the bot's HTTP and database work came on top of the pipeline's time instead of beside
it (load benchmark, docs/BENCHMARKS.md). A hand-written pool of worker processes did no
better under load than this one (docs/BENCHMARKS.md) and was removed.

Children are started with "spawn" (forking a process that has started JAX can deadlock) and
end with the bot's process. A child that dies breaks the whole executor (`BrokenProcessPool`):
every photo in it fails with WorkerDied, and the next photo gets a fresh executor.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bot.pipeline.inference import InferencePool, PoolBusy
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener, Screening

_screener: Screener | None = None  # one per child process


class WorkerDied(Exception):
    """The inference process ended while screening a photo; the photo can be sent again."""


def _load(weights: Path) -> None:
    global _screener
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _screener = Screener(weights)


def _exit_with_parent() -> None:
    """End this child when the bot's process ends, even by SIGKILL: the executor itself would
    leave it running, holding its models' memory, after every crash of the bot."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)


def _ready() -> bool:
    return _screener is not None


def _screen(data: bytes, person: Person) -> Screening:
    assert _screener is not None  # the initializer ran first
    return _screener.screen(data, person)


class ExecutorPool:
    """`workers` child processes with a Screener each; at most `queue_size` photos wait."""

    def __init__(self, weights: Path, *, workers: int = 1, queue_size: int = 16) -> None:
        self.weights, self.workers, self.limit = weights, workers, workers + queue_size
        self.in_flight = 0  # counted on the event loop's thread: `screen` is its only user
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=(self.weights,))  # fmt: skip

    def start(self) -> None:
        """Start the children and wait until each has loaded its models."""
        futures = [self.executor.submit(_ready) for _ in range(self.workers)]
        try:
            for f in futures:
                f.result(timeout=300)  # the initializer loaded the models, or the pool broke
        except BrokenProcessPool as e:
            self.close()
            raise RuntimeError("an inference worker failed to load the models") from e

    async def screen(self, data: bytes, person: Person) -> Screening:
        """Screen in a child process; raises PoolBusy when `queue_size` photos already wait."""
        if self.in_flight >= self.limit:
            raise PoolBusy
        self.in_flight += 1
        try:
            executor, future = self._submit(data, person)
            try:
                return await asyncio.wrap_future(future)
            except BrokenProcessPool as e:
                self._replace(executor)
                raise WorkerDied("an inference process ended mid-photo") from e
        finally:
            self.in_flight -= 1

    def _submit(self, data: bytes, person: Person) -> tuple[ProcessPoolExecutor, Future[Screening]]:
        """Submit to the executor; one found broken (a child died while idle) is replaced
        first, so only photos a child held when it died are lost."""
        executor = self.executor
        try:
            future = executor.submit(_screen, data, person)
        except BrokenProcessPool:
            executor = self._replace(executor)
            future = executor.submit(_screen, data, person)
        return executor, future

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        if self.executor is broken:  # the first photo to notice replaces it
            self.executor = self._new()
        broken.shutdown(wait=False, cancel_futures=True)
        return self.executor

    def close(self) -> None:
        """Stop the children after the photos already submitted."""
        self.executor.shutdown(wait=True)


Pool = InferencePool | ExecutorPool


def make_pool(weights: Path, *, workers: int, queue_size: int, processes: bool) -> Pool:
    """The bot's pool: child processes (`processes`), or threads of this process."""
    kind = ExecutorPool if processes else InferencePool
    return kind(weights, workers=workers, queue_size=queue_size)
