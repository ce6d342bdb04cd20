"""The web layer's settings from the environment, read once: where `anemia-web` listens, how
long a dashboard session lasts, and where `anemia-bot --local` keeps its trial's files. The
public address (WEB_BASE_URL) is the services' (`bot.services.settings`): /web needs it too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """WEB_HOST, WEB_PORT, WEB_SESSION_HOURS, ANEMIA_LOCAL_DIR."""

    model_config = SettingsConfigDict(extra="ignore")

    web_host: str = "127.0.0.1"  # behind a proxy on one machine; 0.0.0.0 in a container
    web_port: int = Field(default=8080, ge=1, le=65535)
    # a working day: a worker signs in in the morning; a stolen cookie is good for no longer
    web_session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    # `anemia-bot --local`: the trial's database and keys (made on first start)
    anemia_local_dir: Path = Path("anemia-local")


@lru_cache(maxsize=1)
def get_web_settings() -> WebSettings:
    """The web settings, read from the environment on first use."""
    return WebSettings()
