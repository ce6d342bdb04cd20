"""Faults: the Bot API misbehaves (the stand-in server's fault helpers). A 429 is waited out
and the reply arrives once; 5xx answers are retried; a sendPhoto that times out after the
photo arrived is not sent again, nor a message whose connection dropped after it arrived, and
neither brings an apology; a dropped getUpdates connection is recovered and its update handled
once. The policy is in bot/chat/delivery.py.
"""

from __future__ import annotations

from bot.texts.i18n import t
from testbed.bot import SAMPLE, running
from tests.bot.chat.test_e2e_chat import USER, consent_and_profile
from tests.bot.e2e import inference_pool, settle, weights_dir

__all__ = ["inference_pool", "weights_dir"]  # fixtures


def sqlite(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


def calls(fake, method):
    return [c for c in fake.calls if c.method.lower() == method.lower()]


async def test_429_and_5xx_are_retried_and_the_reply_arrives_once(
    fake_telegram, tmp_path, inference_pool
):
    fake = fake_telegram
    async with running(fake, sqlite(tmp_path), inference_pool):
        fake.fail_next("sendMessage", status=429, retry_after=1)
        fake.send_text(USER, "/help")
        [reply] = await fake.wait_replies(USER, 1)
        refused, sent = calls(fake, "sendMessage")
        assert refused.status == 429 and not refused.delivered
        assert sent.at - refused.at >= 1.0  # waited as told
        fake.fail_next("sendMessage", status=502)
        fake.fail_next("sendMessage", status=500)
        fake.send_text(USER, "/help")
        await fake.wait_replies(USER, 2)
        await settle()
        assert [c.status for c in calls(fake, "sendMessage")] == [429, 200, 502, 500, 200]
        assert len(fake.replies(USER)) == 2
        assert reply.params["text"] == fake.replies(USER)[1].params["text"]


async def test_a_timed_out_sendphoto_is_not_sent_twice(fake_telegram, tmp_path, inference_pool):
    fake = fake_telegram
    async with running(fake, sqlite(tmp_path), inference_pool):
        await consent_and_profile(fake)
        # the photo is delivered, but the answer comes after the bot's 5 s read timeout
        fake.delay_next("sendPhoto", 8.0)
        fake.send_photo(USER, SAMPLE.read_bytes())
        await fake.wait_replies(USER, 6, timeout=60)
        await settle(6.0)  # past the read timeout, and time for any retry
        [photo] = calls(fake, "sendPhoto")
        assert photo.delivered
        replies = fake.replies(USER)
        assert len(replies) == 6  # one result text, one picture; no apology that invites a resend
        assert t("en", "error") not in [r.params.get("text") for r in replies]


async def test_a_reply_whose_connection_dropped_after_it_arrived_is_not_sent_again(
    fake_telegram, tmp_path, inference_pool
):
    fake = fake_telegram
    async with running(fake, sqlite(tmp_path), inference_pool):
        fake.drop_connection_next("sendMessage", deliver=True)
        fake.send_text(USER, "/help")
        await fake.wait_replies(USER, 1)
        await settle(2.0)  # past the first retry's backoff
        [sent] = calls(fake, "sendMessage")  # neither sent again nor followed by an apology
        assert sent.delivered and sent.status == 0  # arrived; its answer was lost
        assert len(fake.replies(USER)) == 1


async def test_a_dropped_getupdates_connection_is_recovered(
    fake_telegram, tmp_path, inference_pool
):
    fake = fake_telegram
    async with running(fake, sqlite(tmp_path), inference_pool):
        fake.send_text(USER, "/help")
        await fake.wait_replies(USER, 1)
        # the first drop takes an empty poll; in the pause before PTB polls again an update
        # comes, and the answer carrying it is dropped too
        fake.drop_connection_next("getUpdates", deliver=True)
        await fake.wait_for(lambda c: c.method == "getUpdates" and c.status == 0)
        fake.drop_connection_next("getUpdates", deliver=True)
        fake.send_text(USER, "/help")
        await fake.wait_replies(USER, 2, timeout=30)
        await settle(1.0)
        dropped = [c for c in calls(fake, "getUpdates") if c.status == 0]
        assert dropped and any(c.result for c in dropped)  # the update was in a lost answer
        assert len(fake.replies(USER)) == 2  # handled once
