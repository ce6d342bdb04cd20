"""`anemia-bot --local` in a real browser: the trial's chat page with no token, consent to a
result with its Grad-CAM picture, /history, /delete; and a health worker's message from the
dashboard appearing in the person's page. One server (real models, PostgreSQL) per module."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from bot.services.relay_key import Relay
from bot.services.settings import BotSettings
from bot.texts.i18n import t
from bot.web.local import KEY_FILE, KEY_ID, local_app
from bot.web.settings import WebSettings
from storage.db import make_engine, make_sessionmaker
from storage.pseudonyms import Pseudonymizer
from storage.relay import set_relay
from storage.screenings import record_screening
from storage.settings import StorageSettings
from storage.subjects import find_subject
from storage.weblinks import create_link
from storage.workers import find_team
from testbed.bot import SAMPLE, free_port
from tests.bot.e2e import inference_pool, weights_dir
from tests.bot.web.browser import chromium, left, postgres_database, press, served, wait_for
from tests.storage.helpers import record

__all__ = ["inference_pool", "weights_dir"]


@pytest.fixture(scope="module")
def trial(tmp_path_factory, inference_pool) -> Iterator[dict[str, Any]]:
    """The local trial, served on PostgreSQL with the shared inference pool, no token set."""
    folder = tmp_path_factory.mktemp("local")
    port = free_port()
    with postgres_database("test_web") as url:
        app = local_app(
            BotSettings(telegram_bot_token=SecretStr("")),
            StorageSettings(database_url=url),
            WebSettings(anemia_local_dir=folder),
            port=port,
            pool=inference_pool,
        )
        with served(app, port) as base:
            yield {"base": base, "url": url, "folder": folder}


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def say(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "say-text")
    box.send_keys(text)
    box.submit()


def test_the_page_needs_no_token_and_says_it_is_a_trial(trial, browser) -> None:
    browser.get(trial["base"] + "/")
    assert t("en", "web.local_banner") in browser.find_element(By.CLASS_NAME, "banner").text
    camera = browser.find_element(By.ID, "photo-camera")
    assert camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("capture") == "environment"
    assert browser.find_element(By.ID, "photo-file").get_attribute("type") == "file"
    keys = json.loads((trial["folder"] / KEY_FILE).read_text())
    assert len(keys["pseudonym_key"]) >= 32
    assert (trial["folder"] / KEY_FILE).stat().st_mode & 0o077 == 0  # the owner's only


def test_consent_to_result_history_and_delete(trial, browser) -> None:
    browser.delete_all_cookies()
    browser.get(trial["base"] + "/")
    say(browser, "/start")
    wait_for(browser, ".chat li button", t("en", "consent.agree_contact"))
    press(browser, t("en", "consent.agree_contact"))
    wait_for(browser, ".chat li", t("en", "profile.ask_age"))
    press(browser, t("en", "profile.age_child_24_59m"))
    wait_for(browser, ".chat li", t("en", "group.child_24_59m"))
    browser.find_element(By.ID, "photo-file").send_keys(str(SAMPLE))  # sent on choosing
    result = wait_for(browser, ".chat li", " g/dL", timeout=90)
    assert t("en", "notice") in result.text and t("en", "group.child_24_59m") in result.text
    picture = wait_for(browser, ".chat li", t("en", "result.gradcam")).find_element(
        By.TAG_NAME, "img"
    )
    assert browser.execute_script("return arguments[0].naturalWidth", picture) > 0
    assert _served_as(browser, picture) == "image/jpeg"  # the overlay, as Telegram gets it
    say(browser, "/history")
    chart = wait_for(browser, ".chat li", t("en", "history.chart")).find_element(By.TAG_NAME, "img")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
    assert _served_as(browser, chart) == "image/png"
    person = _person(browser)
    assert asyncio.run(_subject_exists(trial, person))
    say(browser, "/delete")
    press(browser, t("en", "delete.yes"))
    wait_for(browser, ".chat li", t("en", "delete.done"))
    assert not asyncio.run(_subject_exists(trial, person))


def _served_as(driver: WebDriver, img: WebElement) -> str:
    """The Content-Type the trial serves an <img> of the chat with."""
    fetch = "fetch(arguments[0]).then(r => arguments[1](r.headers.get('content-type')))"
    return str(driver.execute_async_script(fetch, img.get_attribute("src")))


def _person(driver: WebDriver) -> int:
    cookie = driver.get_cookie("anemia_trial")
    assert cookie is not None and cookie["httpOnly"]
    return int(cookie["value"].split(".")[0])


def _pseudonyms(trial: dict[str, Any]) -> Pseudonymizer:
    keys = json.loads((Path(trial["folder"]) / KEY_FILE).read_text())
    return Pseudonymizer(KEY_ID, keys["pseudonym_key"].encode())


async def _subject_exists(trial: dict[str, Any], person: int) -> bool:
    engine = make_engine(trial["url"])
    try:
        async with make_sessionmaker(engine)() as session:
            found = await find_subject(session, candidates=_pseudonyms(trial).candidates(person))
            return found is not None
    finally:
        await engine.dispose()


async def _open_case_and_link(trial: dict[str, Any], person: int) -> tuple[str, str]:
    """A worrying screening for the person, reachable through the relay (as a photo would
    leave it), and an office's sign-in link for the team."""
    keys = json.loads((Path(trial["folder"]) / KEY_FILE).read_text())
    engine = make_engine(trial["url"])
    try:
        async with make_sessionmaker(engine).begin() as session:
            subject = await find_subject(session, candidates=_pseudonyms(trial).candidates(person))
            assert subject is not None and subject.contact_opt_in
            _, case = await record_screening(
                session, subject_id=subject.id, record=record(9.0, "moderate", refer=True)
            )
            assert case is not None
            sealed = Relay(keys["relay_key"]).seal(person)
            await set_relay(session, subject_id=subject.id, token=sealed)
            team = await find_team(session, name="default")
            assert team is not None
            token = await create_link(session, team_id=team.id, role="health_worker")
            return case.case_code, token
    finally:
        await engine.dispose()


def test_a_workers_message_reaches_the_trial_page(trial, browser) -> None:
    browser.delete_all_cookies()
    browser.get(trial["base"] + "/")
    say(browser, "/start")
    press(browser, t("en", "consent.agree_contact"))
    wait_for(browser, ".chat li", t("en", "profile.ask_age"))
    code, token = asyncio.run(_open_case_and_link(trial, _person(browser)))
    browser.get(f"{trial['base']}/dashboard/signin?token={token}")
    press(browser, t("en", "web.sign_in"))
    left(browser, "/signin")  # signed in: the session's cookie is set
    browser.get(f"{trial['base']}/dashboard/case/{code}")
    form = wait_for(browser, "#message-text")
    form.send_keys("Please come to the clinic on Monday.")
    form.submit()
    shown = f"{code[:4]}-{code[4:]}"
    wait_for(browser, ".said", t("en", "worker.message_sent", code=shown))
    browser.get(trial["base"] + "/")
    wait_for(browser, ".chat li", "Please come to the clinic on Monday.")
    assert t("en", "relay.message", code=shown, text="x")[:25] in browser.page_source
