"""`anemia-web` is not the bot: a worker's message from a case page goes out through the Bot
API (here the stand-in server), is noted in the case, and a chat the Bot API refuses is told
to the worker with nothing noted."""

from __future__ import annotations

import re

import httpx
from pydantic import SecretStr

from bot.services.relay_key import Relay, new_key
from bot.services.settings import BotSettings
from bot.texts.i18n import t
from bot.web.app import dashboard_app
from bot.web.settings import WebSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.followups import list_notes
from storage.relay import set_relay
from storage.screenings import record_screening
from storage.settings import StorageSettings
from storage.subjects import create_subject
from storage.weblinks import create_link
from storage.workers import get_or_create_team
from tests.bot.web.browser import served
from tests.storage.helpers import create_pg_database, drop_pg_database, pseudonymizer, record

PERSON, STRANGER = 7_300_000_001, 7_300_000_002
KEY = new_key()


async def _seed(url: str) -> tuple[list[str], str]:
    """Two open cases of people who agreed to be contacted, sealed for PERSON (whom the Bot
    API knows) and STRANGER (whom it does not); an office's sign-in link."""
    await migrate_to_head(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            team = await get_or_create_team(session, name="default")
            codes = []
            for chat in (PERSON, STRANGER):
                s = await create_subject(
                    session,
                    pseudonym=pseudonymizer().pseudonym(chat),
                    consent_version="v",
                    team_id=team.id,
                    contact_opt_in=True,
                )
                _, case = await record_screening(
                    session, subject_id=s.id, record=record(9.0, "moderate", refer=True)
                )
                assert case is not None
                await set_relay(session, subject_id=s.id, token=Relay(KEY).seal(chat))
                codes.append(case.case_code)
            return codes, await create_link(session, team_id=team.id, role="health_worker")
    finally:
        await engine.dispose()


async def _notes(url: str, code: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return [n.text for n in await list_notes(session, case_code=code, worker=None)]
    finally:
        await engine.dispose()


async def test_a_message_from_the_dashboard_goes_out_through_the_bot_api(fake_telegram) -> None:
    fake = fake_telegram
    fake.add_user(PERSON, first_name="Ama")
    url = await create_pg_database("test_relay")
    try:
        (code, stranger), token = await _seed(url)
        settings = BotSettings(
            telegram_bot_token=SecretStr(fake.token),
            telegram_base_url=fake.base_url,
            relay_key=SecretStr(KEY),
        )
        app = dashboard_app(settings, StorageSettings(database_url=url), WebSettings())
        with served(app) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                await client.post("/dashboard/signin", data={"token": token})
                page = (await client.get(f"/dashboard/case/{code}")).text
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
                assert csrf is not None
                sent = await client.post(
                    f"/dashboard/case/{code}/message",
                    data={"csrf": csrf[1], "text": "Please come on Monday."},
                )
                shown = f"{code[:4]}-{code[4:]}"
                assert t("en", "worker.message_sent", code=shown) in sent.text
                refused = await client.post(
                    f"/dashboard/case/{stranger}/message",
                    data={"csrf": csrf[1], "text": "Hello?"},
                )
                assert refused.status_code == 502
                assert t("en", "web.message_failed") in refused.text
        [message] = await fake.wait_replies(PERSON, 1)
        assert message.params["text"] == t(
            None, "relay.message", code=shown, text="Please come on Monday."
        )
        assert await _notes(url, code) == ["sent: Please come on Monday."]
        assert await _notes(url, stranger) == []  # not delivered: nothing noted
    finally:
        await drop_pg_database(url)
