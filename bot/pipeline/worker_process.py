"""A Screener in a child process of its own, driven by one inference thread of the pool.

Why a process: the pipeline's own Python (JAX dispatch, NumPy, the gates) holds the GIL for
most of a photo, so in a thread it takes turns with the event loop, and under a burst the
bot's HTTP and database work came on top of the pipeline's time instead of beside it (load
benchmark, docs/BENCHMARKS.md). In a child the two run on separate cores.

The child is started with "spawn" (forking a process that has started JAX can deadlock),
loads and warms its models, then answers (image bytes, person) with a Screening or the
exception. If it dies mid-photo (killed, out of memory) that photo fails with WorkerDied and
the next one starts a fresh child. When the bot's process dies, the pipe closes and the
child exits.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener, Screening

log = logging.getLogger(__name__)
START_TIMEOUT_S = 120.0  # loading and compiling the models takes a few seconds


class WorkerDied(Exception):
    """The worker process ended while screening a photo; the photo can be sent again."""


def _serve(weights: Path, conn: Connection) -> None:
    try:
        screener = Screener(weights)
    except BaseException as e:  # reported to the parent, which raises it
        conn.send((False, e))
        return
    conn.send((True, None))
    jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
    # read jobs as they come, so the parent can send the next one while this one is screened
    threading.Thread(target=_read_jobs, args=(conn, jobs), daemon=True).start()
    while (job := jobs.get()) is not None:
        try:
            reply: tuple[bool, Any] = (True, screener.screen(*job))
        except Exception as e:  # ImageRejected and bugs alike go back to the caller
            reply = (False, e)
        conn.send(reply)


def _read_jobs(conn: Connection, jobs: queue.SimpleQueue[Any]) -> None:
    try:
        while (job := conn.recv()) is not None:
            jobs.put(job)
    except (EOFError, OSError):  # the bot's process is gone
        pass
    jobs.put(None)


class WorkerProcess:
    """`screen` like a Screener's, done in a child process; for one thread at a time."""

    def __init__(self, weights: Path) -> None:
        self.weights = weights
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._proc = context.Process(
            target=_serve, args=(self.weights, child), name="anemia-inference", daemon=True
        )
        self._proc.start()
        child.close()  # only the child holds its end: its death shows here as EOF
        self._pending = 0  # photos sent to this child and not yet answered
        self._broken = False  # its pipe failed: it is dead or dying, whatever is_alive says
        if not self._conn.poll(START_TIMEOUT_S):
            self.close()
            raise RuntimeError("the inference process did not start in time")
        ok, error = self._receive()
        if not ok:
            self.close()
            raise RuntimeError("the inference process could not load the models") from error

    def _receive(self) -> tuple[bool, Any]:
        try:
            reply: tuple[bool, Any] = self._conn.recv()
        except (EOFError, OSError) as e:
            self._broken, self._pending = True, 0  # every photo it held is lost
            raise WorkerDied("the inference process ended") from e
        return reply

    def submit(self, data: bytes, person: Person) -> None:
        """Send a photo to the child, which answers in order. A dead child is replaced first,
        but only once nothing is in flight: its answers must not be read from a new one."""
        if self._broken or not self._proc.is_alive():
            if self._pending:  # the caller's collect() reports those, then we restart
                raise WorkerDied("the inference process ended with photos in flight")
            self._restart()
        try:
            self._conn.send((data, person))
        except (BrokenPipeError, OSError) as e:
            self._broken = True
            raise WorkerDied("the inference process ended") from e
        self._pending += 1

    def _restart(self) -> None:
        self._proc.kill()  # a child still dying is reaped, not left behind
        self._proc.join(timeout=10)
        log.warning("inference process ended (exit %s): starting another", self._proc.exitcode)
        self._conn.close()
        self._start()

    def collect(self) -> Screening:
        """The answer to the oldest photo submitted: its Screening, or its error raised."""
        ok, result = self._receive()
        self._pending -= 1
        if not ok:
            raise result
        return result  # type: ignore[no-any-return]

    def screen(self, data: bytes, person: Person) -> Screening:
        """Screen one photo in the child."""
        self.submit(data, person)
        return self.collect()

    def close(self) -> None:
        """Ask the child to stop, and make sure it has."""
        if self._proc.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=10)
        self._conn.close()
