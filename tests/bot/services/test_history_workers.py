"""/history, and the health workers' commands."""

from __future__ import annotations

from bot.i18n import t
from bot.services import history, people, photos, workers
from tests.bot.services.conftest import make_worker, screening, who


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
        workers.stats(deps, who()),
        workers.case(deps, who(), "ABCD-EFGH"),
        workers.resolve(deps, who(), ["X", "9"]),
    )
    for call in calls:
        assert (await call)[0].text == t("en", "worker.denied")


async def test_a_worker_follows_a_case_up(deps, pool):
    await screened(deps, pool, [9.0], user=1)  # moderate: a case opens
    await make_worker(deps, 77)
    [listing] = await workers.pending(deps, who(77))
    assert listing.text.startswith(t("en", "worker.pending_header", n=1))
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
    [figures] = await workers.stats(deps, who(77))
    assert "1" in figures.text and "0.40" in figures.text  # the MAE against the lab Hb
    [missing] = await workers.case(deps, who(77), "ZZZZ-ZZZZ")
    assert missing.text == t("en", "worker.not_found")


async def test_invite_and_join(deps):
    await make_worker(deps, 5, role="admin")
    await make_worker(deps, 6)
    assert (await workers.invite(deps, who(6)))[0].text == t("en", "worker.invite_denied")
    [made] = await workers.invite(deps, who(5))
    code = made.text.rsplit(" ", 1)[-1]
    [wrong] = await workers.join(deps, who(9), "NOPE")
    assert wrong.text == t("en", "worker.join_invalid")
    [joined] = await workers.join(deps, who(9), code)
    assert joined.worker_commands and t("en", "worker.joined", team="clinic") == joined.text
    assert (await workers.pending(deps, who(9)))[0].text == t("en", "worker.pending_empty")
    assert (await workers.join(deps, who(10), code))[0].text == t("en", "worker.join_invalid")
