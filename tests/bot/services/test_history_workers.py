"""/history, and the health workers' commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.services import casework, history, people, photos, team, workers
from bot.services.startup import worker_commands_text
from bot.services.workers import PendingQuery, parse_pending
from bot.texts.i18n import t
from storage.models import FollowUp, utcnow
from tests.bot.chat.conftest import screening, who
from tests.bot.services.conftest import fetch, make_worker, open_case, screened


async def test_history_lists_results_and_draws_the_trend(deps, pool):
    assert (await history.history(deps, who()))[0].text == t("en", "profile.need_consent")
    await screened(deps, pool, [])
    assert (await history.history(deps, who()))[0].text == t("en", "history.empty")
    await screened(deps, pool, [11.8, 12.2])
    text, chart = await history.history(deps, who())
    assert "11.8 g/dL" in text.text and "12.2 g/dL" in text.text
    assert text.text.index("11.8") < text.text.index("12.2")  # oldest first
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    assert "Open case" not in text.text  # neither was referred: no case
    # both intervals reach below 11.0: above the cut-off, but never "no anaemia"
    assert text.text.count(t("en", "history.uncertain")) == 2
    assert "no anaemia" not in text.text.lower() and "no sign" not in text.text.lower()
    assert t("en", "notice") in text.text
    assert f"{t('en', 'history.latest')} {t('en', 'advice.uncertain')}" in text.text


async def test_the_person_sees_the_code_of_their_open_case(deps, pool):
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    pool.result = screening(9.0)  # moderate: a case opens
    text, _ = await photos.screen_photo(deps, who(), fetch, 10)
    code = text.text.split(t("en", "result.case", code="@").split("@")[0])[1][:9]
    assert code[4] == "-" and t("en", "result.case", code=code) in text.text
    listing, _ = await history.history(deps, who())
    assert t("en", "history.case", code=code) in listing.text
    assert t("en", "advice.moderate") in listing.text and t("en", "notice") in listing.text
    await make_worker(deps, 77)
    [pending] = await workers.pending(deps, who(77))
    assert code in pending.text  # the worker's code is the person's code


async def test_workers_commands_are_refused_to_others(deps):
    calls = (
        workers.pending(deps, who()),
        team.stats(deps, who()),
        workers.case(deps, who(), "ABCD-EFGH"),
        casework.resolve(deps, who(), ["X", "9"]),
    )
    for call in calls:
        assert (await call)[0].text == t("en", "worker.denied")


async def test_a_worker_follows_a_case_up(deps, pool):
    await screened(deps, pool, [9.0], user=1)  # moderate: a case opens
    await make_worker(deps, 77)
    [listing] = await workers.pending(deps, who(77))
    assert listing.text.startswith(t("en", "worker.pending_header", n=1, page=1, pages=1))
    code = listing.text.splitlines()[1].split(":")[0]
    [case] = await workers.case(deps, who(77), code.lower())
    assert code in case.text and "9.0 g/dL" in case.text
    [usage] = await casework.resolve(deps, who(77), [code])
    assert usage.text == t("en", "worker.resolve_usage")
    [bad] = await casework.resolve(deps, who(77), [code, "90"])
    assert bad.text == t("en", "worker.bad_value")
    [done] = await casework.resolve(deps, who(77), [code, "9.4", "iron", "started"])
    assert done.text == t("en", "worker.resolved", code=code, lab="9.4", hb="9.0")
    [again] = await casework.resolve(deps, who(77), [code, "9.4"])
    assert again.text == t("en", "worker.bad_transition", code=code)
    assert (await workers.pending(deps, who(77)))[0].text == t("en", "worker.pending_empty")
    figures, picture = await team.stats(deps, who(77))
    assert "1" in figures.text and "0.40" in figures.text  # the MAE against the lab Hb
    # per population and model version: n 1, error -0.40, limits of agreement collapse to it
    assert "cp-anemic, test: n 1, mean error 0.40, bias -0.40" in figures.text
    assert t("en", "worker.lab_note") in figures.text
    assert picture.photo is not None and picture.photo.startswith(b"\x89PNG")
    assert picture.text == t("en", "worker.bland_altman")
    [missing] = await workers.case(deps, who(77), "ZZZZ-ZZZZ")
    assert missing.text == t("en", "worker.not_found")


async def test_invite_and_join(deps):
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 6)
    assert (await team.invite(deps, who(6)))[0].text == t("en", "worker.invite_denied")
    [made] = await team.invite(deps, who(5))
    code = made.text.rsplit(" ", 1)[-1]
    [wrong] = await team.join(deps, who(9), "NOPE")
    assert wrong.text == t("en", "worker.join_invalid")
    [joined] = await team.join(deps, who(9), code)
    welcome = t("en", "worker.joined", team="clinic", commands=worker_commands_text("en"))
    assert joined.worker_commands and welcome == joined.text
    assert (await workers.pending(deps, who(9)))[0].text == t("en", "worker.pending_empty")
    assert (await team.join(deps, who(10), code))[0].text == t("en", "worker.join_invalid")


async def test_an_admin_lists_and_revokes_workers(deps):
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 6)
    assert (await team.members(deps, who(6)))[0].text == t("en", "worker.invite_denied")
    [listing] = await team.members(deps, who(5))
    lines = listing.text.splitlines()
    assert lines[0] == t("en", "worker.members_header") and len(lines) == 3
    assert lines[1].endswith(t("en", "worker.member_you")) and "health worker" in lines[2]
    nurse = lines[2].split()[0].lstrip("#")
    assert nurse != "6"  # the database's number for the worker, never their Telegram id
    assert (await team.revoke(deps, who(6), nurse))[0].text == t("en", "worker.invite_denied")
    assert (await team.revoke(deps, who(5), "x"))[0].text == t("en", "worker.revoke_usage")
    [gone] = await team.revoke(deps, who(5), "999")
    assert gone.text == t("en", "worker.revoke_unknown", n=999)
    assert (await team.revoke(deps, who(5), nurse))[0].text == t("en", "worker.revoked", n=nurse)
    assert (await workers.pending(deps, who(6)))[0].text == t("en", "worker.denied")
    assert len((await team.members(deps, who(5)))[0].text.splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "query"),
    [
        ([], PendingQuery()),
        (["moderate,severe", "7", "page", "2"], PendingQuery(("moderate", "severe"), 7, 2)),
        (["PAGE", "3", "Severe"], PendingQuery(("severe",), None, 3)),
        (["mild", "moderate,mild", "0"], PendingQuery(("mild", "moderate"), 0, 1)),
        (["awful"], None),
        (["page"], None),
        (["page", "0"], None),
        (["page", "two"], None),
        (["7", "8"], None),
        (["page", "1", "page", "2"], None),
        (["-3"], None),
        (["99999999"], None),
        ([","], None),
    ],
)
def test_parse_pending(args, query):
    assert parse_pending(args) == query


async def test_pending_pages_and_filters(deps, pool):
    codes = [await open_case(deps, pool, user=100 + i) for i in range(11)]  # moderate
    codes += [await open_case(deps, pool, user=200 + i, hb=6.0) for i in range(2)]  # severe
    await make_worker(deps, 77)
    async with deps.sessions.begin() as session:  # three cases opened 10 days ago
        old = [c.replace("-", "") for c in (codes[3], codes[11], codes[12])]
        when = utcnow() - timedelta(days=10)
        await session.execute(
            update(FollowUp).where(FollowUp.case_code.in_(old)).values(opened_at=when)
        )
    await casework.contacted(deps, who(77), [codes[0]])  # contacted cases are still open
    await casework.resolve(deps, who(77), [codes[1], "9.2"])  # resolved ones are not

    def shown(outs):
        header, *lines = outs[0].text.splitlines()
        return header, [line.split(":")[0] for line in lines]

    header, first = shown(await workers.pending(deps, who(77)))
    assert header == t("en", "worker.pending_header", n=12, page=1, pages=2)
    assert len(first) == 10 and first[:3] == [codes[3], codes[11], codes[12]]  # oldest first
    assert codes[0] in first and codes[1] not in first
    header, second = shown(await workers.pending(deps, who(77), ["page", "2"]))
    assert header == t("en", "worker.pending_header", n=12, page=2, pages=2)
    assert len(second) == 2 and not set(first) & set(second)
    [none] = await workers.pending(deps, who(77), ["page", "3"])
    assert none.text == t("en", "worker.pending_no_page", page=3, pages=2)
    header, severe = shown(await workers.pending(deps, who(77), ["severe"]))
    assert header == t("en", "worker.pending_header", n=2, page=1, pages=1)
    assert severe == [codes[11], codes[12]]
    _, older = shown(await workers.pending(deps, who(77), ["moderate,severe", "7"]))
    assert older == [codes[3], codes[11], codes[12]]
    _, moderate_old = shown(await workers.pending(deps, who(77), ["7", "moderate"]))
    assert moderate_old == [codes[3]]
    [empty] = await workers.pending(deps, who(77), ["mild"])
    assert empty.text == t("en", "worker.pending_empty")
    [usage] = await workers.pending(deps, who(77), ["soon"])
    assert usage.text == t("en", "worker.pending_usage")


async def test_the_workers_messages_in_japanese(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    ja = who(77, lang="ja")
    assert (await casework.take(deps, ja, code))[0].text == t("ja", "worker.taken", code=code)
    [case] = await workers.case(deps, who(77, lang="ja"), code)
    assert "担当: あなた" in case.text and t("ja", "worker.history") in case.text
    [usage] = await workers.pending(deps, who(77, lang="ja"), ["page", "x"])
    assert usage.text == t("ja", "worker.pending_usage")
