"""Storage settings from the environment: the database URL, the pseudonym keys and how long
records are kept (read once)."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./anemia.db"
MIN_KEY_CHARS = 32  # e.g. secrets.token_urlsafe(32) gives 43
KEY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
SUPPORTED = ("sqlite+aiosqlite://", "postgresql+asyncpg://")

# people write the plain forms; we always talk to the databases through the async drivers
_DRIVERS = (
    (re.compile(r"^sqlite:"), "sqlite+aiosqlite:"),
    (re.compile(r"^(postgres|postgresql):"), "postgresql+asyncpg:"),
)


def async_url(url: str) -> str:
    """The URL with the async driver named: sqlite -> aiosqlite, postgresql -> asyncpg."""
    for plain, driver in _DRIVERS:
        if plain.match(url):
            return plain.sub(driver, url, count=1)
    return url


class StorageSettings(BaseSettings):
    """DATABASE_URL, PSEUDONYM_KEY, PSEUDONYM_KEY_ID, PSEUDONYM_OLD_KEYS (JSON: id -> key),
    RETENTION_DAYS and RESEARCH_RETENTION_DAYS (read by the bot and the CLI alike)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    pseudonym_key: SecretStr | None = None
    pseudonym_key_id: str = Field(default="k1", pattern=KEY_ID_PATTERN)
    # keys retired by a rotation, still used to find (and re-key) people seen before it
    pseudonym_old_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # Days records are kept (storage.retention; docs/STORAGE.md): a closed case and its notes
    # a year after it closed, a screening a year after it was made, a person a year after
    # their last screening or consent. A year lets workers look back over a whole season of
    # cases and `stats`/`export` see a year of lab-confirmed screenings; beyond that the rows
    # serve no one's care.
    retention_days: int = Field(default=365, ge=1)
    # Days a research crop is kept, at most (it goes with its screening if that goes first). A
    # picture of the body is the most personal thing kept, and it is of use only to `export
    # --lab-confirmed`, which can take it once its case has a lab Hb, weeks after screening:
    # half a year leaves a programme that exports twice a year every crop.
    research_retention_days: int = Field(default=180, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        url = async_url(url.strip())
        if not url.startswith(SUPPORTED):
            raise ValueError("DATABASE_URL must be sqlite:///FILE or postgresql://USER@HOST/DB")
        return url

    @field_validator("pseudonym_key")
    @classmethod
    def _long_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < MIN_KEY_CHARS:
            raise ValueError(f"PSEUDONYM_KEY must be at least {MIN_KEY_CHARS} characters")
        return key

    @field_validator("pseudonym_old_keys")
    @classmethod
    def _old_keys(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, key in keys.items():
            if not re.match(KEY_ID_PATTERN, key_id):
                raise ValueError(f"bad key id in PSEUDONYM_OLD_KEYS: {key_id!r}")
            if len(key.get_secret_value()) < MIN_KEY_CHARS:
                raise ValueError(f"old key {key_id!r} is shorter than {MIN_KEY_CHARS} characters")
        return keys


@lru_cache(maxsize=1)
def get_settings() -> StorageSettings:
    """The storage settings, read from the environment on first use."""
    return StorageSettings()
