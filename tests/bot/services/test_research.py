"""The research opt-in: offered at consent and in /profile, off by default, revocable; with
it each screening's conjunctiva cut-out is kept without metadata; off and /delete erase."""

from __future__ import annotations

import dataclasses
import io
import logging

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.services import buttons, people, photos, profile, research
from bot.texts.i18n import t
from storage.models import FollowUp, ResearchCrop, Screening, Subject
from storage.screenings import MAX_CROP_SIDE
from tests.bot.chat.conftest import screening, who


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
    # the pipeline is asked for the cut-out (megabytes from the inference process) only
    # while research keeps it
    assert pool.cutouts == [False, True, False]


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


def big_cutout(height: int = 2400, width: int = 3600) -> np.ndarray:
    """A lining of one colour, an ellipse over a textured background that its alpha hides."""
    yy, xx = np.mgrid[:height, :width]
    lining = ((yy - height / 2) / (height / 2.2)) ** 2 + ((xx - width / 2) / (width / 2.1)) ** 2 < 1
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[lining] = (190, 70, 80, 255)
    return rgba


def test_a_large_cutout_is_kept_bounded_with_a_crisp_mask_and_true_colour() -> None:
    big = big_cutout()
    with Image.open(io.BytesIO(research.cutout_png(big))) as img:
        small = np.asarray(img.convert("RGBA"))
    assert small.shape[:2] == (683, 1024)  # the longest side at MAX_CROP_SIDE, aspect kept
    assert set(np.unique(small[..., 3])) == {0, 255}  # the mask stays a mask
    on = small[..., 3] == 255
    # the same share of the picture is lining (the ellipse's area), within a pixel's rim
    assert abs(on.mean() - (big[..., 3] > 0).mean()) < 0.005
    # the edge keeps the lining's colour: the black around it is not averaged in
    assert np.abs(small[on][:, :3].astype(int) - (190, 70, 80)).max() <= 1
    assert not small[~on][:, :3].any()  # black around it, as in every cut-out


def test_a_small_cutout_is_kept_as_it_is() -> None:
    assert np.array_equal(research.bounded(cutout()), cutout())


async def test_a_20_megapixel_cutout_is_kept_bounded_and_the_result_given(deps, pool) -> None:
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    await buttons.press(deps, who(), "research:on", {"research:on"})
    noisy = big_cutout()
    noisy[..., :3] = np.random.default_rng(0).integers(0, 256, noisy[..., :3].shape, np.uint8)
    noisy[noisy[..., 3] == 0, :3] = 0  # a sensor's noise: incompressible, several MB as PNG
    pool.result = dataclasses.replace(screening(9.0), cutout=noisy)
    text, _ = await photos.screen_photo(deps, who(), fetch, 10)
    assert "9.0 g/dL" in text.text
    [png] = await crops(deps)
    with Image.open(io.BytesIO(png)) as img:
        assert max(img.size) == MAX_CROP_SIDE


@pytest.mark.parametrize("failure", ["encode", "store"])
async def test_a_cutout_that_cannot_be_kept_costs_nothing_but_itself(
    deps, pool, monkeypatch, caplog, failure
) -> None:
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    await buttons.press(deps, who(), "research:on", {"research:on"})
    pool.result = dataclasses.replace(screening(9.0), cutout=cutout())
    expected = photos.result_replies("en", pool.result)  # as if she had not opted in
    if failure == "encode":
        monkeypatch.setattr(research, "cutout_png", lambda _: (_ for _ in ()).throw(MemoryError()))
    else:  # bytes storage refuses (not an image)
        monkeypatch.setattr(research, "cutout_png", lambda _: b"\x89PNG not really")
    with caplog.at_level(logging.WARNING, logger="bot"):
        text, overlay = await photos.screen_photo(deps, who(), fetch, 10)
    assert text.text.split("\n\n")[:3] == expected[0].text.split("\n\n")[:3]
    assert t("en", "advice.moderate") in text.text and overlay.photo == b"\xff\xd8\xffJPEG-overlay"
    assert await crops(deps) == []
    async with deps.sessions() as session:  # the screening and its case are logged
        assert await session.scalar(select(func.count()).select_from(Screening)) == 1
        assert await session.scalar(select(func.count()).select_from(FollowUp)) == 1
    [line] = [r.getMessage() for r in caplog.records if "research crop not" in r.getMessage()]
    if failure == "encode":  # what failed, and nothing of the person or the picture
        assert line == "research crop not encoded: MemoryError"
    else:
        assert line.startswith("research crop not kept: crop is not a readable image")
