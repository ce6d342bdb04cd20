"""Health workers' steps on a case: /contacted, /decline, /note, /take, /resolve, and what
/case shows of them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.services import casework, workers
from bot.texts.i18n import t
from bot.texts.numbers import day
from storage.followups import MAX_NOTE_CHARS
from storage.models import FollowUp, utcnow
from storage.workers import ensure_worker, get_or_create_team
from tests.bot.chat.conftest import who
from tests.bot.services.conftest import make_worker, open_case, screened


async def test_contacted_note_take_decline_and_the_case_history(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    await make_worker(deps, 78)
    [fresh] = await workers.case(deps, who(77), code)
    assert "Assigned to: nobody" in fresh.text and "opened" in fresh.text
    assert t("en", "worker.reads", language="English") in fresh.text  # for the relay
    assert (await casework.contacted(deps, who(77), []))[0].text == t(
        "en", "worker.contacted_usage"
    )
    typed = code.replace("-", "").lower()  # accepted without the dash, in lower case
    [done] = await casework.contacted(deps, who(77), [typed, "called,", "lab", "booked"])
    assert done.text == t("en", "worker.contacted", code=code)
    [mine] = await workers.case(deps, who(77), code)
    assert "Assigned to: you" in mine.text and "contacted" in mine.text.splitlines()[-2]
    assert mine.text.splitlines()[-1].endswith("note by you: called, lab booked")
    [theirs] = await workers.case(deps, who(78), code)
    assert "Assigned to: another worker" in theirs.text
    assert "note by another worker: called, lab booked" in theirs.text
    text = theirs.text.replace(code, "")  # a random code may hold those digits
    assert "77" not in text and "78" not in text  # never a Telegram id

    assert (await casework.note(deps, who(78), [code]))[0].text == t("en", "worker.note_usage")
    [noted] = await casework.note(deps, who(78), [code, "no", "answer"])
    assert noted.text == t("en", "worker.noted", code=code)
    [long] = await casework.note(deps, who(78), [code, "x" * (MAX_NOTE_CHARS + 1)])
    assert long.text == t("en", "worker.note_bad", max=MAX_NOTE_CHARS)

    assert (await casework.take(deps, who(78), None))[0].text == t("en", "worker.take_usage")
    [took] = await casework.take(deps, who(78), code)
    assert took.text == t("en", "worker.taken_over", code=code)
    assert (await casework.take(deps, who(78), code))[0].text == t("en", "worker.taken", code=code)
    assert "Assigned to: another worker" in (await workers.case(deps, who(77), code))[0].text

    [usage] = await casework.decline(deps, who(78), [code])
    assert usage.text == t("en", "worker.decline_usage")
    [declined] = await casework.decline(deps, who(78), [code, "moved", "away"])
    assert declined.text == t("en", "worker.declined", code=code)
    closed = t("en", "worker.bad_transition", code=code)
    assert (await casework.contacted(deps, who(77), [code]))[0].text == closed
    assert (await casework.decline(deps, who(77), [code, "again"]))[0].text == closed
    assert (await casework.take(deps, who(77), code))[0].text == closed
    assert (await casework.resolve(deps, who(77), [code, "9.5"]))[0].text == closed
    [after] = await casework.note(deps, who(77), [code, "moved", "to", "the", "city"])
    assert after.text == t("en", "worker.noted", code=code)  # a closed case takes notes
    [final] = await workers.case(deps, who(77), code)
    lines = final.text.splitlines()
    assert "Status: declined" in final.text
    history_lines = lines[lines.index(t("en", "worker.history")) + 1 :]
    today = day("en", utcnow())  # the date as the worker's language writes it
    assert all(line.startswith(f"{today} ") for line in history_lines)
    assert [line.removeprefix(f"{today} ") for line in history_lines] == [
        "opened",
        "contacted (the latest time)",
        "note by you: called, lab booked",
        "note by another worker: no answer",
        "declined",
        "note by another worker: moved away",
        "note by you: moved to the city",
    ]
    assert (await workers.pending(deps, who(77)))[0].text == t("en", "worker.pending_empty")


async def test_a_refused_note_changes_nothing(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    [bad] = await casework.contacted(deps, who(77), [code, "x" * (MAX_NOTE_CHARS + 1)])
    assert bad.text == t("en", "worker.note_bad", max=MAX_NOTE_CHARS)
    [still] = await workers.case(deps, who(77), code)
    assert "Status: pending" in still.text and "Assigned to: nobody" in still.text


async def test_a_long_history_stays_one_message(deps, pool):
    code = await open_case(deps, pool, user=1)
    await make_worker(deps, 77)
    for i in range(20):
        [added] = await casework.note(deps, who(77), [code, str(i), "y" * (MAX_NOTE_CHARS - 3)])
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
        "contacted": lambda u: casework.contacted(deps, who(u), [code, "hi"]),
        "decline": lambda u: casework.decline(deps, who(u), [code, "no"]),
        "note": lambda u: casework.note(deps, who(u), [code, "hello"]),
        "take": lambda u: casework.take(deps, who(u), code),
        "case": lambda u: workers.case(deps, who(u), code),
        "resolve": lambda u: casework.resolve(deps, who(u), [code, "9.1"]),
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


async def test_resolve_takes_the_lab_date(deps, pool):
    await screened(deps, pool, [9.0], user=1)  # moderate: a case opens
    await make_worker(deps, 77)
    [listing] = await workers.pending(deps, who(77))
    code = listing.text.splitlines()[1].split(":")[0]
    [bad] = await casework.resolve(deps, who(77), [code, "9.4", "2026-02-30"])
    assert bad.text == t("en", "worker.resolve_usage")
    [future] = await casework.resolve(deps, who(77), [code, "9.4", "2999-01-01"])
    assert future.text == t("en", "worker.bad_value")  # a lab date in the future is refused
    [done] = await casework.resolve(deps, who(77), [code, "9.4", "2026-01-15", "iron", "started"])
    assert done.text == t("en", "worker.resolved", code=code, lab="9.4", hb="9.0")
    async with deps.sessions() as session:
        case = (await session.scalars(select(FollowUp))).one()
    assert case.lab_date == date(2026, 1, 15) and case.lab_hb_g_dl == 9.4
