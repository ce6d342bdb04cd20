"""Faults: the bot process is killed (SIGKILL) while it screens a photo, and restarted. The
update was not confirmed to Telegram (bot/chat/delivery.py confirms only handled updates), so it
is delivered again and handled once: one result, one screening row.

SLOW: runs `anemia-bot` twice as a real subprocess, each loading the models (~10-20 s).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.botproc import alive, descendants
from bot.texts.i18n import t
from testbed.bot import KEY, ROOT, SAMPLE
from tests.bot.chat.test_e2e_chat import USER, assert_result, consent_and_profile
from tests.bot.chat.test_faults_db import screenings
from tests.bot.e2e import weights_dir

__all__ = ["weights_dir"]  # fixture


def process_env(fake, tmp_path: Path, weights: Path) -> dict[str, str]:
    """The environment of a bot run as its own process against the stand-in, on SQLite."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "PSEUDONYM_KEY": KEY,
        "OUTBOX_PATH": str(tmp_path / "outbox.db"),
        "ANEMIA_WEIGHTS": str(weights),
        "TEAM": "clinic",
    }


def start_bot(
    fake, tmp_path: Path, weights: Path, slow_s: float, slow_send_s: float = 0.0
) -> subprocess.Popen[bytes]:
    env = {
        **process_env(fake, tmp_path, weights),
        "ANEMIA_TEST_SLOW_S": str(slow_s),
        "ANEMIA_TEST_SLOW_SEND_S": str(slow_send_s),
    }
    log = (tmp_path / "bot.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.slow_bot"], cwd=ROOT, env=env, stdout=log, stderr=log
    )


async def polling(fake, since: int) -> None:
    """Until the bot (re)started after call `since` is polling."""
    await fake.wait_for(lambda c: c.method == "getUpdates" and fake.calls.index(c) >= since, 90)


async def test_killed_mid_inference_the_photo_is_handled_once_after_restart(
    fake_telegram, tmp_path, weights_dir
):
    fake, url = fake_telegram, f"sqlite:///{tmp_path / 'bot.db'}"
    bot = start_bot(fake, tmp_path, weights_dir, slow_s=3.0)
    try:
        await polling(fake, 0)
        await consent_and_profile(fake)
        fake.send_photo(USER, SAMPLE.read_bytes())
        for _ in range(300):  # the photo is downloaded: inference (3 s) starts now
            if fake.downloads:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        workers = descendants(bot.pid)
        assert workers  # the inference process
        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
        for _ in range(100):  # orphaned, it sees its pipe close and exits
            if not any(alive(p) for p in workers):
                break
            await asyncio.sleep(0.1)
        assert not any(alive(p) for p in workers)
        assert (
            len(fake.replies(USER)) == 4
            and await screenings(f"sqlite:///{tmp_path / 'bot.db'}") == 0
        )
        since = len(fake.calls)
        bot = start_bot(fake, tmp_path, weights_dir, slow_s=0.0)
        await polling(fake, since)
        *_, text, photo = await fake.wait_replies(USER, 6, timeout=60)
        assert_result(text, photo)
        await asyncio.sleep(1.5)  # time for a second, wrong, handling
        assert len(fake.replies(USER)) == 6
        assert await screenings(url) == 1
    finally:
        bot.terminate()
        bot.wait(30)


async def test_killed_after_logging_before_replying_the_result_is_told_after_restart(
    fake_telegram, tmp_path, weights_dir
):
    fake, url = fake_telegram, f"sqlite:///{tmp_path / 'bot.db'}"
    bot = start_bot(fake, tmp_path, weights_dir, slow_s=0.0, slow_send_s=30.0)
    try:
        await polling(fake, 0)
        await consent_and_profile(fake)
        fake.send_photo(USER, SAMPLE.read_bytes())
        for _ in range(600):  # screened and logged; the replies wait
            if await screenings(url) == 1:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
        assert len(fake.replies(USER)) == 4 and await screenings(url) == 1
        since = len(fake.calls)
        bot = start_bot(fake, tmp_path, weights_dir, slow_s=0.0)
        await polling(fake, since)
        *_, again = await fake.wait_replies(USER, 5, timeout=60)
        text = again.params["text"]
        assert again.method == "sendMessage" and " g/dL" in text
        assert text.startswith(t("en", "result.resent").split("{")[0]) and t("en", "notice") in text
        await asyncio.sleep(1.5)  # time for a second, wrong, reply
        assert len(fake.replies(USER)) == 5 and await screenings(url) == 1
    finally:
        bot.terminate()
        bot.wait(30)
