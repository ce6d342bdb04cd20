"""Security checks: no start without a real pseudonym key; nobody (id, name, photo) and no token
in the logs of a scripted session, at DEBUG on every logger; the per-person photo rate limit;
the size and pixel caps before any pixel is decoded; every dependency bounded.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image, ImageFile
from pydantic import SecretStr

from bot.chat import app as bot_app
from bot.chat.logs import PRIVATE, REDACTED, REQUEST_LOGGERS, protect_logs
from bot.pipeline.decode import MAX_BYTES, ImageRejected
from bot.pipeline.result import Screening
from bot.pipeline.risk import Person, classify
from bot.pipeline.screening import Screener
from bot.services.keys import DEV_KEY, StartupRefused, pseudonymizer_for
from bot.services.settings import BotSettings, get_bot_settings
from bot.texts.i18n import t
from storage.settings import StorageSettings, get_settings
from testbed.bot import SAMPLE, running
from tests.bot import bad_inputs
from tests.bot.chat.chatting import agree

USER, OTHER = 7_300_123_457, 7_300_765_433
NAME, USERNAME = "Akosua", "akosua_owusu_k"
GOOD_KEY = "a-real-secret-pseudonym-key-0123456789"
ENV = (
    "TELEGRAM_BOT_TOKEN",
    "PSEUDONYM_KEY",
    "PSEUDONYM_KEY_ID",
    "PSEUDONYM_OLD_KEYS",
    "ANEMIA_DEV_MODE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_PORT",
    "DATABASE_URL",
)


# --- the pseudonym key


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment with a token; the cached settings read afresh before and after."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    get_bot_settings.cache_clear()
    get_settings.cache_clear()
    yield monkeypatch
    get_bot_settings.cache_clear()
    get_settings.cache_clear()


class Started:
    """Stands in for the application: records that `main` got as far as running it."""

    runs = 0
    pools = 0  # inference pools asked for (`no_pool`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def run_polling(self, **kwargs: Any) -> None:
        Started.runs += 1


def no_pool(settings: Any) -> None:
    """Stands in for `pool_for`: no inference process is started."""
    Started.pools += 1


def refused(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """`anemia-bot` refused to start: its one stderr line, and all it printed; nothing built."""
    env.setattr(bot_app, "build_application", Started)
    env.setattr(bot_app, "pool_for", no_pool)
    runs, pools = Started.runs, Started.pools
    assert bot_app.main([]) == 2
    out = capsys.readouterr()
    assert (Started.runs, Started.pools) == (runs, pools)  # refused before any model loads
    [line] = out.err.splitlines()
    return line, out.err + out.out


@pytest.mark.parametrize(
    ("key", "dev", "said"),
    [
        (None, None, "PSEUDONYM_KEY is not set"),
        (None, "0", "PSEUDONYM_KEY is not set"),
        (DEV_KEY, None, "PSEUDONYM_KEY is the development key"),
        (DEV_KEY, "false", "PSEUDONYM_KEY is the development key"),
        ("short-secret", None, "PSEUDONYM_KEY: Value error, PSEUDONYM_KEY must be at least 32"),
        ("short-secret", "1", "PSEUDONYM_KEY: Value error, PSEUDONYM_KEY must be at least 32"),
    ],
)
def test_refuses_to_start_without_a_real_key(env, capsys, key, dev, said) -> None:
    for name, value in (("PSEUDONYM_KEY", key), ("ANEMIA_DEV_MODE", dev)):
        if value is not None:
            env.setenv(name, value)
    line, printed = refused(env, capsys)
    assert line.startswith(f"anemia-bot: {said}"), line
    assert "Traceback" not in printed and "short-secret" not in printed  # no secret


@pytest.mark.parametrize(("key", "dev"), [(None, "1"), (DEV_KEY, "true"), (GOOD_KEY, None)])
def test_starts_with_a_real_key_or_the_explicit_development_flag(env, capsys, key, dev) -> None:
    for name, value in (("PSEUDONYM_KEY", key), ("ANEMIA_DEV_MODE", dev)):
        if value is not None:
            env.setenv(name, value)
    env.setattr(bot_app, "build_application", Started)
    env.setattr(bot_app, "pool_for", no_pool)
    runs, pools = Started.runs, Started.pools
    assert bot_app.main([]) == 0
    assert (Started.runs, Started.pools) == (runs + 1, pools + 1)
    assert "Traceback" not in capsys.readouterr().err


def test_a_setting_that_does_not_parse_is_named_without_its_value(env, capsys) -> None:
    env.setenv("PSEUDONYM_KEY", GOOD_KEY)
    env.setenv("WEBHOOK_PORT", "port-eighty")
    assert bot_app.main([]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("anemia-bot: WEBHOOK_PORT: Input should be a valid integer"), line
    assert "port-eighty" not in line


def test_start_up_itself_refuses_a_missing_or_development_key() -> None:
    """The Application's own start-up checks too (tests and other entry points build it)."""
    for key in (None, DEV_KEY):
        with pytest.raises(StartupRefused):
            secret = SecretStr(key) if key is not None else None
            pseudonymizer_for(StorageSettings(pseudonym_key=secret), dev_mode=False)
    assert pseudonymizer_for(StorageSettings(), dev_mode=True).key == DEV_KEY.encode()


