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
every photo its children held fails with WorkerDied, and the photos waiting in it, and the
next, go to a fresh executor.

A photo is handed to the executor when a child is free for it or about to be (`PREFETCH`
more than the children; the other waiting photos queue here), and its time limit runs from
when the photos handed before it leave a child free to start it. A photo over the limit raises
PhotoTimedOut and its executor is replaced, its children killed: the photos the other children
held are sent again to the fresh one. A child that dies while writing a result back is not
seen by Python's executor, which waits for the rest of the message: the photo's own watch
(`_watched`) finds the dead child within about two seconds, and the executor is replaced as
for a photo over the limit, its thread let go (`_release_results`). Children ignore
SIGINT (a Ctrl-C reaches the whole process group), from their start: the bot stops them when it
stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker
from pathlib import Path

from bot.pipeline.inference import InferencePool, PhotoTimedOut, PoolBusy
from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener

_screener: Screener | None = None  # one per child process


class WorkerDied(Exception):
    """The inference process ended while screening a photo; the photo can be sent again."""


def _load(weights: Path) -> None:
    global _screener
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when its children stop
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _screener = Screener(weights)


def _exit_with_parent() -> None:
    """End this child when the bot's process ends, even by SIGKILL: the executor itself would
    leave it running, holding its models' memory, after every crash of the bot."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread while it may start children: a spawned child inherits the
    mask, so a Ctrl-C while it is still importing does not reach it either (then `_load` has
    it ignored for good). A SIGINT for the bot meanwhile waits until the block ends."""
    # started first: starting it unblocks SIGINT in this thread (it blocks it for itself)
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _ready() -> bool:
    return _screener is not None


def _screen(data: bytes, person: Person, with_cutout: bool = False) -> Screening:
    assert _screener is not None  # the initializer ran first
    return _screener.screen(data, person, with_cutout=with_cutout)


# run in a child (module-level, to be pickled): photo, person, with its cut-out
Screen = Callable[[bytes, Person, bool], Screening]


# Photos handed to the executor beyond its children: a child that finishes one finds the next
# already in its queue, instead of idling until the bot's busy event loop hands it over (the
# load benchmark's burst: 0.78-0.84 of the pipeline alone with one, 0.74-0.80 without).
PREFETCH = 1


