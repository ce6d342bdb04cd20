"""A photo through the service: consent first, result wording, refusals, busy, rate limit, log."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.pipeline.inference import PoolBusy
from bot.services import people, photos
from bot.texts.i18n import t
from storage.models import FollowUp, ProcessedUpdate, Screening, Subject
from storage.subjects import erase_subject
from tests.bot.chat.conftest import screening, who
from tests.bot.services.conftest import rejected


async def fetch() -> bytes:
    return b"photo-bytes"


async def consented(deps, user=4242):
    await people.start(deps, who(user))
    await people.answer_consent(deps, who(user), "yes")


async def count(deps, model) -> int:
    async with deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_a_photo_before_consent_gets_the_consent_prompt(deps, pool):
    [out] = await photos.screen_photo(deps, who(), fetch, 100)
    assert out.text.startswith(t("en", "consent.first"))
    assert out.buttons and pool.calls == []


async def test_result_text_photo_and_log(deps, pool):
    await consented(deps)
    pool.result = screening(9.5)  # moderate for a child 24-59 months: opens a case
    text, overlay = await photos.screen_photo(deps, who(), fetch, 100)
    assert "9.5 g/dL" in text.text and "8.1 to 10.9 g/dL" in text.text
    assert t("en", "advice.moderate") in text.text
    assert t("en", "notice") in text.text and t("en", "notice") in overlay.text
    assert overlay.photo == b"\xff\xd8\xffJPEG-overlay"
    assert await count(deps, Screening) == 1 and await count(deps, FollowUp) == 1


def test_straddle_assumed_and_warnings_are_said():
    r = screening(11.2, warnings=("low_attention",))
    text = photos.result_text("en", r)
    # 11.2 (9.8 to 12.6) is above the 11.0 cut-off, but anaemia is not ruled out
    assert t("en", "result.risk", group=t("en", "group.child_24_59m"), threshold="11.0") in text
    assert t("en", "result.uncertain") in text and t("en", "result.above") not in text
    assert t("en", "warning.low_attention") in text and t("en", "result.retake") in text
    # 11.2 is above the cut-off but inside the stand-in's referral margin: a blood test
    assert t("en", "advice.refer") in text and t("en", "advice.none") not in text
    population = t(
        "en",
        "result.population",
        cohort=t("en", "cohort.children"),
        population=t("en", "population.cp-anemic"),
    )
    assert population in text
    # not referred, its interval (10.6 to 13.4) reaching below 11.0: not ruled out, no "no sign"
    unreferred = photos.result_text("en", screening(12.0))
    assert t("en", "advice.uncertain") in unreferred and t("en", "advice.none") not in unreferred
    clear = photos.result_text("en", screening(12.6))  # 11.2 to 14.0: wholly above
    assert t("en", "advice.none") in clear and t("en", "result.above") in clear
    severe = photos.result_text("ja", screening(5.0))
    assert t("ja", "advice.severe") in severe and "5.0 g/dL" in severe


async def test_refused_photo_gets_the_gate_message_in_the_persons_language(deps, pool):
    await consented(deps)
    pool.result = rejected("blurred")
    [out] = await photos.screen_photo(deps, who(lang="ja"), fetch, 100)
    assert out.text == t("en", "reject.blurred")  # the language chosen at consent was English
    pool.result = rejected("a_new_gate")
    [out] = await photos.screen_photo(deps, who(), fetch, 100)
    assert out.text == t("en", "error")  # a code without a message: never a raw code
    assert await count(deps, Screening) == 0


async def test_busy_pool_oversize_file_and_rate_limit(deps, pool):
    await consented(deps)
    pool.result = PoolBusy()
    assert (await photos.screen_photo(deps, who(), fetch, 100))[0].text == t("en", "busy")
    big = deps.settings.max_photo_bytes + 1
    [out] = await photos.screen_photo(deps, who(), fetch, big)
    assert out.text == t("en", "reject.too_large_file", mb=20)
    pool.result = screening()
    for _ in range(3):  # the limit is 3 in the fixture; the busy refusal cost nothing
        out, _ = await photos.screen_photo(deps, who(), fetch, 100)
        assert " g/dL" in out.text
    [out] = await photos.screen_photo(deps, who(), fetch, 100)
    assert out.text == t("en", "rate_limited")


async def test_a_download_over_the_cap_is_refused_when_telegram_gave_no_size(deps, pool):
    await consented(deps)
    pool.result = screening()
    deps.settings.max_photo_bytes = 2 * 2**20

    async def big() -> bytes:
        return bytes(2 * 2**20 + 1)

    [out] = await photos.screen_photo(deps, who(), big, None)
    assert out.text == t("en", "reject.too_large_file", mb=2)
    assert pool.calls == [] and await count(deps, Screening) == 0


async def test_a_redelivered_photo_is_logged_and_answered_once(deps, pool):
    await consented(deps)
    update = who()
    assert len(await photos.screen_photo(deps, update, fetch, 100)) == 2
    assert await photos.screen_photo(deps, update, fetch, 100) == []
    assert await count(deps, Screening) == 1


async def test_a_person_erased_while_their_photo_is_screened_leaves_nothing(deps, pool):
    await consented(deps)
    screen = pool.screen

    async def erase_meanwhile(data, person, *, with_cutout=False):
        async with deps.sessions.begin() as session:
            await erase_subject(session, candidates=deps.pseudonyms.candidates(4242))
        return await screen(data, person, with_cutout=with_cutout)

    pool.screen = erase_meanwhile
    update = who()
    [out] = await photos.screen_photo(deps, update, fetch, 100)
    assert out.text == t("en", "profile.need_consent")
    assert await count(deps, Screening) == 0 and await count(deps, Subject) == 0
    assert await photos.screen_photo(deps, update, fetch, 100) == []  # handled: claimed


async def test_a_result_that_cannot_be_logged_is_not_shown(deps, pool, monkeypatch):
    from sqlalchemy.exc import OperationalError

    await consented(deps)

    async def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(photos, "log_update_screening", broken)
    [out] = await photos.screen_photo(deps, who(), fetch, 100)
    assert out.text == t("en", "save_failed")


async def age_claims(deps, seconds: float = 60.0) -> None:
    """Make every claim look `seconds` old (a restart in between)."""
    then = datetime.now(UTC) - timedelta(seconds=seconds)
    async with deps.sessions.begin() as session:
        await session.execute(update(ProcessedUpdate).values(processed_at=then))


async def test_a_result_never_confirmed_sent_is_told_again_once_without_screening(deps, pool):
    await consented(deps)
    pool.result = screening(9.5)
    update = who()
    assert len(await photos.screen_photo(deps, update, fetch, 100)) == 2
    # the process died before the replies went out (photos.sent was never called)
    await age_claims(deps)
    [again] = await photos.screen_photo(deps, update, fetch, 100)
    assert "9.5 g/dL" in again.text and "8.1" in again.text and "10.9" in again.text
    assert t("en", "category.moderate") in again.text and t("en", "notice") in again.text
    # the advice and the open case's code, as in the first reply
    async with deps.sessions() as session:
        code = await session.scalar(select(FollowUp.case_code))
    assert t("en", "advice.moderate") in again.text
    assert t("en", "result.case", code=f"{code[:4]}-{code[4:]}") in again.text
    assert again.photo is None and len(pool.calls) == 1  # no second inference
    await photos.sent(deps, update)
    assert await photos.screen_photo(deps, update, fetch, 100) == []
    assert await count(deps, Screening) == 1 and await count(deps, FollowUp) == 1


async def test_a_confirmed_or_just_claimed_photo_delivered_again_gets_nothing(deps, pool):
    await consented(deps)
    first, second = who(), who()
    await photos.screen_photo(deps, first, fetch, 100)
    await photos.sent(deps, first)
    await age_claims(deps)
    assert await photos.screen_photo(deps, first, fetch, 100) == []
    await photos.screen_photo(deps, second, fetch, 100)
    # a duplicate while the first handling may still be sending: no second reply
    assert await photos.screen_photo(deps, second, fetch, 100) == []
    assert len(pool.calls) == 2 and await count(deps, Screening) == 2


def test_each_model_s_picture_has_its_own_caption():
    child = screening(10.4)
    adult = dataclasses.replace(child, cohort="adults", population="eyes-defy")
    unmapped = dataclasses.replace(adult, attention_lower_half=None)  # a row from before maps
    for r, key in ((child, "result.gradcam"), (adult, "result.occlusion")):
        _, picture = photos.result_replies("en", r)
        assert picture.text.startswith(t("en", key)) and picture.photo == r.overlay_jpeg
    assert photos.result_replies("en", unmapped)[1].text.startswith(t("en", "result.measured"))
