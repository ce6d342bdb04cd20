"""The follow-up loop through Telegram, scripted: a photo opens a case and the person sees its
code; a worker writes to the person through the bot and the answer lands in the case's notes;
the worker marks the case contacted and resolves it with a lab Hb; /stats shows that
screening's error; the relay is gone with the case; a pending case's person gets a reminder,
once.
The worker never sees the person's Telegram id, and the database holds it only sealed.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.services.relay_key import Relay, new_key
from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.models import Subject
from testbed.bot import WORKER_ID, running
from testbed.telegram import message_id
from tests.bot.chat.conftest import StubPool
from tests.bot.e2e import all_values
from tests.storage.helpers import create_pg_database, drop_pg_database

PERSON, OTHER = 7_300_000_001, 7_300_000_002


async def agree_to_contact(fake, user: int) -> None:
    fake.send_text(user, "/start")
    [terms] = await fake.wait_replies(user, 1)
    fake.press_button(user, message_id(terms), "consent:contact")
    await fake.wait_replies(user, 3)


async def case_code_of(fake, user: int, replies: int) -> str:
    """Send a photo; the code the result gives (the stub screens it as 10.4 g/dL, referred)."""
    fake.send_photo(user, b"\xff\xd8 a photo")
    text = (await fake.wait_replies(user, replies + 2))[replies].params["text"]
    before = t("en", "result.case", code="@").partition("@")[0]
    assert before in text, text
    return text.split(before)[1][:9]


async def relays(url: str) -> list[bytes | None]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(Subject.relay_chat).order_by(Subject.id)))
    finally:
        await engine.dispose()


async def test_the_follow_up_loop(fake_telegram, tmp_path) -> None:
    await follow_up_loop(fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")


async def test_the_follow_up_loop_on_postgresql(fake_telegram) -> None:
    url = await create_pg_database("bot_relay")
    try:
        await follow_up_loop(fake_telegram, url)
    finally:
        await drop_pg_database(url)


async def follow_up_loop(fake, url: str) -> None:
    key = new_key()
    # the reminder is due ~0.1 s after the case opens and looked for every 0.3 s
    async with running(
        fake, url, StubPool(), relay_key=key, reminder_after_days=1e-6, reminder_interval_s=0.3
    ):
        await agree_to_contact(fake, PERSON)
        code = await case_code_of(fake, PERSON, 3)
        # the case is pending until a worker acts, so its reminder comes (due after ~0.1 s);
        # waiting for it keeps the replies below in one order however slow the machine is
        texts = [r.params.get("text") for r in await fake.wait_replies(PERSON, 6, timeout=10)]
        assert t("en", "relay.reminder", code=code) in texts

        async def say(text: str) -> str:
            """The worker's command and the first reply to it (/stats also sends a picture)."""
            before = len(fake.replies(WORKER_ID))
            fake.send_text(WORKER_ID, text)
            return str((await fake.wait_replies(WORKER_ID, before + 1))[before].params["text"])

        sent = await say(f"/message {code} Please come to the clinic on Monday")
        reads = t("en", "worker.reads", language="English")  # the person's language
        assert sent == f"{t('en', 'worker.message_sent', code=code)}\n{reads}"
        relayed = (await fake.wait_replies(PERSON, 7))[-1].params["text"]
        text = "Please come to the clinic on Monday"
        assert relayed == t("en", "relay.message", code=code, text=text)
        fake.send_text(PERSON, "I will come on Monday")
        assert (await fake.wait_replies(PERSON, 8))[-1].params["text"] == t("en", "relay.noted")
        shown = await say(f"/case {code}")
        person = t("en", "worker.person")
        assert f"by {person}: I will come on Monday" in shown and str(PERSON) not in shown
        assert t("en", "worker.office") not in shown
        assert await say(f"/contacted {code}") == t("en", "worker.contacted", code=code)
        await say(f"/message {code} See you then")  # the person's chat awaits an answer again
        await fake.wait_replies(PERSON, 9)
        assert "resolved" in (await say(f"/resolve {code} 9.8")).lower()
        # the case closed: a later answer is not filed, and the person is told so
        fake.send_text(PERSON, "Thanks, one more thing")
        assert (await fake.wait_replies(PERSON, 10))[-1].params["text"] == t("en", "relay.closed")
        assert "one more thing" not in await say(f"/case {code}")
        assert "bias +0.60" in await say("/stats")  # 10.4 estimated, 9.8 in the lab
        picture = (await fake.wait_replies(WORKER_ID, 8))[7]
        assert picture.method == "sendPhoto"  # the Bland-Altman picture
        assert (await relays(url))[0] is None  # the relay went with the case
        assert await say(f"/message {code} hello") == t("en", "worker.unreachable", code=code)
        # a second person's case stays pending: the reminder comes (due after ~0.1 s here)
        await agree_to_contact(fake, OTHER)
        other = await case_code_of(fake, OTHER, 3)
        [token] = [r for r in await relays(url) if r is not None]
        assert Relay(key).open(token) == OTHER and str(OTHER).encode() not in token
        reminder = (await fake.wait_replies(OTHER, 6, timeout=10))[5]
        assert reminder.params["text"] == t("en", "relay.reminder", code=other)
        await asyncio.sleep(0.7)
        assert len(fake.replies(OTHER)) == 6  # once only
    assert not [v for v in await all_values(url) if str(PERSON) in v or str(OTHER) in v]