# --- the logs


class StubPool:
    """Answers photos without a model: a result, a refusal, then a crash naming the person."""

    def __init__(self) -> None:
        self.calls = 0
        self.answers: list[Screening | Exception] = []

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else result()
        if isinstance(answer, Exception):
            raise answer
        return answer


def result(hb: float = 10.2) -> Screening:
    interval, person = (hb - 1.4, hb + 1.4), Person(age_months=36)
    return Screening(
        hb_g_dl=hb,
        interval=interval,
        coverage=0.9,
        risk=classify(hb, interval, person),
        attention_lower_half=0.7,
        warnings=(),
        source="cutout",
        area_fraction=0.2,
        overlay_jpeg=bad_inputs.encode(Image.new("RGB", (40, 30), (200, 30, 30)), "PNG"),
        model_version="test",
        refer=hb < 11.5,
        population="cp-anemic",
        cohort="children",
    )


def fragments(data: bytes) -> list[str]:
    """How a piece of these bytes would look in a log line: repr, hex, base64."""
    piece = data[len(data) // 2 : len(data) // 2 + 24]
    return [repr(piece)[2:-1], piece.hex(), base64.b64encode(piece).decode()[:24]]


async def scripted_session(fake, url: str, tmp_path: Path, pool: StubPool) -> None:
    who = {"first_name": NAME, "username": USERNAME}
    pool.answers = [result(), ImageRejected("corrupt"), RuntimeError(f"{USER} {NAME}")]
    async with running(fake, url, pool, outbox_path=tmp_path / "outbox.sqlite3"):
        for name in ("", *REQUEST_LOGGERS, "aiohttp", "telegram.Bot", "telegram.ext.Updater"):
            logging.getLogger(name).setLevel(logging.DEBUG)  # as low as anyone could set them
        await agree(fake, USER, **who)
        fake.send_text(USER, f"I am {NAME} (@{USERNAME}), my id is {USER}", **who)
        await fake.wait_replies(USER, 5)
        fake.send_photo(USER, SAMPLE.read_bytes(), **who)
        *_, text, overlay = await fake.wait_replies(USER, 7)
        assert " g/dL" in text.params["text"] and overlay.method == "sendPhoto"
        fake.send_document(
            USER, bad_inputs.rgb_jpeg(), file_name=f"{NAME}.jpg", mime_type="image/jpeg", **who
        )
        assert (await fake.wait_replies(USER, 8))[-1].params["text"] == t("en", "reject.corrupt")
        fake.send_photo(USER, bad_inputs.cmyk_jpeg(), **who)  # the pool fails: error handler
        assert (await fake.wait_replies(USER, 9))[-1].params["text"] == t("en", "error")
        last = fake.replies(USER)[-1]
        fake.press_button(USER, last.result["message_id"], f"delete:{USER}", **who)
        fake.send_text(USER, f"/case {USER}", **who)
        fake.send_text(USER, "/history", **who)
        await fake.wait_replies(USER, 13)


@pytest.fixture
def loggers_restored() -> Iterator[None]:
    """Put back the levels the scripted session lowers to DEBUG."""
    names = ("", *REQUEST_LOGGERS, "aiohttp", "telegram.Bot", "telegram.ext.Updater")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_no_id_name_photo_or_token_reaches_the_logs(
    fake_telegram, tmp_path, caplog, loggers_restored
) -> None:
    caplog.set_level(logging.DEBUG)
    pool = StubPool()
    await scripted_session(
        fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", tmp_path, pool
    )
    assert pool.calls == 3
    logs = caplog.text + "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    sent = [u["message"] for u in fake_telegram.updates.values() if "message" in u]
    file_ids = [size["file_id"] for m in sent for size in m.get("photo", [])]
    secrets = [
        str(USER),
        NAME,
        USERNAME,
        fake_telegram.token,
        *file_ids,
        *fragments(SAMPLE.read_bytes()),
        *fragments(result().overlay_jpeg),
    ]
    for secret in secrets:
        assert secret not in logs, secret
    ours = {r.getMessage().split(" ")[0] for r in caplog.records if r.name == "bot"}
    assert {"consent", "update"} <= ours  # the capture worked: our own lines are there
    quiet = [r for r in caplog.records if r.name.startswith(REQUEST_LOGGERS)]
    assert all(r.levelno >= logging.WARNING for r in quiet), [r.getMessage() for r in quiet]


def test_the_log_filter_drops_request_dumps_and_redacts_the_token(caplog) -> None:
    token = "7654321:AAH-secret-token-for-the-log-filter-test"
    protect_logs(token)
    bot_logger = logging.getLogger("telegram.Bot")
    assert PRIVATE in bot_logger.filters and PRIVATE in logging.getLogger("httpx").filters
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="telegram.Bot")
    bot_logger.debug(
        "Calling Bot API endpoint `sendMessage` with parameters `%s`",
        {"chat_id": USER, "text": NAME},
    )
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{token}/getUpdates failed")
    except ConnectionError:
        logging.getLogger("telegram.ext.Updater").exception("poll failed for %s", token)
    assert str(USER) not in caplog.text and NAME not in caplog.text
    assert token not in caplog.text and caplog.text.count(REDACTED) == 2
    other = "bot1234567:" + "B" * 35  # any token-shaped string, not only ours
    logging.getLogger("httpx").warning("GET https://api.telegram.org/%s/getMe", other)
    assert other not in caplog.text


