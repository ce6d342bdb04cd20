"""Keep people and the token out of the logs, whatever level anyone sets.

python-telegram-bot logs every Bot API call with its parameters at DEBUG ("Calling Bot API
endpoint `sendMessage` with parameters {'chat_id': ...}") and every update it receives, names
and texts included; httpx logs each request URL, token included, at INFO; SQLAlchemy and
aiosqlite log statement parameters. Those loggers are set to WARNING, and a filter on each of
them drops whatever is below WARNING even if someone lowers a level later, and replaces the
token in what is left. A filter on a logger sees only that logger's own records, so it goes on
every logger under those names; `protect_logs` runs again at start-up for the ones made late.
Our own lines ("bot", "storage") name people only by a pseudonym prefix.
"""

from __future__ import annotations

import logging
import re

REQUEST_LOGGERS = (
    "telegram",
    "httpx",
    "httpcore",
    "httpx_aiohttp",
    "aiohttp",
    "hpack",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "asyncio",
    "tornado",
)
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")  # also inside ".../bot<token>/..."
REDACTED = "<token>"


class PrivateLogs(logging.Filter):
    """Passes WARNING and above only, with the bot token (and anything shaped like one) replaced."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


PRIVATE = PrivateLogs()


def _request_loggers() -> list[logging.Logger]:
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if any(name == root or name.startswith(f"{root}.") for root in REQUEST_LOGGERS)
    ]
    return [logging.getLogger(name) for name in {*REQUEST_LOGGERS, *names}]


def protect_logs(token: str = "") -> None:
    """Quiet the request loggers and put the filter on each; remember `token` to redact it."""
    if token:
        PRIVATE.secrets.add(token)
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for logger in _request_loggers():
        if PRIVATE not in logger.filters:
            logger.addFilter(PRIVATE)
