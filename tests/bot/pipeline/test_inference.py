"""The inference pool: results from threads, the bounded queue, errors, and the rate limiter."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from bot.pipeline.decode import ImageRejected
from bot.pipeline.inference import InferencePool, PoolBusy
from bot.pipeline.risk import Person
from bot.services.photo_limit import RateLimiter


class Slow:
    """A stand-in Screener: waits for `gate`, then echoes the bytes' length."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate, self.thread = gate, threading.current_thread().name

    def screen(self, data: bytes, person: Person, *, with_cutout: bool = False):
        self.gate.wait(5)
        if data == b"bad":
            raise ImageRejected("corrupt")
        return (len(data), threading.current_thread().name)


async def test_results_come_back_from_the_worker_threads():
    gate = threading.Event()
    gate.set()
    pool = InferencePool(None, workers=2, queue_size=4, make=lambda _: Slow(gate))  # type: ignore[arg-type]
    pool.start()
    try:
        results: list[Any] = await asyncio.gather(
            *(pool.screen(b"x" * n, Person()) for n in range(1, 5))
        )
        assert [r[0] for r in results] == [1, 2, 3, 4]
        assert {r[1] for r in results} <= {"inference-0", "inference-1"}
        with pytest.raises(ImageRejected):
            await pool.screen(b"bad", Person())
    finally:
        pool.close()


async def test_a_full_queue_refuses_at_once():
    gate = threading.Event()
    pool = InferencePool(None, workers=1, queue_size=2, make=lambda _: Slow(gate))  # type: ignore[arg-type]
    pool.start()
    try:
        running = [asyncio.ensure_future(pool.screen(b"a", Person()))]
        await asyncio.sleep(0.2)  # the worker takes it and waits at the gate
        running += [asyncio.ensure_future(pool.screen(b"a", Person())) for _ in range(2)]
        await asyncio.sleep(0.1)  # two wait: the queue is full
        with pytest.raises(PoolBusy):
            await pool.screen(b"b", Person())
        gate.set()
        answers: list[Any] = await asyncio.gather(*running)
        assert [r[0] for r in answers] == [1, 1, 1]
    finally:
        pool.close()


def test_a_worker_that_cannot_load_stops_the_start():
    def broken(_):
        raise FileNotFoundError("no weights")

    with pytest.raises(RuntimeError, match="failed to load"):
        InferencePool(None, workers=2, make=broken).start()  # type: ignore[arg-type]


def test_rate_limiter_sliding_window():
    now = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 61.0
    assert limiter.allow("a")
