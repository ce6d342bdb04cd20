"""The gettext catalogues: the template is what extraction from the code gives now, each
compiled catalogue is its .po compiled, and every language has every message, translated, with
the English's placeholders and its own language's plural forms, and says who translated it."""

from __future__ import annotations

import io
import re
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.texts import i18n
from bot.texts.from_toml import strings
from bot.texts.messages import MESSAGES

TEXTS = Path(i18n.__file__).parent
LOCALES = TEXTS / "locales"
# the keyword spec of `pybabel extract` (docs/TEXTS.md): (msgctxt, msgid[, msgid_plural])
KEYWORDS = {"_msg": ((1, "c"), 2), "_plural": ((1, "c"), 2, 3)}
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]


@cache
def catalogue(lang: str) -> Catalog:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def forms(m: Message) -> tuple[str, ...]:
    return strings(m.string)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_template_is_what_the_code_declares_now():
    extracted = [
        (context, msgid, tuple(comments))
        for _, _, msgid, comments, context in extract_from_dir(
            TEXTS / "messages",
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
    ]
    with (LOCALES / "messages.pot").open("rb") as f:
        template = read_po(f)
    kept = [(m.context, m.id, tuple(m.auto_comments)) for m in entries(template)]
    assert sorted(kept) == sorted(extracted), "run the extract and update commands (docs/TEXTS.md)"
    english = {
        (m.key, m.text if m.plural is None else (m.text, m.plural)) for m in MESSAGES.values()
    }
    assert {(c, i) for c, i, _ in kept} == english


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_compiled_catalogue_is_the_po_compiled(lang):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(lang))
    shipped = (LOCALES / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled.getvalue() == shipped, "pybabel compile (docs/TEXTS.md)"


def test_every_catalogue_in_the_tree_is_offered():
    found = {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po")}
    assert found == set(i18n.LANGUAGES)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_catalogue_has_every_message_and_its_languages_plural_forms(lang):
    catalog = catalogue(lang)
    assert {m.context: m.id for m in entries(catalog)} == {
        k: m.text if m.plural is None else (m.text, m.plural) for k, m in MESSAGES.items()
    }
    rule = get_plural(lang)  # Babel's (CLDR's) plural rule for the language
    assert catalog.plural_forms == rule.plural_forms
    for m in entries(catalog):
        assert len(forms(m)) == (rule.num_plurals if m.pluralizable else 1), m.context


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_englishs_placeholders(lang):
    for m in entries(catalogue(lang)):
        assert not m.fuzzy and all(forms(m)), f"{lang}: {m.context} is not translated"
        english = set().union(*map(placeholders, strings(m.id)))
        for form in forms(m):
            assert placeholders(form) == english, f"{lang}: {m.context}"


COMMANDS = re.compile(r"(?<![\w/])/[a-z_]+")  # /start, /case; not g/dL or Niño/a


def kept(text: str) -> tuple[list[str], int, int]:
    """What a translation keeps as it is: the commands, the unit, the line structure."""
    return sorted(set(COMMANDS.findall(text))), text.count("g/dL"), text.count("\n")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_translation_keeps_the_commands_units_and_lines(lang):
    for m in entries(catalogue(lang)):
        english = strings(m.id)[-1]  # a plural message: its plural
        for form in forms(m):
            assert kept(form) == kept(english), f"{lang}: {m.context}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_catalogue_says_who_translated_it_and_whether_it_was_reviewed(lang):
    header = catalogue(lang).header_comment.lower()
    assert "translat" in header and "review" in header


# Words an English message and its translation may share: names, units, codes and the argument
# words of command usage lines, in every language; and in each language the words it writes as
# English does (loanwords, cognates) or keeps as a gloss in parentheses ("(sensitivity)")
SHARED = {
    "telegram", "grad-cam", "bland-altman", "cp-anemic", "eyes-defy-anemia", "eyes-defy",
    "jpeg", "png", "hb", "g/dl", "who", "code", "text", "reason", "lab_hb", "yyyy-mm-dd",
    "ghana", "india", "anemia-screen", "web-link", "web_base_url",
}  # fmt: skip
SAME_WORD = {
    "fr": {
        "photo", "photos", "minute", "minutes", "flash", "chat", "note", "notes", "contact",
        "service", "message", "programme", "moment", "type", "direct", "source", "date", "page",
        "pages", "pixels", "codes", "population",
    },
    "it": {
        "flash", "chat", "team", "screening", "file", "follow-up", "account", "bias", "link",
        "computer",
    },
    "es": {"chat", "normal", "flash", "error"},
    "pt": {"chat", "normal", "flash", "pixels", "link", "links"},
    "hi": {"sensitivity", "specificity"},
    "sw": {"flash", "chat", "data", "beauty", "sensitivity", "specificity"},
}  # fmt: skip
# the words a command takes as they are (/pending parses these, in any language)
ARGUMENTS = {"worker.pending_usage": {"none", "mild", "moderate", "severe", "page"}}
WORD = re.compile(r"[^\W\d_](?:[\w/'-]*[^\W\d_])?")
# placeholders, commands, and case codes (K7QX-M2PA) in examples
NOT_WORDS = re.compile(r"\{[^}]*\}|/[a-z_]+\b|\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")


def english_left(lang: str, key: str, english: str, translated: str) -> set[str]:
    """English words of four letters or more that the translation still has, outside the
    placeholders, commands, case codes and the shared words."""

    def words(text: str) -> set[str]:
        return {w.lower() for w in WORD.findall(NOT_WORDS.sub(" ", text)) if len(w) >= 4}

    allowed = SHARED | SAME_WORD.get(lang, set()) | ARGUMENTS.get(key, set())
    return (words(english) & words(translated)) - allowed


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_english_is_left_in_a_translated_message(lang):
    left = {}
    for m in entries(catalogue(lang)):
        english = " ".join(strings(m.id))
        found = english_left(lang, str(m.context), english, " ".join(forms(m)))
        if found:
            left[m.context] = sorted(found)
    assert left == {}
