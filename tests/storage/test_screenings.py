"""What a screening keeps: the estimate and its context, and an image only with research consent."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC

import pytest
from PIL import Image
from sqlalchemy import func, select

from storage import screenings, subjects
from storage.errors import ConsentMissing, InvalidValue
from storage.models import ResearchCrop, Screening
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
    await subjects.set_consent(
        session, subject_id=s.id, consent_version="v2", contact_opt_in=False, research_opt_in=True
    )
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
