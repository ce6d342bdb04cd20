"""Maintainer tool: a translator's TOML file into the language's gettext catalogue. The TOML has
the tables of the former bot/pipeline/locales/en.toml: one "section.key" a message, nested as
[section] tables, with the English's {placeholders}.

    python -m bot.texts.from_toml fr path/to/fr.toml
    pybabel compile -d bot/texts/locales

Each message of the template (bot/texts/locales/messages.pot) takes the TOML's text for its key
(msgctxt); the file's opening comment becomes the catalogue's header comment (who or what
translated it, and whether a native speaker reviewed it). Messages whose English changed shape
after the TOML format (RESHAPED: counts as plural forms or as phrases) keep what the catalogue
already has; in a new catalogue they start from the TOML's text, marked fuzzy (so English is
shown) until someone writes their forms. Messages the TOML does not have keep the catalogue's.
The tool prints what is left to write by hand and what it kept.
"""

from __future__ import annotations

import argparse
import string
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).parent / "locales"
TEMPLATE = LOCALES / "messages.pot"
# their {days}, {crop_days} and {people} became whole phrases ("30 days", count.*): the TOML's
# text has the noun twice until it is edited
RESHAPED = frozenset({"consent.text", "worker.stats"})
MACHINE = "machine translation by an AI language model"  # unless --translator says otherwise


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """TOML tables -> {"section.key": text}."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def header_comment(toml_text: str) -> str:
    """The TOML's opening comment lines (the translation's provenance), without those about
    the TOML format itself."""
    lines = []
    for line in toml_text.splitlines():
        if not line.startswith("#"):
            break
        if ".toml" not in line:
            lines.append(line)
    return "\n".join(lines)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def strings(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms: one, or one per plural form."""
    if isinstance(value, tuple | list):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


def _translated(message: Message | None) -> bool:
    return message is not None and not message.fuzzy and all(strings(message.string))


def merge(template: Catalog, old: Catalog | None, texts: dict[str, str], lang: str) -> Catalog:
    """A catalogue of `lang` with the template's messages and the TOML's texts."""
    new = Catalog(locale=lang, project=template.project, version=template.version, fuzzy=False)
    for m in template:
        if not m.id:
            continue
        before = old.get(m.id, context=m.context) if old is not None else None
        string, fuzzy = _choose(new, m, before, texts.get(str(m.context)))
        flags = (m.flags - {"fuzzy"}) | ({"fuzzy"} if fuzzy else set())
        new.add(
            m.id,
            string,
            locations=m.locations,
            flags=flags,
            auto_comments=m.auto_comments,
            context=m.context,
        )
    return new


def _choose(
    new: Catalog, m: Message, before: Message | None, text: str | None
) -> tuple[str | tuple[str, ...], bool]:
    """(msgstr, fuzzy): the TOML's text, or the catalogue's for reshaped or new messages."""
    reshaped = m.pluralizable or m.context in RESHAPED
    if before is not None and (text is None or reshaped) and _translated(before):
        kept = strings(before.string)
        return (kept if m.pluralizable else kept[0]), False
    if text is None:
        return ("",) * new.num_plurals if m.pluralizable else "", False
    if m.pluralizable:  # the TOML's one text in every form, to be written by hand
        return (text,) * new.num_plurals, True
    return text, m.context in RESHAPED


def problems(template: Catalog, texts: dict[str, str]) -> Iterator[str]:
    """Keys the template lacks, and placeholders that differ from the English."""
    english = {str(m.context): m.id for m in template if m.id}
    for key, text in texts.items():
        if key not in english:
            yield f"not a message any more (ignored): {key}"
            continue
        wanted = set().union(*map(placeholders, strings(english[key])))
        if placeholders(text) != wanted:
            yield f"placeholders differ from the English: {key}"


def still_to_do(catalog: Catalog) -> list[str]:
    return [str(m.context) for m in catalog if m.id and not _translated(m)]


def kept_by_hand(template: Catalog, old: Catalog | None, texts: dict[str, str]) -> list[str]:
    """Reshaped messages whose hand-written forms were kept although the TOML has a text for
    them (compare the two by hand when the translator changed it)."""
    if old is None:
        return []
    found = {str(m.context): m for m in old if m.id}
    reshaped = [str(m.context) for m in template if m.pluralizable or m.context in RESHAPED]
    return [k for k in reshaped if k in texts and _translated(found.get(k))]


def convert(
    lang: str, toml_path: Path, translator: str = MACHINE, reviewed: bool = False
) -> Catalog:
    """Write bot/texts/locales/<lang>/LC_MESSAGES/messages.po from the TOML; returns it."""
    raw = toml_path.read_text("utf-8")
    texts = flatten(tomllib.loads(raw))
    with TEMPLATE.open("rb") as f:
        template = read_po(f)
    po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    old = None
    if po.is_file():
        with po.open("rb") as f:
            old = read_po(f, locale=lang)
    catalog = merge(template, old, texts, lang)
    catalog.header_comment = old.header_comment if old is not None else header_comment(raw)
    catalog.revision_date = datetime.now(UTC)
    catalog.last_translator = translator
    catalog.language_team = f"{lang} ({'' if reviewed else 'not '}reviewed by a native speaker)"
    for line in problems(template, texts):
        print(f"{lang}: {line}", file=sys.stderr)
    for key in kept_by_hand(template, old, texts):
        print(f"{lang}: kept the catalogue's forms of {key} (check the TOML's)", file=sys.stderr)
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as f:
        write_po(f, catalog, include_lineno=False)
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lang", help="the language code, e.g. fr")
    parser.add_argument("toml", type=Path, help="the translator's TOML file")
    parser.add_argument("--translator", default=MACHINE, help=f"who translated ({MACHINE})")
    parser.add_argument("--reviewed", action="store_true", help="a native speaker reviewed it")
    a = parser.parse_args(argv)
    catalog = convert(a.lang, a.toml, a.translator, a.reviewed)
    todo = still_to_do(catalog)
    if todo:
        print(f"{a.lang}: to translate or check by hand: {', '.join(todo)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
