"""The dashboard in the browser's language (Accept-Language), on PostgreSQL: a French browser
reads the queue and a case in French, with the estimate, its interval, the lab Hb and the dates
as French writes them ("6,5 g/dL"), and the refusal of a bad lab Hb shows a French example."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.services.settings import BotSettings
from bot.texts import numbers
from bot.texts.i18n import t
from bot.web.app import dashboard_app
from bot.web.settings import WebSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.followups import get_followup
from storage.screenings import record_screening
from storage.settings import StorageSettings
from storage.subjects import create_subject
from storage.weblinks import create_link
from storage.workers import get_or_create_team
from tests.bot.web.browser import postgres_database, served
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()
FRENCH = {"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"}


async def _seed(url: str) -> dict[str, Any]:
    """Team "default" with two open cases (6.5 and 9.0 g/dL), and a sign-in link for it."""
    await migrate_to_head(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            team = await get_or_create_team(session, name="default")
            codes = []
            for n, (hb, risk) in enumerate(((6.5, "severe"), (9.0, "moderate"))):
                s = await create_subject(
                    session, pseudonym=P.pseudonym(300 + n), consent_version="v", team_id=team.id
                )
                _, case = await record_screening(
                    session, subject_id=s.id, record=record(hb, risk, refer=True)
                )
                assert case is not None
                codes.append(case.case_code)
            found = await get_followup(session, case_code=codes[0], worker=None)
            token = await create_link(session, team_id=team.id, role="admin", worker_id=None)
            return {"codes": codes, "opened": found.opened_at, "token": token}
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def signed_in() -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A client signed in to the dashboard with the link, asking for French pages."""
    with postgres_database("test_dash_lang") as url:
        seeded = asyncio.run(_seed(url))
        app = dashboard_app(
            BotSettings(telegram_bot_token=SecretStr("")),
            StorageSettings(database_url=url),
            WebSettings(),
        )
        with served(app) as base, httpx.Client(base_url=base, headers=FRENCH) as client:
            client.post("/dashboard/signin", data={"token": seeded["token"]})
            yield client, seeded


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def test_a_french_browser_reads_the_queue_in_french(signed_in) -> None:
    client, _ = signed_in
    page = client.get("/dashboard")
    assert page.status_code == 200, page.text
    queue = text_of(page)
    assert t("fr", "web.queue_title", team="default") in queue
    assert t("fr", "web.queue_count", n=2, page=1, pages=1) in queue
    assert "6,5 (5,0–8,0) g/dL" in queue and "6.5" not in queue


def test_a_french_case_page_writes_numbers_and_dates_as_french_does(signed_in) -> None:
    client, seeded = signed_in
    page = text_of(client.get(f"/dashboard/case/{seeded['codes'][0]}"))
    assert t("fr", "web.c_estimate") in page and "6,5 g/dL" in page
    assert "5,0–8,0 g/dL" in page
    assert t("fr", "web.cut_off", value=11.0) in page and "11,0 g/dL" in page
    assert numbers.day("fr", seeded["opened"]) in page  # "7 déc. 2026"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    refused = client.post(
        f"/dashboard/case/{seeded['codes'][0]}/resolve",
        data={"csrf": csrf.group(1), "lab_hb": "neuf"},
    )
    said = text_of(refused)
    assert t("fr", "web.resolve_bad", example=9.8) in said and "(par exemple 9,8)" in said
