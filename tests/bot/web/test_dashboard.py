"""The dashboard (`anemia-web`) in a real browser on PostgreSQL: no case without a session;
sign-in by a one-time link, the queue and its filters, resolving a case with the lab Hb, the
figures, the CSV exports, sign-out; and the refusals: a used or expired link, a form without
its CSRF token, another team's case."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from bot.services.settings import BotSettings
from bot.texts.i18n import t
from bot.web.app import dashboard_app
from bot.web.settings import WebSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.followups import get_followup
from storage.models import FollowUp
from storage.screenings import record_screening
from storage.settings import StorageSettings
from storage.subjects import create_subject
from storage.weblinks import create_link
from storage.workers import ensure_worker, get_or_create_team
from tests.bot.web.browser import (
    chromium,
    every_field_is_labelled,
    fits_the_screen,
    focused,
    postgres_database,
    press,
    served,
    wait_for,
)
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()
CASES = (("moderate", 9.0, "moderate"), ("severe", 6.5, "severe"), ("other", 9.1, "moderate"))


async def _seed(url: str) -> dict[str, Any]:
    """Team "default" with a moderate and a severe case and a worker; team "other" with one."""
    await migrate_to_head(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            teams = {n: await get_or_create_team(session, name=n) for n in ("default", "other")}
            codes = {}
            for n, (name, hb, risk) in enumerate(
                (
                    ("moderate", 9.0, "moderate"),
                    ("severe", 6.5, "severe"),
                    ("other", 9.1, "moderate"),
                )
            ):
                team = teams["other" if name == "other" else "default"]
                s = await create_subject(
                    session, pseudonym=P.pseudonym(100 + n), consent_version="v", team_id=team.id
                )
                _, case = await record_screening(
                    session, subject_id=s.id, record=record(hb, risk, refer=True)
                )
                assert case is not None
                codes[name] = case.case_code
            worker = await ensure_worker(
                session,
                pseudonym=P.pseudonym(900, "worker"),
                team_id=teams["default"].id,
                role="health_worker",
            )
            return {"codes": codes, "team": teams["default"].id, "worker": worker.id}
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def site() -> Iterator[dict[str, Any]]:
    with postgres_database("test_dash") as url:
        seeded = asyncio.run(_seed(url))
        app = dashboard_app(
            BotSettings(telegram_bot_token=SecretStr("")),
            StorageSettings(database_url=url),
            WebSettings(),
        )
        with served(app) as base:
            yield {"base": base, "url": url, **seeded}


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


async def _link(
    site: dict[str, Any], *, worker: bool = False, ttl_s: float = 900, role: str = "health_worker"
) -> str:
    engine = make_engine(site["url"])
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await create_link(
                session,
                team_id=site["team"],
                role=role,
                worker_id=site["worker"] if worker else None,
                ttl=timedelta(seconds=ttl_s),
            )
    finally:
        await engine.dispose()


async def _case(site: dict[str, Any], name: str) -> FollowUp:
    engine = make_engine(site["url"])
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await get_followup(session, case_code=site["codes"][name], worker=None)
    finally:
        await engine.dispose()


def sign_in(
    driver: WebDriver, site: dict[str, Any], *, worker: bool = False, role: str = "health_worker"
) -> str:
    """Open a new link and press its button; the link's URL."""
    driver.delete_all_cookies()
    token = asyncio.run(_link(site, worker=worker, role=role))
    url = f"{site['base']}/dashboard/signin?token={token}"
    driver.get(url)
    focused(driver, t("en", "web.sign_in")).send_keys(Keys.ENTER)  # the keyboard is on the button
    wait_for(driver, "h1", t("en", "web.queue_title", team="default"))
    return url


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def test_without_a_session_no_case_is_shown(site, browser) -> None:
    browser.delete_all_cookies()
    for path in (
        "/dashboard",
        f"/dashboard/case/{site['codes']['severe']}",
        "/dashboard/cases.csv",
    ):
        browser.get(site["base"] + path)
        assert t("en", "web.sign_in_how") in browser.page_source
        assert not any(shown(c) in browser.page_source for c in site["codes"].values())
        assert not any(c in browser.page_source for c in site["codes"].values())


