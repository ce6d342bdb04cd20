"""Both keys rotated as docs/DEPLOY.md says, between two runs of the real bot on one database:
the configured worker still lists the case they took and reaches the person with /message;
the invited nurse and the admin keep their team and role; a worker the admin revoked stays
revoked; the person keeps /history and answers through the relay (a chat id sealed under the
old RELAY_KEY)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.services.relay_key import new_key
from bot.services.startup import worker_commands_text
from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.models import HealthWorker
from storage.settings import StorageSettings
from testbed.bot import KEY, WORKER_ID, running
from testbed.telegram import FakeTelegram
from tests.bot.chat.conftest import StubPool
from tests.bot.chat.test_e2e_relay import agree_to_contact, case_code_of
from tests.storage.helpers import create_pg_database, drop_pg_database

PERSON, NURSE, ADMIN, GONE = 7_400_000_001, 7_400_000_002, 7_400_000_003, 7_400_000_004
NEW_KEY = "e2e-rotated-pseudonym-key-fedcba9876543210"


async def say(fake: FakeTelegram, user: int, text: str) -> str:
    """A command and the first reply to it."""
    before = len(fake.replies(user))
    fake.send_text(user, text)
    return str((await fake.wait_replies(user, before + 1))[before].params["text"])


async def worker_rows(url: str) -> list[tuple[int, str, str, bool]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            query = select(
                HealthWorker.id, HealthWorker.key_id, HealthWorker.role, HealthWorker.active
            ).order_by(HealthWorker.id)
            return [tuple(row) for row in await session.execute(query)]  # type: ignore[misc]
    finally:
        await engine.dispose()


async def test_rotating_both_keys_keeps_everyone(fake_telegram, tmp_path) -> None:
    await rotation(fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")


async def test_rotating_both_keys_keeps_everyone_on_postgresql(fake_telegram) -> None:
    url = await create_pg_database("bot_rotation")
    try:
        await rotation(fake_telegram, url)
    finally:
        await drop_pg_database(url)


async def rotation(fake: FakeTelegram, url: str) -> None:
    old_relay = new_key()
    staff: dict[str, Any] = {"health_worker_ids": (WORKER_ID, GONE), "admin_ids": (ADMIN,)}
    async with running(fake, url, StubPool(), relay_key=old_relay, **staff):
        await agree_to_contact(fake, PERSON)
        code = await case_code_of(fake, PERSON, 3)
        assert await say(fake, WORKER_ID, f"/take {code}") == t("en", "worker.taken", code=code)
        await say(fake, WORKER_ID, f"/note {code} rang, no answer")
        invite = (await say(fake, ADMIN, "/invite")).split()
        joined = await say(fake, NURSE, f"/join {next(w for w in invite if len(w) >= 12)}")
        assert joined == t(
            "en", "worker.joined", team="clinic", commands=worker_commands_text("en")
        )
        gone = next(i for i, *_ in await worker_rows(url) if i == 2)  # GONE, configured second
        assert await say(fake, ADMIN, f"/revoke {gone}") == t("en", "worker.revoked", n=gone)
    before = await worker_rows(url)
    assert {key for _, key, *_ in before} == {"k1"}

    rotated = StorageSettings(
        database_url=url,
        pseudonym_key=SecretStr(NEW_KEY),
        pseudonym_key_id="k2",
        pseudonym_old_keys={"k1": SecretStr(KEY)},
    )
    async with running(
        fake,
        url,
        StubPool(),
        storage=rotated,
        relay_key=new_key(),
        relay_old_keys=old_relay,
        **staff,
    ):
        listing = await say(fake, WORKER_ID, "/pending")
        assert code in listing, listing
        shown = await say(fake, WORKER_ID, f"/case {code}")
        assert t("en", "worker.you") in shown and "rang, no answer" in shown
        sent = await say(fake, WORKER_ID, f"/message {code} Please come on Monday")
        assert sent.startswith(t("en", "worker.message_sent", code=code))
        relayed = (await fake.wait_replies(PERSON, 6))[-1].params["text"]
        assert relayed == t("en", "relay.message", code=code, text="Please come on Monday")
        assert await say(fake, PERSON, "I will come") == t("en", "relay.noted")
        assert "I will come" in await say(fake, WORKER_ID, f"/case {code}")
        history = await say(fake, PERSON, "/history")
        assert "10.4 g/dL" in history and code in history, history
        assert code in await say(fake, NURSE, "/pending")  # the invited nurse: same team
        members = await say(fake, ADMIN, "/workers")  # the admin is still one
        assert members.startswith(t("en", "worker.members_header"))
        assert await say(fake, GONE, "/pending") == t("en", "worker.denied")  # still revoked
    after = await worker_rows(url)
    # the same rows, roles and standing, all under the new key
    assert [(i, role, active) for i, _, role, active in after] == [
        (i, role, active) for i, _, role, active in before
    ]
    assert {key for _, key, *_ in after} == {"k2"}
