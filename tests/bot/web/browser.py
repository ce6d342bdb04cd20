"""The web tests' real parts: headless Chromium (Debian's chromium and chromium-driver, driven
through selenium), the application served by uvicorn in a thread of the test process, and
scratch PostgreSQL databases. Without Chromium the tests skip, saying why; under CI=1 they
fail."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from starlette.applications import Starlette

from testbed.bot import free_port
from tests.conftest import _in_ci
from tests.storage.helpers import create_pg_database, drop_pg_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_S = 180.0  # the local trial loads and warms the models before it answers


def chromium() -> WebDriver:
    """A headless Chromium at a phone's width; skipped (failed in CI) when not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        why = (
            f"headless Chromium is not installed ({', '.join(missing)} missing): "
            "apt-get install -y chromium chromium-driver (README)"
        )
        if _in_ci():
            pytest.fail(why)
        pytest.skip(why)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US"):
        options.add_argument(arg)
    options.add_argument("--window-size=412,915")  # a phone's screen, in CSS pixels
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    return driver


@contextmanager
def served(app: Starlette, port: int | None = None) -> Iterator[str]:
    """The application on `port` (a free one) of 127.0.0.1 until the block ends; its URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web application did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A scratch PostgreSQL database (not migrated: the application migrates at start)."""
    url = asyncio.run(create_pg_database(prefix))
    try:
        yield url
    finally:
        asyncio.run(drop_pg_database(url))


def wait_for(driver: WebDriver, css: str, text: str = "", timeout: float = 30.0) -> WebElement:
    """The last element matching `css` whose text holds `text`, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = [e for e in driver.find_elements(By.CSS_SELECTOR, css) if text in e.text]
        except StaleElementReferenceException:  # the page changed while it was read
            found = []
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {css!r} with {text!r} on {driver.current_url}")
        time.sleep(0.1)


def focused(driver: WebDriver, label: str, timeout: float = 10.0) -> WebElement:
    """The element with the keyboard's focus once it is the one labelled `label`.

    Chromium applies `autofocus` at a rendering step after the page has loaded, so on a busy
    machine the body can hold the focus for a moment after `get` returns."""
    deadline = time.monotonic() + timeout
    while True:
        element = driver.switch_to.active_element
        if element.text == label:
            return element
        if time.monotonic() > deadline:
            raise AssertionError(f"the focus is on {element.tag_name!r}, not on {label!r}")
        time.sleep(0.05)


def press(driver: WebDriver, label: str, timeout: float = 30.0) -> None:
    """Press the (last) button with this label, once there is one: the page may still be
    adding it, or replacing the chat it sits in."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            buttons = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text == label]
            if buttons:
                buttons[-1].click()
                return
        except StaleElementReferenceException:  # replaced while read: look again
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no button {label!r} on {driver.current_url}")
        time.sleep(0.1)


def left(driver: WebDriver, part: str, timeout: float = 30.0) -> None:
    """Until the page's URL no longer holds `part`: a form's navigation has happened."""
    deadline = time.monotonic() + timeout
    while part in driver.current_url:
        if time.monotonic() > deadline:
            raise AssertionError(f"still on {driver.current_url}")
        time.sleep(0.1)


def every_field_is_labelled(driver: WebDriver) -> bool:
    """Each visible form field has a label (what a screen reader and the keyboard need)."""
    return bool(
        driver.execute_script(
            "return [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]"
            ".every(e => e.labels && e.labels.length > 0)"
        )
    )


def fits_the_screen(driver: WebDriver) -> bool:
    """Nothing wider than the window: no sideways scrolling on a phone."""
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )
