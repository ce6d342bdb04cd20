"""/history, and the health workers' commands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bot.chat.services import history, people, photos, team, workers
from bot.chat.services.workers import PendingQuery, parse_pending
from bot.pipeline.i18n import t
from storage.followups import MAX_NOTE_CHARS
from storage.models import FollowUp, utcnow
from storage.workers import ensure_worker, get_or_create_team
from tests.bot.chat.services.conftest import make_worker, screening, who


async def fetch() -> bytes:
    return b"photo"


async def screened(deps, pool, hbs, user=4242):
    await people.start(deps, who(user))
    await people.answer_consent(deps, who(user), "yes")
    for hb in hbs:
        pool.result = screening(hb)
        await photos.screen_photo(deps, who(user), fetch, 10)


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


async def test_the_person_sees_the_code_of_their_open_case(deps, pool):
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    pool.result = screening(9.0)  # moderate: a case opens
    text, _ = await photos.screen_photo(deps, who(), fetch, 10)
    code = text.text.split(t("en", "result.case", code="@").split("@")[0])[1][:9]
    assert code[4] == "-" and t("en", "result.case", code=code) in text.text
    listing, _ = await history.history(deps, who())
    assert t("en", "history.case", code=code) in listing.text
    await make_worker(deps, 77)
    [pending] = await workers.pending(deps, who(77))
    assert code in pending.text  # the worker's code is the person's code


async def test_workers_commands_are_refused_to_others(deps):
    calls = (
        workers.pending(deps, who()),
        team.stats(deps, who()),
        workers.case(deps, who(), "ABCD-EFGH"),
        workers.resolve(deps, who(), ["X", "9"]),
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
    [usage] = await workers.resolve(deps, who(77), [code])
    assert usage.text == t("en", "worker.resolve_usage")
    [bad] = await workers.resolve(deps, who(77), [code, "90"])
    assert bad.text == t("en", "worker.bad_value")
    [done] = await workers.resolve(deps, who(77), [code, "9.4", "iron", "started"])
    assert done.text == t("en", "worker.resolved", code=code, lab="9.4", hb="9.0")
    [again] = await workers.resolve(deps, who(77), [code, "9.4"])
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
    assert joined.worker_commands and t("en", "worker.joined", team="clinic") == joined.text
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
    assert gone.text == t("en", "worker.revoke_unknown", n="999")
    assert (await team.revoke(deps, who(5), nurse))[0].text == t("en", "worker.revoked", n=nurse)
    assert (await workers.pending(deps, who(6)))[0].text == t("en", "worker.denied")
    assert len((await team.members(deps, who(5)))[0].text.splitlines()) == 2


async def open_case(deps, pool, user, hb=9.0):
    """A case opened by `user`'s screening; its code as workers see it (XXXX-XXXX)."""
    await screened(deps, pool, [hb], user=user)
    async with deps.sessions() as session:
        codes = await session.scalars(select(FollowUp.case_code).order_by(FollowUp.id.desc()))
        code = codes.first()
    return f"{code[:4]}-{code[4:]}"


