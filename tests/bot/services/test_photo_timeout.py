"""A photo over the pool's time limit: the person is told kindly, nothing is logged, and the
next photo is screened."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.pipeline.inference import PhotoTimedOut
from bot.services import people, photos
from bot.texts.i18n import t
from storage.models import Screening
from tests.bot.chat.conftest import screening, who
from tests.bot.services.conftest import fetch


async def test_a_photo_over_the_time_limit_gets_the_timeout_message(deps, pool):
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    pool.result = PhotoTimedOut()
    [out] = await photos.screen_photo(deps, who(), fetch, 100)
    assert out.text == t("en", "reject.took_too_long")
    async with deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Screening)) == 0
    pool.result = screening()
    text, _ = await photos.screen_photo(deps, who(), fetch, 100)
    assert " g/dL" in text.text
