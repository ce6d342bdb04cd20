"""Two bot replicas behind one webhook, on one PostgreSQL database, each with its own webhook
server and inference pool; updates are posted alternately to both, as a round-robin proxy
would: a person consents through one and sends photos through the other; a redelivered photo
(posted to both) is answered and logged once; the photo rate limit counts across both, one token
per photo however often it is delivered; /history on either shows every result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from pydantic import SecretStr
from sqlalchemy import func, select

from bot.services.photo_limit import SharedPhotoLimit
from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.models import Screening
from storage.pseudonyms import Pseudonymizer
from storage.settings import StorageSettings
from testbed.bot import KEY, free_port, running
from testbed.telegram import FakeTelegram, message_id
from tests.bot.chat.conftest import StubPool
from tests.storage.helpers import create_pg_database, drop_pg_database

USER, SECRET = 7_400_000_001, "s3cret-token"


async def screenings(url: str) -> int:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.execute(select(func.count()).select_from(Screening))).scalar_one()
    finally:
        await engine.dispose()


async def enrol(fake: FakeTelegram, post: Callable[[int, int], Awaitable[int]]) -> None:
    """Consent on replica 1, a child's profile on replica 0: four replies in all."""
    assert await post(fake.send_text(USER, "/start"), 0) == 200
    [terms] = await fake.wait_replies(USER, 1)
    assert await post(fake.press_button(USER, message_id(terms), "consent:yes"), 1) == 200
    asked = (await fake.wait_replies(USER, 3))[-1]
    assert await post(fake.press_button(USER, message_id(asked), "age:child_24_59m"), 0) == 200
    await fake.wait_replies(USER, 4)


async def test_two_replicas_serve_one_person(fake_telegram) -> None:
    fake, db = fake_telegram, await create_pg_database("replicas")
    ports = [free_port(), free_port()]
    hooks = [f"http://127.0.0.1:{p}/telegram" for p in ports]
    try:
        async with AsyncExitStack() as stack:
            for port in ports:  # the photo limit: 2 per person, across both replicas
                await stack.enter_async_context(
                    running(
                        fake, db, StubPool(), webhook_port=port, secret=SECRET, photo_rate_limit=2
                    )
                )

            async def post(update: int, replica: int) -> int:
                return await fake.deliver_webhook(hooks[replica], update, secret_token=SECRET)

            await enrol(fake, post)
            photo = fake.send_photo(USER, b"\xff\xd8 first")
            assert await post(photo, 1) == 200
            assert " g/dL" in (await fake.wait_replies(USER, 6))[4].params["text"]
            assert await post(photo, 0) == 200  # delivered again, to the other replica
            assert await post(fake.send_photo(USER, b"\xff\xd8 second"), 0) == 200
            await fake.wait_replies(USER, 8)
            assert await screenings(db) == 2  # the redelivery was not screened again
            assert await post(fake.send_photo(USER, b"\xff\xd8 third"), 1) == 200
            limited = (await fake.wait_replies(USER, 9))[-1].params["text"]
            assert limited == t("en", "rate_limited")  # 2 in all, not 2 per replica
            for replica in (0, 1):
                assert await post(fake.send_text(USER, "/history"), replica) == 200
                text = (await fake.wait_replies(USER, 11 + 2 * replica))[-2].params["text"]
                assert text.startswith(t("en", "history.header", n=2))
            assert await screenings(db) == 2
    finally:
        await drop_pg_database(db)


class SlowPool(StubPool):
    """Screens in 3 s: long enough to kill its replica mid-photo."""

    async def screen(self, data, person, *, with_cutout=False):  # type: ignore[no-untyped-def]
        await asyncio.sleep(3.0)
        return await super().screen(data, person, with_cutout=with_cutout)


async def test_a_replica_killed_mid_photo_loses_nothing(fake_telegram) -> None:
    fake, db = fake_telegram, await create_pg_database("replicas")
    ports = [free_port(), free_port()]
    hooks = [f"http://127.0.0.1:{p}/telegram" for p in ports]
    try:
        async with running(fake, db, StubPool(), webhook_port=ports[1], secret=SECRET):

            async def post(update: int, replica: int) -> int:
                return await fake.deliver_webhook(hooks[replica], update, secret_token=SECRET)

            dying = AsyncExitStack()
            await dying.enter_async_context(
                running(fake, db, SlowPool(), webhook_port=ports[0], secret=SECRET)
            )
            assert await post(fake.send_text(USER, "/start"), 1) == 200
            [terms] = await fake.wait_replies(USER, 1)
            assert await post(fake.press_button(USER, message_id(terms), "consent:yes"), 1) == 200
            await fake.wait_replies(USER, 3)
            photo = fake.send_photo(USER, b"\xff\xd8 a photo")
            first = asyncio.create_task(post(photo, 0))
            await asyncio.sleep(1.0)  # the slow replica holds the photo
            await dying.aclose()  # killed mid-photo
            status = await asyncio.gather(first, return_exceptions=True)
            assert status[0] != 200  # Telegram got no 200, so it delivers the update again
            assert await post(photo, 1) == 200
            replies = await fake.wait_replies(USER, 5)
            assert sum(" g/dL" in str(r.params.get("text", "")) for r in replies) == 1
            assert await screenings(db) == 1
    finally:
        await drop_pg_database(db)