async def test_contacted_note_take_decline_and_the_case_history(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    await make_worker(deps, 78)
    [fresh] = await workers.case(deps, who(77), code)
    assert "Assigned to: nobody" in fresh.text and "opened" in fresh.text
    assert (await workers.contacted(deps, who(77), []))[0].text == t("en", "worker.contacted_usage")
    typed = code.replace("-", "").lower()  # accepted without the dash, in lower case
    [done] = await workers.contacted(deps, who(77), [typed, "called,", "lab", "booked"])
    assert done.text == t("en", "worker.contacted", code=code)
    [mine] = await workers.case(deps, who(77), code)
    assert "Assigned to: you" in mine.text and "contacted" in mine.text.splitlines()[-2]
    assert mine.text.splitlines()[-1].endswith("note by you: called, lab booked")
    [theirs] = await workers.case(deps, who(78), code)
    assert "Assigned to: another worker" in theirs.text
    assert "note by another worker: called, lab booked" in theirs.text
    text = theirs.text.replace(code, "")  # a random code may hold those digits
    assert "77" not in text and "78" not in text  # never a Telegram id

    assert (await workers.note(deps, who(78), [code]))[0].text == t("en", "worker.note_usage")
    [noted] = await workers.note(deps, who(78), [code, "no", "answer"])
    assert noted.text == t("en", "worker.noted", code=code)
    [long] = await workers.note(deps, who(78), [code, "x" * (MAX_NOTE_CHARS + 1)])
    assert long.text == t("en", "worker.note_bad", max=MAX_NOTE_CHARS)

    assert (await workers.take(deps, who(78), None))[0].text == t("en", "worker.take_usage")
    [took] = await workers.take(deps, who(78), code)
    assert took.text == t("en", "worker.taken_over", code=code)
    assert (await workers.take(deps, who(78), code))[0].text == t("en", "worker.taken", code=code)
    assert "Assigned to: another worker" in (await workers.case(deps, who(77), code))[0].text

    [usage] = await workers.decline(deps, who(78), [code])
    assert usage.text == t("en", "worker.decline_usage")
    [declined] = await workers.decline(deps, who(78), [code, "moved", "away"])
    assert declined.text == t("en", "worker.declined", code=code)
    closed = t("en", "worker.bad_transition", code=code)
    assert (await workers.contacted(deps, who(77), [code]))[0].text == closed
    assert (await workers.decline(deps, who(77), [code, "again"]))[0].text == closed
    assert (await workers.take(deps, who(77), code))[0].text == closed
    assert (await workers.resolve(deps, who(77), [code, "9.5"]))[0].text == closed
    [after] = await workers.note(deps, who(77), [code, "moved", "to", "the", "city"])
    assert after.text == t("en", "worker.noted", code=code)  # a closed case takes notes
    [final] = await workers.case(deps, who(77), code)
    lines = final.text.splitlines()
    assert "Status: declined" in final.text
    history_lines = lines[lines.index(t("en", "worker.history")) + 1 :]
    assert [line.split(" ", 1)[1] for line in history_lines] == [
        "opened", "contacted (the latest time)", "note by you: called, lab booked",
        "note by another worker: no answer", "declined",
        "note by another worker: moved away", "note by you: moved to the city",
    ]  # fmt: skip
    assert all(line[:10] == utcnow().strftime("%Y-%m-%d") for line in history_lines)
    assert (await workers.pending(deps, who(77)))[0].text == t("en", "worker.pending_empty")


async def test_a_refused_note_changes_nothing(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    [bad] = await workers.contacted(deps, who(77), [code, "x" * (MAX_NOTE_CHARS + 1)])
    assert bad.text == t("en", "worker.note_bad", max=MAX_NOTE_CHARS)
    [still] = await workers.case(deps, who(77), code)
    assert "Status: pending" in still.text and "Assigned to: nobody" in still.text


async def test_a_long_history_stays_one_message(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    for i in range(20):
        [added] = await workers.note(deps, who(77), [code, str(i), "y" * (MAX_NOTE_CHARS - 3)])
        assert added.text == t("en", "worker.noted", code=code)
    [shown] = await workers.case(deps, who(77), code)
    assert len(shown.text) < 4096  # Telegram's limit for one message
    assert t("en", "worker.history_more", n=21 - workers.HISTORY_SHOWN) in shown.text
    assert "note by you: 19 yyy" in shown.text and "note by you: 0 " not in shown.text


async def test_other_teams_and_non_workers_are_refused(deps, pool):
    code = await open_case(deps, pool, user=1)
    async with deps.sessions.begin() as session:
        south = await get_or_create_team(session, name="south")
        pseudonym = deps.pseudonyms.pseudonym(88, "worker")
        await ensure_worker(session, pseudonym=pseudonym, team_id=south.id, role="health_worker")
    calls = {
        "contacted": lambda u: workers.contacted(deps, who(u), [code, "hi"]),
        "decline": lambda u: workers.decline(deps, who(u), [code, "no"]),
        "note": lambda u: workers.note(deps, who(u), [code, "hello"]),
        "take": lambda u: workers.take(deps, who(u), code),
        "case": lambda u: workers.case(deps, who(u), code),
        "resolve": lambda u: workers.resolve(deps, who(u), [code, "9.1"]),
    }
    for name, call in calls.items():
        assert (await call(4242))[0].text == t("en", "worker.denied"), name  # not a worker
        assert (await call(88))[0].text == t("en", "worker.not_found"), name  # another team
    assert (await workers.pending(deps, who(4242), ["severe"]))[0].text == t("en", "worker.denied")
    assert (await workers.pending(deps, who(88)))[0].text == t("en", "worker.pending_empty")
    await make_worker(deps, 77)
    [untouched] = await workers.case(deps, who(77), code)
    assert "Status: pending" in untouched.text and "Assigned to: nobody" in untouched.text
    assert "note by" not in untouched.text


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
    await workers.contacted(deps, who(77), [codes[0]])  # contacted cases are still open
    await workers.resolve(deps, who(77), [codes[1], "9.2"])  # resolved ones are not

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
    assert (await workers.take(deps, ja, code))[0].text == t("ja", "worker.taken", code=code)
    [case] = await workers.case(deps, who(77, lang="ja"), code)
    assert "担当: あなた" in case.text and t("ja", "worker.history") in case.text
    [usage] = await workers.pending(deps, who(77, lang="ja"), ["page", "x"])
    assert usage.text == t("ja", "worker.pending_usage")


async def test_resolve_takes_the_lab_date(deps, pool):
    await screened(deps, pool, [9.0], user=1)  # moderate: a case opens
    await make_worker(deps, 77)
    [listing] = await workers.pending(deps, who(77))
    code = listing.text.splitlines()[1].split(":")[0]
    [bad] = await workers.resolve(deps, who(77), [code, "9.4", "2026-02-30"])
    assert bad.text == t("en", "worker.resolve_usage")
    [future] = await workers.resolve(deps, who(77), [code, "9.4", "2999-01-01"])
    assert future.text == t("en", "worker.bad_value")  # a lab date in the future is refused
    [done] = await workers.resolve(deps, who(77), [code, "9.4", "2026-01-15", "iron", "started"])
    assert done.text == t("en", "worker.resolved", code=code, lab="9.4", hb="9.0")
    async with deps.sessions() as session:
        case = (await session.scalars(select(FollowUp))).one()
    assert case.lab_date == date(2026, 1, 15) and case.lab_hb_g_dl == 9.4
