"""Message catalogs: every text a person reads, per language, from
bot/pipeline/locales/<lang>.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "ja")
DEFAULT = "en"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@cache
def catalog(lang: str) -> dict[str, str]:
    """The messages of one language, keyed "section.key"."""
    text = resources.files("bot.pipeline.locales").joinpath(f"{lang}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


def language_of(code: str | None) -> str:
    """Our language for a Telegram or stored language code ("ja-JP" -> "ja"); else English."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT


def has(key: str) -> bool:
    """Whether the catalogs have this key (used for codes that may lack a message)."""
    return key in catalog(DEFAULT)


def t(lang: str | None, key: str, **params: object) -> str:
    """The message `key` in `lang` with its {placeholders} filled; English if `lang` lacks it."""
    messages = catalog(language_of(lang))
    template = messages.get(key) or catalog(DEFAULT)[key]
    return template.format(**params) if params else template