# --- the rate limit


async def test_the_photo_over_the_limit_gets_the_rate_limit_message(fake_telegram, tmp_path):
    fake, pool = fake_telegram, StubPool()
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    async with running(fake, url, pool, photo_rate_limit=2, outbox_path=tmp_path / "o.sqlite3"):
        await agree(fake, USER)
        await agree(fake, OTHER)
        fake.send_photo(USER, SAMPLE.read_bytes())
        await fake.wait_replies(USER, 6)
        fake.send_document(USER, SAMPLE.read_bytes(), file_name="e.png", mime_type="image/png")
        await fake.wait_replies(USER, 8)
        downloads = len(fake.downloads)
        fake.send_photo(USER, SAMPLE.read_bytes())
        replies = await fake.wait_replies(USER, 9)
        assert replies[-1].params["text"] == t("en", "rate_limited")
        assert len(fake.downloads) == downloads and pool.calls == 2  # not even fetched
        fake.send_photo(OTHER, SAMPLE.read_bytes())  # someone else is not held up
        *_, text, _ = await fake.wait_replies(OTHER, 6)
        assert " g/dL" in text.params["text"]


# --- size and pixel caps before decoding


class NoModels:
    """A Screener with no models: `screen` must refuse in decode, before it needs them."""

    def screen_decoded(self, *args: Any) -> Screening:
        raise AssertionError("the image passed the caps")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (bad_inputs.bomb_png, "too_many_pixels"),
        (bad_inputs.bomb_jpeg, "too_many_pixels"),
        (lambda: bytes(MAX_BYTES + 1), "too_large_file"),
    ],
)
def test_the_bots_screener_applies_the_caps_before_decoding(monkeypatch, make, code) -> None:
    data = make()

    def no_pixels(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_pixels)
    if code == "too_large_file":  # refused on the byte count, before the header is read
        monkeypatch.setattr(Image, "open", no_pixels)
    with pytest.raises(ImageRejected) as info:
        Screener.screen(cast(Screener, NoModels()), data, Person())
    assert info.value.code == code


def test_the_bot_refuses_files_over_the_decoders_cap_before_downloading() -> None:
    """The handler passes Telegram's file_size; the service refuses above this before getFile
    (tests/bot/chat/test_e2e_bad_input.py sends a 21 MB file); it is never looser than decode's."""
    assert BotSettings().max_photo_bytes <= MAX_BYTES
