"""InFlight: the offset never passes an update still being handled; polls that return only
updates already handed out are not parsed again, and wait for the handlers."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from telegram import Update

from bot.chat.delivery import IN_FLIGHT_POLL_S, InFlight

USER = 5_100_000_001


def updates(*ids: int) -> list[Update]:
    return [Update(update_id=i) for i in ids]


def test_offset_stays_at_the_oldest_update_still_open() -> None:
    flight = InFlight()
    assert flight.offset(None) is None
    flight.take(updates(10, 11, 12))
    flight.done(11)
    assert flight.offset(13) == 10  # 10 is open: Telegram must keep it
    flight.done(10)
    assert flight.offset(13) == 12
    flight.done(12)
    assert flight.offset(13) == 13 and flight.handed == set()


def test_handed_updates_are_dropped_before_parsing_and_not_handed_twice() -> None:
    flight = InFlight()
    flight.take(updates(5, 6))
    raw = [{"update_id": 5}, {"update_id": 6}, {"update_id": 7}]
    assert flight.skip_handed(raw) == [{"update_id": 7}]
    assert flight.came_back == 3
    assert [u.update_id for u in flight.take(updates(6, 7))] == [7]
    assert flight.open == {5, 6, 7}


async def test_wait_ends_when_everything_handed_is_done() -> None:
    flight = InFlight()
    flight.take(updates(1, 2))
    asyncio.get_running_loop().call_later(0.05, flight.done, 1)
    asyncio.get_running_loop().call_later(0.1, flight.done, 2)
    started = time.monotonic()
    await flight.wait(10)
    assert 0.09 <= time.monotonic() - started < 5 and not flight.open


async def test_wait_gives_up_after_the_poll_interval_while_updates_are_open() -> None:
    flight = InFlight()
    flight.take(updates(1))
    started = time.monotonic()
    await flight.wait(IN_FLIGHT_POLL_S)
    assert time.monotonic() - started >= IN_FLIGHT_POLL_S * 0.9 and flight.open == {1}


async def test_stopping_mid_long_poll_logs_no_error(fake_telegram, tmp_path, caplog) -> None:
    """PTB cancels the long poll without awaiting it and polls again to confirm: that poll
    must wait for the connection instead of failing (PoolTimeout) or cutting the first off
    (409 Conflict, an exception nobody retrieves)."""
    from testbed.bot import running
    from tests.bot.chat.test_security import StubPool

    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    with caplog.at_level(logging.WARNING):
        async with running(fake_telegram, url, StubPool()):
            for n in range(1, 4):
                fake_telegram.send_text(USER, "/help")
                await fake_telegram.wait_replies(USER, n)
        await asyncio.sleep(0.2)  # an unretrieved task exception is logged when collected
        gc.collect()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    final = [c for c in fake_telegram.calls if c.method == "getUpdates" and not c.params["timeout"]]
    assert final and final[-1].status == 200  # the confirming poll went through
