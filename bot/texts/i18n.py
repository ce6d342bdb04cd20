"""Words in the person's language: `t(lang, key, **params)` finds the message `key` in the
gettext catalogue of `lang` (bot/texts/locales/<lang>/LC_MESSAGES/messages.mo), chooses the
plural form for a count, and fills the placeholders with numbers and dates as that language
writes them. English, the source language, is the messages' own text (bot/texts/messages/).

A language is offered once its compiled catalogue is in bot/texts/locales/ (docs/TEXTS.md, "Adding a
language"); a message a catalogue lacks is said in English.
"""

from __future__ import annotations

import gettext
from datetime import date
from functools import cache
from importlib import resources

from babel import Locale

from bot.texts import numbers
from bot.texts.messages import MESSAGES
from bot.texts.registry import Message

DEFAULT = "en"
LOCALES = resources.files("bot.texts") / "locales"
_COMPILED = "LC_MESSAGES/messages.mo"
_OTHER = 2  # the count that picks a plural message's "other" form when none is given


def _compiled() -> tuple[str, ...]:
    """The languages with a compiled catalogue, alphabetically, after English."""
    found = (d.name for d in LOCALES.iterdir() if d.is_dir() and d.joinpath(_COMPILED).is_file())
    return (DEFAULT, *sorted(code for code in found if code != DEFAULT))


LANGUAGES = _compiled()


def language_of(code: str | None) -> str:
    """Our language for a Telegram or stored language tag ("pt-BR" -> "pt", "fr-CA" -> "fr");
    English for a language we do not have."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    with LOCALES.joinpath(lang, _COMPILED).open("rb") as f:
        return gettext.GNUTranslations(f)


def has(key: str) -> bool:
    """Whether there is a message `key` (for codes that may lack one)."""
    return key in MESSAGES


def _template(lang: str, message: Message, params: dict[str, object]) -> str:
    translations = _translations(lang)
    if message.plural is None:
        return translations.pgettext(message.key, message.text)
    count = params.get(message.count)
    n = count if isinstance(count, int) else _OTHER
    return translations.npgettext(message.key, message.text, message.plural, n)


def localised(lang: str, value: object) -> str:
    """A placeholder's value as `lang` writes it: counts with the locale's grouping, measured
    values (floats: g/dL and the like) with one decimal, dates in the medium form."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return numbers.integer(lang, value)
    if isinstance(value, float):
        return numbers.decimal(lang, value)
    if isinstance(value, date):
        return numbers.day(lang, value)
    return str(value)


def t(lang: str | None, key: str, **params: object) -> str:
    """The message `key` in `lang` (English where it has none), its plural form chosen by its
    count, with its {placeholders} filled and localised (`localised`)."""
    code = language_of(lang)
    template = _template(code, MESSAGES[key], params)
    if not params:
        return template
    return template.format(**{name: localised(code, v) for name, v in params.items()})


def catalog(lang: str) -> dict[str, str]:
    """Every message of `lang` unfilled, keyed "section.key" (a plural message's other form)."""
    code = language_of(lang)
    return {key: _template(code, m, {}) for key, m in MESSAGES.items()}


def language_name(code: str, lang: str) -> str:
    """The language `code` named in `lang`, and in itself where that differs:
    "Hindi (हिन्दी)" for an English reader."""
    here, own = Locale.parse(code).get_display_name(lang) or code, endonym(code)
    return here if here.lower() == own.lower() else f"{here} ({own})"


def endonym(code: str) -> str:
    """The language's name in itself, as a button shows it: "Français", "हिन्दी"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]
