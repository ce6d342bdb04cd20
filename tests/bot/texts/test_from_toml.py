"""The translators' TOML into a catalogue: their texts by key; what changed shape since (plural
forms, phrases for counts) kept from the catalogue, or marked for a hand when it is new."""

from __future__ import annotations

from babel.messages.pofile import read_po

from bot.texts.from_toml import LOCALES, RESHAPED, TEMPLATE, flatten, header_comment, merge
from bot.texts.messages import MESSAGES


def template():
    with TEMPLATE.open("rb") as f:
        return read_po(f)


def french():
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="fr")


TOML = {key: f"«{m.text}»" for key, m in MESSAGES.items() if not key.startswith("count.")}


def test_a_new_catalogue_takes_the_texts_and_marks_what_needs_a_hand():
    made = merge(template(), None, TOML, "fr")
    by_key = {m.context: m for m in made if m.id}
    assert by_key["busy"].string == TOML["busy"] and not by_key["busy"].fuzzy
    header = by_key["history.header"]
    assert header.fuzzy and header.string == (TOML["history.header"],) * made.num_plurals
    assert all(by_key[key].fuzzy for key in RESHAPED)
    assert by_key["count.days"].string == ("", "", "") and not by_key["count.days"].fuzzy


def test_a_new_toml_keeps_the_hand_written_forms():
    before = {m.context: m for m in french() if m.id}
    made = merge(template(), french(), TOML, "fr")
    by_key = {m.context: m for m in made if m.id}
    assert by_key["busy"].string == TOML["busy"]  # the translator's text wins
    for key in ("history.header", "count.days", *RESHAPED):
        assert by_key[key].string == before[key].string and not by_key[key].fuzzy


def test_the_tomls_tables_and_its_provenance():
    assert flatten({"a": "x", "b": {"c": "y"}}) == {"a": "x", "b.c": "y"}
    raw = "# French, by a model\n# keys must match en.toml\nnotice = 'x'\n# later"
    assert header_comment(raw) == "# French, by a model"
