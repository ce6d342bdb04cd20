"""The workers' commands: /join refuses to move or demote a worker and says what to do; /help
and the join message list every worker command; a malformed number in any command gets its
usage line, never an exception."""

from __future__ import annotations

import pytest

from bot.chat.handlers_workers import WORKER_HANDLERS
from bot.services import casework, people, profile, team, workers
from bot.services.startup import WORKER_COMMANDS
from bot.texts import i18n
from bot.texts.i18n import t
from storage.workers import get_or_create_team
from tests.bot.chat.conftest import who
from tests.bot.services.conftest import make_worker

# '²'.isdigit() is True but int('²') raises; int() and float() read Arabic-Indic digits, float()
# reads an exponent (infinity), 'nan' and a sign
MALFORMED = ["²", "١٢", "1e309", "nan", "-0", "9" * 400, "1_000", "0x1f"]


async def _admin_code(deps, admin: int) -> str:
    [made] = await team.invite(deps, who(admin))
    return made.text.rsplit(" ", 1)[-1]


def test_every_worker_command_has_a_menu_text_in_every_language() -> None:
    assert set(WORKER_HANDLERS) == {*WORKER_COMMANDS, "join"}
    assert len(WORKER_HANDLERS) == 14
    for lang in i18n.LANGUAGES:
        assert all(
            i18n.has(f"commands.{name}") and t(lang, f"commands.{name}") for name in WORKER_COMMANDS
        )


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_help_and_the_join_message_list_every_worker_command(deps, lang) -> None:
    await make_worker(deps, 5, role="admin")
    code = await _admin_code(deps, 5)
    [joined] = await team.join(deps, who(9, lang), code)
    [helped] = await people.help_text(deps, who(9, lang))
    for text in (joined.text, helped.text):
        for name in WORKER_COMMANDS:
            assert f"/{name} - {t(lang, f'commands.{name}')}" in text
    assert "/join" in helped.text
    assert joined.text.startswith(t(lang, "worker.joined", team="clinic", commands="")[:8])


async def test_join_refuses_to_move_a_worker_of_another_team(deps) -> None:
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 6)  # in "clinic"
    async with deps.sessions.begin() as session:  # an admin of another team
        other = await get_or_create_team(session, name="hill")
    hill = deps.__class__(**{**deps.__dict__, "team_id": other.id})
    await make_worker(hill, 7, role="admin")
    code = await _admin_code(deps, 7)
    [refused] = await team.join(deps, who(6), code)
    role = t("en", "worker.role_health_worker")
    assert refused.text == t("en", "worker.join_other_team", team="clinic", role=role)
    assert not refused.worker_commands
    [listing] = await team.members(deps, who(5))
    assert len(listing.text.splitlines()) == 3  # still in the clinic
    nurse = listing.text.splitlines()[2].split()[0].lstrip("#")
    await team.revoke(deps, who(5), nurse)  # the clinic's admin lets them go
    [joined] = await team.join(deps, who(6), code)  # the same code, unused before
    assert joined.text.startswith("Welcome to team hill.")


async def test_join_refuses_to_demote_an_admin(deps) -> None:
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 8, role="admin")
    code = await _admin_code(deps, 8)  # for a health worker
    [refused] = await team.join(deps, who(5), code)
    assert refused.text == t("en", "worker.join_demote", team="clinic", role="")
    assert (await team.invite(deps, who(5)))[0].text != t("en", "worker.invite_denied")
    [same] = await team.join(deps, who(8), code)
    admin = t("en", "worker.role_admin")
    assert same.text == t("en", "worker.join_demote", team="clinic", role=admin)


@pytest.mark.parametrize("word", [*MALFORMED, "#0x"])
async def test_revoke_with_a_malformed_number_gets_the_usage(deps, word) -> None:
    await make_worker(deps, 5, role="admin")
    [out] = await team.revoke(deps, who(5), word)
    assert out.text == t("en", "worker.revoke_usage")


async def test_revoke_reads_the_number_as_workers_shows_it(deps) -> None:
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 6)
    nurse = (await team.members(deps, who(5)))[0].text.splitlines()[2].split()[0]  # "#N"
    assert (await team.revoke(deps, who(5), nurse))[0].text.startswith("Health worker " + nurse)


@pytest.mark.parametrize("word", MALFORMED)
async def test_pending_with_a_malformed_days_or_page_gets_the_usage(deps, word) -> None:
    await make_worker(deps, 6)
    for args in ([word], ["page", word], ["severe", word, "page", "1"]):
        [out] = await workers.pending(deps, who(6), args)
        assert out.text == t("en", "worker.pending_usage")


@pytest.mark.parametrize("word", MALFORMED)
async def test_resolve_with_a_malformed_lab_hb_gets_the_usage(deps, word) -> None:
    await make_worker(deps, 6)
    [out] = await casework.resolve(deps, who(6), ["K7QX-M2PA", word, "note"])
    assert out.text == t("en", "worker.resolve_usage")


DATES = [
    "2026-0²-01",
    "٢٠٢٦-٠١-٠١",
    "2026-02-30",
    "2026-13-01",
    "1e309-01-01",
    "2026-1-1",
    "9" * 400 + "-01-01",
    "2026-nan-01",
]


@pytest.mark.parametrize("date", DATES)
async def test_resolve_with_a_date_that_is_not_one_gets_the_usage(deps, date) -> None:
    await make_worker(deps, 6)
    [out] = await casework.resolve(deps, who(6), ["K7QX-M2PA", "9.8", date, "iron"])
    assert out.text == t("en", "worker.resolve_usage")


def test_resolve_keeps_a_note_that_merely_has_hyphens() -> None:
    parsed = casework.parse_resolve(["K7QX-M2PA", "9.8", "3-day", "follow-up"])
    assert parsed is not None and (parsed.lab_date, parsed.note) == (None, "3-day follow-up")


def test_resolve_reads_full_width_digits_and_a_comma() -> None:
    parsed = casework.parse_resolve(["K7QX-M2PA", "９，８", "２０２６-０１-０２", "ok"])
    assert parsed is not None and (parsed.lab, str(parsed.lab_date)) == (9.8, "2026-01-02")


@pytest.mark.parametrize("word", MALFORMED)
async def test_months_malformed_get_the_profile_question_again(deps, word) -> None:
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")  # asks for the age
    [out] = await profile.text(deps, who(), word)
    assert out.text == t("en", "profile.bad_months")


def test_months_in_full_width_digits_are_read() -> None:
    assert profile.parse_months("３０") == 30.0 and profile.parse_months(" 7,5 ") == 7.5


async def test_web_gives_a_worker_a_one_time_link(deps) -> None:
    await make_worker(deps, 61)
    [off] = await team.web_link(deps, who(61))
    assert off.text == t("en", "worker.web_unavailable")
    deps.settings = deps.settings.model_copy(update={"web_base_url": "https://dash.example/"})
    [link] = await team.web_link(deps, who(61))
    url = link.text.splitlines()[-1]
    assert url.startswith("https://dash.example/dashboard/signin?token=")
    assert len(url.rsplit("=", 1)[-1]) >= 40  # 256 random bits
    [denied] = await team.web_link(deps, who(62))
    assert denied.text == t("en", "worker.denied")
