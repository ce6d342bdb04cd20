"""The Coalescer: items added while a flush runs go out together in the next one."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.base import Coalescer


async def test_items_added_during_a_flush_are_flushed_together_next() -> None:
    batches: list[set[int]] = []
    gate = asyncio.Event()

    async def flush(batch: set[int]) -> None:
        batches.append(batch)
        if len(batches) == 1:
            await gate.wait()  # the first flush is slow: others arrive meanwhile

    c = Coalescer()
    first = asyncio.create_task(c.add(1, flush))
    await asyncio.sleep(0)
    await asyncio.gather(*(c.add(i, flush) for i in (2, 3, 4)))  # return at once
    gate.set()
    await first
    assert batches == [{1}, {2, 3, 4}] and not c.running
    await c.add(5, flush)
    assert batches[-1] == {5}


async def test_a_failed_flush_raises_and_the_next_add_flushes_again() -> None:
    async def broken(batch: set[int]) -> None:
        raise RuntimeError("bug")

    c = Coalescer()
    with pytest.raises(RuntimeError):
        await c.add(1, broken)
    seen: list[set[int]] = []

    async def ok(batch: set[int]) -> None:
        seen.append(batch)

    await c.add(2, ok)
    assert seen == [{2}] and not c.running
