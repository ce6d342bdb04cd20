"""A photo over the time limit: PhotoTimedOut, its inference process killed and replaced, and the
photo queued behind it screened by the fresh one; the person is told, through the bot; a child
killed while writing its result back leaves no thread behind; in threads
(INFERENCE_PROCESSES=false) the person is answered but the thread finishes the photo first."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import cast

import pytest

from bench.botproc import alive, descendants
from bot.pipeline.executor import ExecutorPool, WorkerDied
from bot.pipeline.inference import InferencePool, PhotoTimedOut
from bot.pipeline.risk import Person
from bot.texts.i18n import t
from testbed.bot import SAMPLE, running
from testbed.hang import HALF, HANG, SLOW, SLOW_S, hang_or_screen
from tests.bot.chat.test_e2e_chat import USER, assert_result, consent_and_profile
from tests.bot.e2e import weights_dir
from tests.bot.pipeline.test_executor import CHILD, is_worker

__all__ = ["weights_dir"]  # fixture


def workers(before: set[int]) -> set[int]:
    return {p for p in set(descendants(os.getpid())) - before if is_worker(p)}


async def test_a_hung_photo_times_out_and_a_fresh_process_screens_the_next(weights_dir) -> None:
    before = set(descendants(os.getpid()))
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2, timeout_s=5.0, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        first = await pool.screen(photo, CHILD)
        [hung] = workers(before)
        stuck = asyncio.ensure_future(pool.screen(HANG, CHILD))
        behind = asyncio.ensure_future(pool.screen(photo, CHILD))  # waits for a free process
        with pytest.raises(PhotoTimedOut):
            await stuck
        assert (await behind).hb_g_dl == first.hb_g_dl
        assert hung not in workers(before) and not alive(hung)
        assert len(workers(before)) == 1  # its replacement
    finally:
        await asyncio.to_thread(pool.close)


async def test_the_next_photo_waits_in_the_executor_and_its_time_limit_starts_with_it(
    weights_dir,
) -> None:
    """One photo waits in the executor behind the one a child screens (PREFETCH), so the
    child never waits for the bot between photos; its time limit runs from when the child
    can start it. Two photos that each take SLOW_S (under the limit) end after twice that
    (over the limit), and neither times out."""
    assert 2 * SLOW_S > 4.0 > SLOW_S + 1.0
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2, timeout_s=4.0, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        first = await pool.screen(photo, CHILD)  # the child has imported what it runs
        slow = [asyncio.ensure_future(pool.screen(photo + SLOW, CHILD)) for _ in range(2)]
        third = asyncio.ensure_future(pool.screen(photo, CHILD))
        await asyncio.sleep(0.5)
        assert len(pool.executor._pending_work_items) == 2  # CPython's own: one more handed over
        assert [(await s).hb_g_dl for s in slow] == [first.hb_g_dl] * 2
        assert (await third).hb_g_dl == first.hb_g_dl
    finally:
        await asyncio.to_thread(pool.close)


async def test_two_photos_over_the_limit_in_one_executor_both_time_out(weights_dir) -> None:
    """Each hung photo replaces the executor it ran in; the second finds it already shut down
    (its children gone from CPython's records) and still reports its own time-out."""
    pool = ExecutorPool(weights_dir, workers=2, queue_size=2, timeout_s=3.0, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        first = await pool.screen(photo, CHILD)
        hung = await asyncio.gather(
            *(pool.screen(photo + HANG, CHILD) for _ in range(2)), return_exceptions=True
        )
        assert [type(h) for h in hung] == [PhotoTimedOut, PhotoTimedOut], hung
        assert (await pool.screen(photo, CHILD)).hb_g_dl == first.hb_g_dl  # a fresh executor
    finally:
        await asyncio.to_thread(pool.close)


async def test_a_child_killed_writing_its_result_is_found_and_leaves_no_thread(
    weights_dir,
) -> None:
    """Half a result in the pipe: Python's executor waits for the rest for ever (no
    BrokenProcessPool). The photo's own watch finds the dead child and ends it with WorkerDied
    long before its time limit (PhotoTimedOut); replacing the executor then lets its thread
    that reads results see the end of the pipe and end, instead of staying behind."""
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2, timeout_s=20.0, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        first = await pool.screen(photo, CHILD)
        # CPython's thread that reads results (typeshed calls it a _ThreadWakeup)
        reader = cast(threading.Thread, pool.executor._executor_manager_thread)
        assert reader is not None and reader.is_alive()
        with pytest.raises(WorkerDied):
            await pool.screen(photo + HALF, CHILD)
        await asyncio.to_thread(reader.join, 30)
        assert not reader.is_alive()
        assert (await pool.screen(photo, CHILD)).hb_g_dl == first.hb_g_dl  # a fresh executor
    finally:
        await asyncio.to_thread(pool.close)


async def test_the_person_is_told_and_the_next_photo_is_screened(
    fake_telegram, tmp_path, weights_dir
) -> None:
    """Through the bot against the stand-in Bot API: a photo that hangs gets the timeout
    message, the next photo its result from a fresh inference process."""
    before = set(descendants(os.getpid()))
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2, timeout_s=5.0, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    try:
        async with running(fake_telegram, url, pool):
            await consent_and_profile(fake_telegram)
            [hung] = workers(before)
            fake_telegram.send_photo(USER, SAMPLE.read_bytes() + HANG)  # a PNG with a tail
            [*_, told] = await fake_telegram.wait_replies(USER, 5, timeout=60)
            assert told.params["text"] == t("en", "reject.took_too_long")
            fake_telegram.send_photo(USER, SAMPLE.read_bytes())
            *_, text, photo = await fake_telegram.wait_replies(USER, 7, timeout=90)
            assert_result(text, photo)
            assert hung not in workers(before) and len(workers(before)) == 1
    finally:
        await asyncio.to_thread(pool.close)


class Gated:
    """A stand-in Screener whose HANG photo waits for `gate`."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> int:
        if data == HANG:
            self.gate.wait(30)
        return len(data)


async def test_in_threads_the_person_is_answered_and_the_thread_finishes_the_photo() -> None:
    gate = threading.Event()
    pool = InferencePool(
        None,  # type: ignore[arg-type]
        workers=1,
        queue_size=2,
        timeout_s=0.2,
        make=lambda _: Gated(gate),  # type: ignore[arg-type,return-value]
    )
    pool.start()
    try:
        with pytest.raises(PhotoTimedOut):
            await pool.screen(HANG, Person())
        behind = asyncio.ensure_future(pool.screen(b"abc", Person()))
        await asyncio.sleep(0)
        assert not behind.done()  # the one thread still holds the hung photo
        gate.set()
        assert await behind == 3
    finally:
        pool.close()
