"""The pool on ProcessPoolExecutor (INFERENCE_POOL=executor): real screenings from a child
process, refusals with their code, PoolBusy beyond the queue, and a child killed mid-photo
failing only the photos it held, the next photo served by a fresh child."""

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
from bot.pipeline.executor import ExecutorPool
from bot.pipeline.inference import PoolBusy
from bot.pipeline.risk import Person
from bot.pipeline.worker_process import WorkerDied
from tests.bot.e2e import SAMPLE, weights_dir

__all__ = ["weights_dir"]  # fixture
CHILD = Person(age_months=36.0)


def is_worker(pid: int) -> bool:
    """A spawned pool process (not multiprocessing's resource tracker)."""
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    return b"multiprocessing.spawn" in cmdline and b"resource_tracker" not in cmdline


async def test_screens_refuses_and_recovers_from_a_killed_child(weights_dir) -> None:
    before = set(descendants(os.getpid()))
    pool = ExecutorPool(weights_dir, workers=1, queue_size=2)  # 3 photos at most in the pool
    await asyncio.to_thread(pool.start)
    photo = SAMPLE.read_bytes()
    try:
        result = await pool.screen(photo, CHILD)
        assert 0 < result.hb_g_dl < 25 and result.population
        with pytest.raises(ImageRejected) as refused:
            await pool.screen(b"not an image", CHILD)
        assert refused.value.code == "unsupported_format"
        held = [asyncio.ensure_future(pool.screen(photo, CHILD)) for _ in range(3)]
        await asyncio.sleep(0)  # all three submitted: the pool is full
        with pytest.raises(PoolBusy):
            await pool.screen(photo, CHILD)
        await asyncio.gather(*held)
        [child] = [p for p in set(descendants(os.getpid())) - before if is_worker(p)]
        held = [asyncio.ensure_future(pool.screen(photo, CHILD)) for _ in range(3)]
        await asyncio.sleep(0.01)
        os.kill(child, signal.SIGKILL)  # while it holds the photos
        outcomes = await asyncio.gather(*held, return_exceptions=True)
        assert any(isinstance(o, WorkerDied) for o in outcomes), outcomes
        again = await pool.screen(photo, CHILD)  # a fresh executor
        assert again.hb_g_dl == result.hb_g_dl
        [fresh] = [p for p in set(descendants(os.getpid())) - before if is_worker(p)]
        os.kill(fresh, signal.SIGKILL)  # dies while idle: the next photo is not lost
        await asyncio.sleep(0.5)
        assert (await pool.screen(photo, CHILD)).hb_g_dl == result.hb_g_dl
    finally:
        await asyncio.to_thread(pool.close)


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
