"""Every text fits Telegram's limits in every language, composed as the bot sends it with the
longest realistic values: 4096 characters a message, 1024 a caption, 64 bytes of callback data
a button, command names of 1-32 of a-z, 0-9 and _, and descriptions of 1-256 characters."""

from __future__ import annotations

import dataclasses
import re
import string
from datetime import UTC, datetime

import pytest

from bot.pipeline.result import WARNINGS
from bot.pipeline.risk import GROUPS, Person, classify
from bot.services import people, profile, research
from bot.services.history import SHOWN, history_text
from bot.services.photos import resent_text, result_replies
from bot.services.screening_record import screening_record
from bot.services.startup import command_list, worker_commands_text
from bot.services.workers import HISTORY_SHOWN, NOTE_SHOWN, PAGE_SIZE, reads_line
from bot.texts import i18n
from bot.texts.i18n import t
from bot.texts.messages import MESSAGES
from storage.followups import MAX_NOTE_CHARS
from storage.screenings import _screening_row
from tests.bot.chat.conftest import screening

MESSAGE, CAPTION, CALLBACK_BYTES, DESCRIPTION = 4096, 1024, 64, 256
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
LANGS = pytest.mark.parametrize("lang", i18n.LANGUAGES)
CASE = "ABCD2345"


def longest(lang: str, prefix: str) -> str:
    return max((t(lang, k) for k in MESSAGES if k.startswith(prefix)), key=len)


def placeholders(key: str) -> set[str]:
    texts = MESSAGES[key].texts
    return {n for text in texts for _, n, _, _ in string.Formatter().parse(text) if n}


def fill(lang: str, name: str) -> object:
    """The longest value a placeholder takes."""
    values: dict[str, object] = {
        "text": "x" * MAX_NOTE_CHARS,  # a relayed message or a note: storage's limit
        "commands": worker_commands_text(lang),
        "notice": t(lang, "notice"),
        "group": longest(lang, "group."),
        "category": longest(lang, "category."),
        "days": t(lang, "count.days", n=36_500),
        "crop_days": t(lang, "count.days", n=36_500),
        "people": t(lang, "count.people", n=999_999),
        "language": i18n.language_name("ja", lang),
    }
    return values.get(name, 99_999)  # counts and measured values: five digits


@LANGS
def test_every_message_alone_fits_a_message(lang):
    for key in MESSAGES:
        text = t(lang, key, **{name: fill(lang, name) for name in placeholders(key)})
        assert 0 < len(text) <= MESSAGE, (lang, key)


def result(warnings: tuple[str, ...]):
    r = screening(hb=10.4, half=1.4, warnings=warnings)
    unknown = classify(10.4, r.interval, Person())  # "age unknown": the assumed group's note
    return dataclasses.replace(r, risk=unknown)


def stored(warnings: tuple[str, ...]):
    row = _screening_row(1, screening_record(result(warnings)))
    row.created_at = datetime(2026, 12, 31, tzinfo=UTC)
    return row


@LANGS
def test_the_result_the_history_and_their_pictures_fit(lang):
    reply, caption = result_replies(lang, result(WARNINGS), CASE)
    assert len(reply.text) <= MESSAGE and len(caption.text) <= CAPTION
    measured = result_replies(lang, dataclasses.replace(result(()), attention_lower_half=None))
    assert len(measured[1].text) <= CAPTION
    assert len(resent_text(lang, stored(WARNINGS), CASE)) <= MESSAGE
    assert len(history_text(lang, [stored(WARNINGS)] * SHOWN, CASE)) <= MESSAGE
    for key in ("history.chart", "worker.bland_altman"):  # the captions of the charts
        assert len(t(lang, key)) <= CAPTION


@LANGS
def test_the_consent_help_and_workers_longest_replies_fit(lang):
    [terms] = people.consent_prompt(lang, first=True)
    assert len(terms.text) <= MESSAGE
    helped = f"{t(lang, 'help.text', notice=t(lang, 'notice'))}\n\n" + t(
        lang, "help.worker", commands=worker_commands_text(lang)
    )
    assert len(helped) <= MESSAGE
    case = t(lang, "worker.case", **{n: fill(lang, n) for n in placeholders("worker.case")})
    author = max((t(lang, f"worker.{a}") for a in ("person", "office", "another_worker")), key=len)
    note = t(
        lang, "worker.history_note", date=datetime.now(UTC), author=author, text="x" * NOTE_SHOWN
    )
    steps = [t(lang, "worker.history"), t(lang, "worker.history_more", n=99_999)]
    steps += [note] * HISTORY_SHOWN
    assert len("\n".join([case, reads_line(lang, "ja"), *steps])) <= MESSAGE
    pending_line = t(lang, "worker.pending_line", code="ABCD-2345", status="contacted",
                     risk="moderate", hb=99.9, opened=datetime.now(UTC))  # fmt: skip
    pending = [t(lang, "worker.pending_header", n=99_999, page=9_999, pages=9_999)]
    assert len("\n".join(pending + [pending_line] * PAGE_SIZE)) <= MESSAGE


def every_button(lang: str):
    rows = [*people.CONSENT_BUTTONS, *profile.AGE_ROWS, profile.SEX_ROW, *profile.PREGNANT_ROWS]
    yield from (data for row in rows for _, data in row)
    for on in (False, True):
        yield from (b.data for row in research.toggle(lang, on) for b in row)
        yield from (b.data for row in profile.contact_toggle(lang, on) for b in row)
    yield from (b.data for row in people.language_buttons() for b in row)
    yield from ("delete:yes", "delete:no")


@LANGS
def test_callback_data_and_the_command_menus_fit(lang):
    assert all(0 < len(data.encode()) <= CALLBACK_BYTES for data in every_button(lang))
    for name, description in command_list(lang, worker=True):
        assert COMMAND.fullmatch(name) and 1 <= len(description) <= DESCRIPTION, (lang, name)


def test_every_group_has_a_name_in_every_language():
    for lang in i18n.LANGUAGES:
        assert all(t(lang, f"group.{g}") for g in GROUPS)
