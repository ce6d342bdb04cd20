"""The bot's pool on ProcessPoolExecutor: the same result as a Screener in this process,
refusals with their code, PoolBusy beyond the queue, a child killed mid-photo failing only the
photos it held (the next photo served by a fresh child), no child left after close() or after
the bot's process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.botproc import alive, descendants
from bot.pipeline.decode import ImageRejected
from bot.pipeline.executor import ExecutorPool, WorkerDied
from bot.pipeline.inference import PoolBusy
from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from testbed.bot import SAMPLE
from testbed.hang import HANG, hang_or_screen
from tests.bot.e2e import weights_dir

__all__ = ["weights_dir"]  # fixture
CHILD = Person(age_months=36.0)


def is_worker(pid: int) -> bool:
    """A spawned pool process (not multiprocessing's resource tracker)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone already
        return False
    return b"multiprocessing.spawn" in cmdline and b"resource_tracker" not in cmdline


async def test_screens_refuses_and_recovers_from_a_killed_child(weights_dir) -> None:
    before = set(descendants(os.getpid()))
    # 3 photos at most in the pool; a time limit only so that a failure cannot hang the suite
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2, timeout_s=120, screen=hang_or_screen)
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        result = await pool.screen(photo, CHILD)
        here = Screener(weights_dir).screen(photo, CHILD)
        assert result.hb_g_dl == pytest.approx(here.hb_g_dl, abs=1e-4)
        assert result.interval == pytest.approx(here.interval, abs=1e-4)
        assert result.risk == here.risk and result.overlay_jpeg[:3] == b"\xff\xd8\xff"
        with pytest.raises(ImageRejected) as refused:
            await pool.screen(b"not an image", CHILD)
        assert refused.value.code == "unsupported_format"
        held = [asyncio.ensure_future(pool.screen(photo, CHILD)) for _ in range(3)]
        await asyncio.sleep(0)  # all three submitted: the pool is full
        with pytest.raises(PoolBusy):
            await pool.screen(photo, CHILD)
        await asyncio.gather(*held)
        [child] = [p for p in set(descendants(os.getpid())) - before if is_worker(p)]
        # photos that never finish, so the kill comes while the child works on one: a child
        # killed while writing a result back can leave Python's executor waiting for the rest
        # of it for ever (the bot's photo time limit then replaces the executor)
        sent = (photo + HANG, photo, photo)
        held = [asyncio.ensure_future(pool.screen(data, CHILD)) for data in sent]
        await asyncio.sleep(0.5)
        os.kill(child, signal.SIGKILL)  # on the first; one more waits in the executor, one here
        first, *behind = await asyncio.gather(*held, return_exceptions=True)
        assert isinstance(first, WorkerDied), first
        assert all(isinstance(b, Screening) and b.hb_g_dl == result.hb_g_dl for b in behind), behind
        again = await pool.screen(photo, CHILD)  # a fresh executor
        assert again.hb_g_dl == result.hb_g_dl
        [fresh] = [p for p in set(descendants(os.getpid())) - before if is_worker(p)]
        os.kill(fresh, signal.SIGKILL)  # dies while idle: the next photo is not lost
        await asyncio.sleep(0.5)
        assert (await pool.screen(photo, CHILD)).hb_g_dl == result.hb_g_dl
    finally:
        await asyncio.to_thread(pool.close)
    end = time.monotonic() + 10
    while [p for p in descendants(os.getpid()) if p not in before and is_worker(p)]:
        assert time.monotonic() < end, "close() left a child"
        await asyncio.sleep(0.1)


PARENT = """
import sys, time
from pathlib import Path
from bot.pipeline.executor import ExecutorPool
pool = ExecutorPool(Path(sys.argv[1]), workers=1, queue_size=1)
pool.start()
print("ready", flush=True)
time.sleep(120)
"""


def test_children_end_with_a_killed_bot(weights_dir) -> None:
    """The executor alone would leave its child running, with its models, after a SIGKILL."""
    root = Path(__file__).resolve().parents[3]
    command = [sys.executable, "-c", PARENT, str(weights_dir)]
    bot = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=root)
    try:
        assert bot.stdout is not None and bot.stdout.readline().strip() == b"ready"
        children = [p for p in descendants(bot.pid) if is_worker(p)]
        assert children
        bot.kill()
        bot.wait(10)
        end = time.monotonic() + 15
        while any(alive(p) for p in children) and time.monotonic() < end:
            time.sleep(0.2)
        assert not any(alive(p) for p in children)
    finally:
        bot.kill()
        for p in descendants(bot.pid):
            os.kill(p, signal.SIGKILL)