class GatedPool(StubPool):
    """Holds every photo until `gate` opens, telling `entered` as each arrives: the answer to
    a photo is late, so Telegram delivers it again."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.entered = asyncio.Event(), asyncio.Queue[None]()

    async def screen(self, data, person, *, with_cutout=False):  # type: ignore[no-untyped-def]
        self.entered.put_nowait(None)
        await self.gate.wait()
        return await super().screen(data, person, with_cutout=with_cutout)


async def test_a_photo_delivered_to_both_replicas_takes_one_token(fake_telegram) -> None:
    """Limit 3: the first photo's answer is late and Telegram delivers it to the other replica
    while the first still screens it; it is answered once and costs one token, so the next two
    photos are screened and only the fourth is refused."""
    fake, db, pool = fake_telegram, await create_pg_database("replicas"), GatedPool()
    ports = [free_port(), free_port()]
    hooks = [f"http://127.0.0.1:{p}/telegram" for p in ports]
    try:
        async with AsyncExitStack() as stack:
            for port in ports:
                await stack.enter_async_context(
                    running(fake, db, pool, webhook_port=port, secret=SECRET, photo_rate_limit=3)
                )

            async def post(update: int, replica: int) -> int:
                return await fake.deliver_webhook(hooks[replica], update, secret_token=SECRET)

            await enrol(fake, post)
            photo = fake.send_photo(USER, b"\xff\xd8 first")
            first = asyncio.create_task(post(photo, 0))
            await pool.entered.get()  # replica 0 is screening it
            again = asyncio.create_task(post(photo, 1))  # late: delivered to replica 1 too
            await pool.entered.get()  # replica 1 screens it as well (nothing claimed yet)
            pool.gate.set()
            assert await asyncio.gather(first, again) == [200, 200]
            for i, n in enumerate((b"second", b"third")):
                assert await post(fake.send_photo(USER, b"\xff\xd8 " + n), i % 2) == 200
            assert await post(fake.send_photo(USER, b"\xff\xd8 fourth"), 0) == 200
            replies = await fake.wait_replies(USER, 11)
            texts = [str(r.params.get("text", "")) for r in replies[4:]]
            assert sum(" g/dL" in text for text in texts) == 3  # every photo once
            assert texts[-1] == t("en", "rate_limited")  # only the fourth is refused
            assert await screenings(db) == 3
    finally:
        await drop_pg_database(db)


async def test_a_photo_whose_replica_died_after_taking_its_token_is_screened(
    fake_telegram,
) -> None:
    """Limit 1: a replica took the photo's token and died before it claimed the update (its
    token is in the database, the update is not); the redelivery pays nothing and is answered."""
    fake, db = fake_telegram, await create_pg_database("replicas")
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram"
    try:
        async with running(
            fake, db, StubPool(), webhook_port=port, secret=SECRET, photo_rate_limit=1
        ):

            async def post(update: int) -> int:
                return await fake.deliver_webhook(hook, update, secret_token=SECRET)

            assert await post(fake.send_text(USER, "/start")) == 200
            [terms] = await fake.wait_replies(USER, 1)
            assert await post(fake.press_button(USER, message_id(terms), "consent:yes")) == 200
            await fake.wait_replies(USER, 3)
            photo = fake.send_photo(USER, b"\xff\xd8 a photo")
            storage = StorageSettings(database_url=db, pseudonym_key=SecretStr(KEY))
            person = Pseudonymizer.from_settings(storage).pseudonym(USER).value
            engine = make_engine(db)
            try:  # what the replica that died did with the photo
                assert await SharedPhotoLimit(make_sessionmaker(engine), 1, 600).take(person, photo)
            finally:
                await engine.dispose()
            assert await post(photo) == 200  # Telegram delivers it again
            replies = await fake.wait_replies(USER, 5)
            assert " g/dL" in replies[3].params["text"]
            assert await post(fake.send_photo(USER, b"\xff\xd8 another")) == 200
            limited = (await fake.wait_replies(USER, 6))[-1].params["text"]
            assert limited == t("en", "rate_limited")  # one token was taken, once
    finally:
        await drop_pg_database(db)
