"""The research opt-in: offered at consent and in /profile, off by default, revocable; with
it each screening's conjunctiva cut-out is kept without metadata; off and /delete erase."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
from PIL import Image
from sqlalchemy import func, select

from bot.chat.services import buttons, people, photos, profile
from bot.pipeline.i18n import t
from storage.models import ResearchCrop, Subject
from tests.bot.chat.services.conftest import screening, who


async def fetch() -> bytes:
    return b"photo"


def offered(outs) -> list[str]:
    return [b.data for out in outs for row in out.buttons for b in row]


async def crops(deps) -> list[bytes]:
    async with deps.sessions() as session:
        return list(await session.scalars(select(ResearchCrop.png)))


def cutout() -> np.ndarray:
    rgba = np.zeros((30, 60, 4), np.uint8)
    rgba[5:25, 5:55] = (190, 70, 80, 255)  # the lining; transparent around it
    return rgba


async def test_off_by_default_then_on_keeps_a_clean_cutout_then_off_erases(deps, pool) -> None:
    await people.start(deps, who())
    outs = await people.answer_consent(deps, who(), "yes")
    assert "research:on" in offered(outs)  # offered at consent, apart from it
    pool.result = dataclasses.replace(screening(9.0), cutout=cutout())
    await photos.screen_photo(deps, who(), fetch, 10)
    assert await crops(deps) == []  # off unless turned on
    [on] = await buttons.press(deps, who(), "research:on", {"research:on"})
    assert on.text == t("en", "research.on") and offered([on]) == ["research:off"]
    await photos.screen_photo(deps, who(), fetch, 10)
    [png] = await crops(deps)
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "RGBA" and img.size == (60, 30) and not img.info.get("exif")
        assert np.array_equal(np.asarray(img)[..., 3], cutout()[..., 3])  # alpha = the mask
    [off] = await buttons.press(deps, who(), "research:off", {"research:off"})
    assert off.text == t("en", "research.off", n=1) and await crops(deps) == []
    await photos.screen_photo(deps, who(), fetch, 10)
    assert await crops(deps) == []


async def test_profile_shows_the_state_and_delete_erases_the_cutouts(deps, pool) -> None:
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    await buttons.press(deps, who(), "research:on", {"research:on"})
    await profile.start_profile(deps, who())
    [saved] = await profile.answer(deps, who(), "age", "child_24_59m")
    assert t("en", "research.state_on") in saved.text
    assert offered([saved]) == ["research:off", "contact:on"]
    pool.result = dataclasses.replace(screening(9.0), cutout=cutout())
    await photos.screen_photo(deps, who(), fetch, 10)
    assert len(await crops(deps)) == 1
    await people.ask_delete(deps, who())
    await people.confirm_delete(deps, who(), "yes")
    assert await crops(deps) == []
    async with deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Subject)) == 0