def test_sign_in_then_queue_resolve_figures_export_and_sign_out(site, browser) -> None:
    link = sign_in(browser, site)
    cookie = browser.get_cookie("anemia_dashboard")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page = browser.page_source
    assert shown(site["codes"]["moderate"]) in page and shown(site["codes"]["severe"]) in page
    assert shown(site["codes"]["other"]) not in page  # another team's
    assert every_field_is_labelled(browser) and fits_the_screen(browser)
    browser.find_element(By.CSS_SELECTOR, "input[name=risk][value=severe]").click()
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_for(browser, "[role=status]", t("en", "web.queue_count", n=1, page=1, pages=1))
    assert shown(site["codes"]["moderate"]) not in browser.page_source
    browser.find_element(By.LINK_TEXT, shown(site["codes"]["severe"])).click()
    wait_for(browser, "h1", t("en", "web.case_title", code=shown(site["codes"]["severe"])))
    assert every_field_is_labelled(browser) and fits_the_screen(browser)
    for n in range(3):  # the people's pseudonyms are nowhere on the page
        assert P.pseudonym(100 + n).value not in browser.page_source
    browser.find_element(By.ID, "lab-hb").send_keys("7.2")
    browser.find_element(By.ID, "resolve-note").send_keys("iron started")
    browser.find_element(By.ID, "lab-hb").submit()
    said = t("en", "worker.resolved", code=shown(site["codes"]["severe"]), lab="7.2", hb="6.5")
    wait_for(browser, ".said", said)
    resolved = asyncio.run(_case(site, "severe"))
    assert resolved.status == "resolved" and resolved.lab_hb_g_dl == 7.2
    lab = _fetch(browser, "/dashboard/lab-confirmed.csv")
    [row] = list(csv.DictReader(io.StringIO(lab)))
    assert row["case_code"] == shown(site["codes"]["severe"]) and row["lab_hb_g_dl"] == "7.2"
    queue = list(csv.DictReader(io.StringIO(_fetch(browser, "/dashboard/cases.csv"))))
    assert [r["case_code"] for r in queue] == [shown(site["codes"]["moderate"])]  # open ones
    browser.get(site["base"] + "/dashboard/figures")
    plot = browser.find_element(By.CSS_SELECTOR, "img.plot")
    assert browser.execute_script("return arguments[0].naturalWidth", plot) > 0
    assert t("en", "web.per_week") in browser.page_source
    press(browser, t("en", "web.sign_out"))
    wait_for(browser, "[role=status]", t("en", "web.signed_out"))
    browser.get(site["base"] + "/dashboard")
    assert shown(site["codes"]["moderate"]) not in browser.page_source
    browser.get(link)  # the link that signed in: used
    wait_for(browser, ".refused", t("en", "web.link_used"))
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/dashboard/signin']")


def _fetch(driver: WebDriver, path: str) -> str:
    """A download as the browser makes it (its cookie), read as text."""
    script = "fetch(arguments[0]).then(r => r.text()).then(arguments[1])"
    return str(driver.execute_async_script(script, path))


def test_an_expired_link_is_refused(site, browser) -> None:
    browser.delete_all_cookies()
    token = asyncio.run(_link(site, ttl_s=-1))
    browser.get(f"{site['base']}/dashboard/signin?token={token}")
    wait_for(browser, ".refused", t("en", "web.link_expired"))


def test_a_link_used_in_another_tab_is_refused_at_the_button(site, browser) -> None:
    browser.delete_all_cookies()
    token = asyncio.run(_link(site))
    browser.get(f"{site['base']}/dashboard/signin?token={token}")
    browser.execute_script("window.open(arguments[0])", browser.current_url)
    first, second = browser.window_handles[:2]
    browser.switch_to.window(second)
    press(browser, t("en", "web.sign_in"))
    wait_for(browser, "h1", t("en", "web.queue_title", team="default"))
    browser.close()
    browser.switch_to.window(first)
    press(browser, t("en", "web.sign_in"))
    wait_for(browser, ".refused", t("en", "web.link_used"))


def test_a_form_without_its_csrf_token_is_refused(site, browser) -> None:
    sign_in(browser, site)
    code = site["codes"]["moderate"]
    browser.get(f"{site['base']}/dashboard/case/{code}")
    browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    browser.find_element(By.ID, "contacted-text").send_keys("rang")
    browser.find_element(By.ID, "contacted-text").submit()
    wait_for(browser, ".refused", t("en", "web.csrf_refused"))
    assert asyncio.run(_case(site, "moderate")).status == "pending"  # nothing changed


def test_another_teams_case_is_refused(site, browser) -> None:
    sign_in(browser, site)
    other = site["codes"]["other"]
    browser.get(f"{site['base']}/dashboard/case/{other}")
    wait_for(browser, ".refused", t("en", "worker.not_found"))
    # a step posted to it with this session's own CSRF token: refused the same way
    browser.get(f"{site['base']}/dashboard/case/{site['codes']['moderate']}")
    browser.execute_script(
        "const f = document.querySelector('form.step');"
        "f.action = f.action.replace(arguments[0], arguments[1]);",
        site["codes"]["moderate"],
        other,
    )
    browser.find_element(By.CSS_SELECTOR, "form.step button").click()
    wait_for(browser, ".refused", t("en", "worker.not_found"))
    assert asyncio.run(_case(site, "other")).status == "pending"


def test_a_worker_takes_a_case_and_finds_it_as_theirs(site, browser) -> None:
    sign_in(browser, site, worker=True)
    code = site["codes"]["moderate"]
    browser.get(f"{site['base']}/dashboard/case/{code}")
    press(browser, t("en", "web.do_take"))
    wait_for(browser, ".said", t("en", "worker.taken", code=shown(code)))
    assert t("en", "web.do_unassign") not in browser.page_source  # for admins only
    browser.get(f"{site['base']}/dashboard?assigned=me")
    assert shown(code) in browser.page_source
    assert asyncio.run(_case(site, "moderate")).assigned_worker_id == site["worker"]
    sign_in(browser, site, role="admin")
    browser.get(f"{site['base']}/dashboard/case/{code}")
    press(browser, t("en", "web.do_unassign"))
    wait_for(browser, ".said", t("en", "worker.unassigned", code=shown(code)))
    assert asyncio.run(_case(site, "moderate")).assigned_worker_id is None
