"""A clean stop: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM
(what `docker stop` and systemd send the bot alone) ends `anemia-bot` and its inference
processes, exit status 0, with no traceback in its output; also a Ctrl-C while the inference
process is still starting.

SLOW: runs `anemia-bot` three times as a real subprocess, loading the models (~10-20 s).
"""

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
from testbed.bot import ROOT
from tests.bot.chat.test_faults_restart import polling, process_env
from tests.bot.e2e import weights_dir
from tests.bot.pipeline.test_executor import is_worker

__all__ = ["weights_dir"]  # fixture


def start(fake, tmp_path: Path, weights: Path, log: Path) -> subprocess.Popen[bytes]:
    env = process_env(fake, tmp_path, weights)
    out = log.open("wb")
    command = [sys.executable, "-m", "bot.chat.app"]
    # a session of its own: SIGINT to its process group reaches the children too, as Ctrl-C does
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
    )


async def starting(bot: subprocess.Popen[bytes]) -> list[int]:
    """Until the bot has started its inference process, which is then still importing."""
    for _ in range(600):
        workers = [p for p in descendants(bot.pid) if is_worker(p)]
        if workers:
            return workers
        await asyncio.sleep(0.05)
    raise AssertionError("no inference process started")


@pytest.mark.parametrize(
    "how", ["SIGINT to the group", "SIGTERM to the bot", "SIGINT to the group while starting"]
)
async def test_a_stop_signal_ends_the_bot_and_its_workers_without_a_traceback(
    fake_telegram, tmp_path, weights_dir, how
):
    log = tmp_path / "bot.log"
    bot = start(fake_telegram, tmp_path, weights_dir, log)
    try:
        if how.endswith("while starting"):
            workers = await starting(bot)
        else:
            await polling(fake_telegram, len(fake_telegram.calls))
            workers = descendants(bot.pid)
        assert workers  # the inference process (and multiprocessing's resource tracker)
        if how.startswith("SIGINT"):
            os.killpg(bot.pid, signal.SIGINT)
        else:
            bot.send_signal(signal.SIGTERM)
        # off the event loop: the stand-in Bot API runs on it and answers the bot's last poll
        assert await asyncio.to_thread(bot.wait, 60) == 0
        end = time.monotonic() + 15
        while any(alive(p) for p in workers) and time.monotonic() < end:
            await asyncio.sleep(0.1)
        assert not any(alive(p) for p in workers)
    finally:
        if bot.poll() is None:
            bot.kill()
    output = log.read_text()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