class ExecutorPool:
    """`workers` child processes with a Screener each; at most `queue_size` photos wait; a
    photo over `timeout_s` in a child raises PhotoTimedOut and the children are replaced."""

    def __init__(
        self,
        weights: Path,
        *,
        workers: int = 1,
        queue_size: int = 16,
        timeout_s: float | None = None,
        screen: Screen = _screen,
    ) -> None:
        self.weights, self.workers, self.limit = weights, workers, workers + queue_size
        self.timeout_s, self.run = timeout_s, screen
        self.in_flight = 0  # counted on the event loop's thread: `screen` is its only user
        # made on the event loop: places in the executor (its children and PREFETCH more), and
        # children free to start a photo (its time limit runs from then)
        self.slots: tuple[asyncio.Semaphore, asyncio.Semaphore] | None = None
        # replaced for a photo over the limit (weakly: gone with the last photo that held it)
        self.killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        """A fresh executor, its first child already loading its models (`self.ready`)."""
        with _sigint_blocked():
            executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load,
                initargs=(self.weights,),
            )
            self.ready: Future[bool] = executor.submit(_ready)
        return executor

    def start(self) -> None:
        """Start the children and wait until each has loaded its models."""
        with _sigint_blocked():  # children are started as work is submitted
            futures = [self.executor.submit(_ready) for _ in range(self.workers)]
        try:
            for f in futures:
                f.result(timeout=300)  # the initializer loaded the models, or the pool broke
        except BrokenProcessPool as e:
            self.close()
            raise RuntimeError("an inference worker failed to load the models") from e

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        """Screen in a child process; raises PoolBusy when `queue_size` photos already wait,
        PhotoTimedOut when the photo took over `timeout_s` in its child. The cut-out comes
        back only `with_cutout`: megabytes through the pipe, for the few who keep it."""
        if self.in_flight >= self.limit:
            raise PoolBusy
        self.in_flight += 1
        try:
            async with self._slots()[0]:
                return await self._screen(data, person, with_cutout)
        finally:
            self.in_flight -= 1

    def _slots(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.workers + PREFETCH), asyncio.Semaphore(self.workers)
        return self.slots

    async def _screen(
        self, data: bytes, person: Person, with_cutout: bool, again: bool = True
    ) -> Screening:
        executor, future = await self._submit(data, person, with_cutout)
        unstarted = False
        try:
            async with self._slots()[1]:  # the photos handed before it leave a child free
                unstarted = future.done()  # ended before then: with its executor, unstarted
                return await asyncio.wait_for(_watched(executor, future), self.timeout_s)
        except TimeoutError:
            self._replace(executor, kill=True)
            raise PhotoTimedOut from None
        except BrokenProcessPool as e:
            if (executor in self.killed or unstarted) and again:  # ended for another photo
                return await self._screen(data, person, with_cutout, again=False)
            # a child that died unseen leaves the others holding photos the executor can no
            # longer answer: they are killed, and those photos go to the fresh executor
            self._replace(executor, kill=isinstance(e, DiedUnseen))
            raise WorkerDied("an inference process ended mid-photo") from e

    async def _submit(
        self, data: bytes, person: Person, with_cutout: bool
    ) -> tuple[ProcessPoolExecutor, Future[Screening]]:
        """Submit to the executor once its children are ready (a fresh executor loads its
        models first, outside the photo's time limit); one found broken (a child died while
        idle) is replaced first, so only photos a child held when it died are lost."""
        failures = 0
        while True:
            executor, ready = self.executor, self.ready
            try:
                await asyncio.wrap_future(ready)
                if executor is self.executor:  # not replaced while this photo waited
                    with _sigint_blocked():
                        return executor, executor.submit(self.run, data, person, with_cutout)
            except BrokenProcessPool as e:
                self._replace(executor)
                failures += 1
                if failures == 2:  # a fresh one could not load the models either
                    raise WorkerDied("an inference process could not start") from e

    def _replace(self, broken: ProcessPoolExecutor, kill: bool = False) -> ProcessPoolExecutor:
        if self.executor is broken:  # the first photo to notice replaces it
            self.executor = self._new()
        if kill:
            self.killed.add(broken)
            for process in _children(broken):
                process.kill()  # a photo that never ends would hold its child for ever
        _release_results(broken)
        broken.shutdown(wait=False, cancel_futures=True)
        return self.executor

    def close(self) -> None:
        """Stop the children after the photos already submitted."""
        self.executor.shutdown(wait=True)


WATCH_S = 1.0  # how often a photo waiting for its result looks for a child that died unseen


class DiedUnseen(BrokenProcessPool):
    """A child of the executor died and the executor did not notice (`_watched`)."""


async def _watched(executor: ProcessPoolExecutor, future: Future[Screening]) -> Screening:
    """The photo's result, or BrokenProcessPool as the executor raises it. A child that dies
    while writing a result back is never noticed by the executor (`_release_results`): where
    a child has died and the photo is still waiting WATCH_S later, DiedUnseen."""
    waiting = asyncio.wrap_future(future)
    lost = False
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=WATCH_S)
            if done:
                return waiting.result()
            if lost:  # a death the executor notices fails its photos within milliseconds
                raise DiedUnseen("an inference process died writing a result")
            lost = any(p.exitcode is not None for p in _children(executor))
    finally:
        waiting.cancel()  # given up (the time limit): the photo is not started if it waits


def _children(executor: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    """The executor's child processes: none once it is shut down, which sets CPython's own
    `_processes` (3.11-3.14) to None; a second photo over the limit may replace it again."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _release_results(broken: ProcessPoolExecutor) -> None:
    """Close this process's copy of the write end of a replaced executor's result pipe.

    A child that dies while writing a result leaves half a message in the pipe. The executor's
    manager thread then waits in `recv` for the rest for ever, since the parent also holds the
    pipe's write end, so no end of file ever comes: the thread, the pipe and the executor stay
    behind, and the photo is never answered (`_watched` ends it). The parent never writes to
    that pipe (its children do), so once the executor is replaced its copy can go; when the
    children's copies are gone too, the thread reads the end of the file, finds the pool broken
    and ends.
    The attributes are CPython's own (3.11-3.14); without them there is nothing to release.
    """
    writer = getattr(getattr(broken, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()


Pool = InferencePool | ExecutorPool


def make_pool(
    weights: Path,
    *,
    workers: int,
    queue_size: int,
    processes: bool,
    timeout_s: float | None = None,
) -> Pool:
    """The bot's pool: child processes (`processes`), or threads of this process."""
    kind = ExecutorPool if processes else InferencePool
    return kind(weights, workers=workers, queue_size=queue_size, timeout_s=timeout_s)
