"""The bot's settings from the environment, read once. Storage keeps its own (DATABASE_URL,
PSEUDONYM_KEY); everything the bot itself needs is here and documented in docs/SETTINGS.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.relay_key import Relay
from model import WEIGHTS

TELEGRAM_MAX_BYTES = 20 * 1024 * 1024
IdList = Annotated[tuple[int, ...], NoDecode]  # "1,2,3" in the environment, not JSON
KeyList = Annotated[tuple[SecretStr, ...], NoDecode]  # "key1,key2": Fernet keys have no comma


class BotSettings(BaseSettings):
    """TELEGRAM_*, WEBHOOK_*, INFERENCE_*, worker ids, TEAM, ANEMIA_DEV_MODE, ANEMIA_WEIGHTS..."""

    model_config = SettingsConfigDict(extra="ignore")

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str | None = None  # the public https URL Telegram posts to
    webhook_secret: SecretStr | None = None  # Telegram sends it in X-Telegram-Bot-Api-Secret-Token
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    inference_workers: int = Field(default=1, ge=1, le=16)
    # each worker screens in a child process of its own (bot/pipeline/executor.py); off, in a
    # thread of the bot's process, which takes turns with the event loop for the GIL
    inference_processes: bool = True
    # Waiting photos beyond the workers. At 6-12 photos a second on 2 cores (docs/BENCHMARKS.md,
    # bot throughput) 256 waiting is under a minute: a clinic's burst is served, and only a
    # real overload says "try again".
    inference_queue: int = Field(default=256, ge=1, le=10_000)
    health_worker_ids: IdList = ()
    admin_ids: IdList = ()
    team: str = Field(default="default", min_length=1, max_length=80)
    anemia_dev_mode: bool = False  # allows a development pseudonym key; never in production
    anemia_weights: Path = WEIGHTS
    photo_rate_limit: int = Field(default=10, ge=1)  # photos per person per rate window
    photo_rate_window_s: float = Field(default=600.0, gt=0)
    # the photo limit shared by replicas in Redis (e.g. redis://127.0.0.1:6379/0); without it,
    # in the database on PostgreSQL, in memory on SQLite
    redis_url: SecretStr | None = None
    # Telegram's bot download cap is 20 MB: no larger file can reach the bot
    max_photo_bytes: int = Field(default=TELEGRAM_MAX_BYTES, ge=1, le=TELEGRAM_MAX_BYTES)
    # Seconds one photo may take once a worker started it, before the person is told and the
    # inference process replaced: a phone photo takes 0.1-0.3 s on 2 cores, the costliest
    # pictures the decoder accepts about 2 s (docs/BENCHMARKS.md, memory per photo)
    photo_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # screenings held while the database is unreachable; keep it off the database's disk
    outbox_path: Path = Path("anemia-outbox.sqlite3")
    outbox_retry_s: float = Field(default=1.0, gt=0)  # first retry; doubles up to a minute
    housekeeping_interval_s: float = Field(default=3600.0, gt=0)  # pruning old update ids
    # Fernet key sealing the chat ids of people who agreed to be contacted
    # (bot.services.relay_key); without it workers cannot message anyone and no reminder goes out
    relay_key: SecretStr | None = None
    # retired relay keys, comma-separated: they still open the chat ids sealed under them (read
    # only; each is re-sealed under RELAY_KEY when the bot starts or the chat id is used)
    relay_old_keys: KeyList = ()
    reminder_after_days: float = Field(default=7.0, gt=0)  # a pending case's reminder
    reminder_interval_s: float = Field(default=3600.0, gt=0)  # how often due reminders are sent
    # the programme's elevation in metres: from 1000 m, WHO's elevation adjustment raises every
    # anaemia cut-off and band for everyone (bot.pipeline.risk.ELEVATION_G_L); 0 is sea level
    altitude_m: float = Field(default=0.0, ge=-500.0, le=6000.0)
    # the dashboard's public address (e.g. https://example.org), where /web's sign-in links
    # point; without it /web says the dashboard is not set up
    web_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+[^\s?#]*$")

    @field_validator("relay_key", "redis_url", "web_base_url", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        """An empty variable (compose's `${RELAY_KEY:-}`) means not set."""
        return None if value == "" else value

    @field_validator("relay_key")
    @classmethod
    def _relay_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Relay(value.get_secret_value())
            except ValueError:
                raise ValueError(
                    "not a Fernet key (python -m bot.services.relay_key makes one)"
                ) from None
        return value

    @field_validator("relay_old_keys", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v for v in value.replace(" ", "").split(",") if v)
        return value

    @field_validator("relay_old_keys")
    @classmethod
    def _relay_old_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for n, key in enumerate(value, 1):
            try:
                Relay(key.get_secret_value())
            except ValueError:
                raise ValueError(f"RELAY_OLD_KEYS: key {n} is not a Fernet key") from None
        return value

    @field_validator("health_worker_ids", "admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(v) for v in value.replace(" ", "").split(",") if v)
        return value


@lru_cache(maxsize=1)
def get_bot_settings() -> BotSettings:
    """The bot settings, read from the environment on first use."""
    return BotSettings()
