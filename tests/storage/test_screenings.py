"""What a screening keeps: the estimate and its context, and an image only with research consent."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from storage import screenings, subjects
from storage.errors import ConsentMissing, CropRefused, InvalidValue
from storage.models import FollowUp, ResearchCrop, Screening
from storage.screenings import strip_metadata
from storage.subjects import Profile
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (6, 6), (200, 50, 50, 255)).save(out, format="PNG")
    return out.getvalue()


async def test_fields_round_trip(session) -> None:
    s = await subjects.create_subject(session, pseudonym=P.pseudonym(1), consent_version="v1")
    await subjects.set_profile(
        session, subject_id=s.id, profile=Profile(None, "woman", "f", True, 2)
    )
    row, _ = await screenings.record_screening(
        session, subject_id=s.id, record=record(10.2, "mild", ("low_attention",))
    )
    session.expunge_all()
    got = await session.get_one(Screening, row.id)
    assert (got.hb_g_dl, got.interval_low, got.interval_high) == (10.2, 8.7, 11.7)
    assert (got.threshold_g_dl, got.moderate_below_g_dl, got.severe_below_g_dl) == (11, 10, 7)
    assert got.warnings == ["low_attention"] and not got.reliable
    assert got.created_at.tzinfo == UTC and got.model_version == "test-1"
    assert await session.scalar(select(func.count()).select_from(ResearchCrop)) == 0


async def test_crop_needs_research_opt_in(session) -> None:
    s = await subjects.create_subject(session, pseudonym=P.pseudonym(1), consent_version="v1")
    with pytest.raises(ConsentMissing):
        await screenings.record_screening(
            session, subject_id=s.id, record=record(), crop_png=_png()
        )
    await subjects.set_research_opt_in(session, subject_id=s.id, opt_in=True)
    row, _ = await screenings.record_screening(
        session, subject_id=s.id, record=record(), crop_png=_png()
    )
    assert (await session.get_one(ResearchCrop, row.id)).png.startswith(b"\x89PNG")


def test_bad_values_refused() -> None:
    with pytest.raises(InvalidValue):
        record(11.0, "fine")
    with pytest.raises(InvalidValue):
        Profile(age_months=-1)
    with pytest.raises(InvalidValue):
        Profile(sex="m", trimester=2)
    with pytest.raises(InvalidValue):
        strip_metadata(b"not an image")


async def test_a_model_without_grad_cam_stores_no_attention(session) -> None:
    s = await subjects.create_subject(session, pseudonym=P.pseudonym(2), consent_version="v1")
    rec = dataclasses.replace(record(12.4), attention_lower_half=None, population="eyes-defy")
    row, _ = await screenings.record_screening(session, subject_id=s.id, record=rec)
    session.expunge_all()
    got = await session.get_one(Screening, row.id)
    assert (got.attention_lower_half, got.population, got.refer) == (None, "eyes-defy", False)


def _noise_png(width: int, height: int) -> bytes:
    """RGBA noise: the worst case for PNG, which cannot compress it."""
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 4), np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG")
    return out.getvalue()


def test_any_crop_within_the_side_limit_fits_the_byte_limit() -> None:
    side = screenings.MAX_CROP_SIDE
    widest = strip_metadata(_noise_png(side, side))  # incompressible, at the largest size
    assert len(widest) <= screenings.MAX_CROP_BYTES
    with pytest.raises(CropRefused, match="a side"):
        strip_metadata(_noise_png(side + 1, 8))


async def test_a_refused_crop_writes_nothing(session) -> None:
    """The caller may then log the screening without the crop, in the same transaction."""
    s = await subjects.create_subject(session, pseudonym=P.pseudonym(3), consent_version="v1")
    await subjects.set_research_opt_in(session, subject_id=s.id, opt_in=True)
    with pytest.raises(CropRefused):
        await screenings.record_screening(
            session, subject_id=s.id, record=record(9.0, "moderate"), crop_png=b"not an image"
        )
    assert await session.scalar(select(func.count()).select_from(Screening)) == 0
    assert await session.scalar(select(func.count()).select_from(FollowUp)) == 0
