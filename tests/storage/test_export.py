"""The lab-confirmed export: one row per person, only crops kept with a research opt-in, and
nothing that points back to a person."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
from PIL import Image

from storage import followups, screenings, subjects
from storage.export import lab_confirmed
from storage.models import Screening
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()


def png(value: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 4), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


async def screened(session, subject_id: int, crop: bytes | None, lab: float | None) -> Screening:
    row, case = await screenings.record_screening(
        session, subject_id=subject_id, record=record(9.0, "moderate"), crop_png=crop
    )
    assert case is not None
    if lab is not None:
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=lab
        )
    return row


async def test_one_row_per_person_with_lab_hb_and_research_crop(session) -> None:
    a = await subjects.create_subject(
        session, pseudonym=P.pseudonym(1), consent_version="v1", research_opt_in=True
    )
    no_research = await subjects.create_subject(
        session, pseudonym=P.pseudonym(2), consent_version="v1"
    )
    pending = await subjects.create_subject(
        session, pseudonym=P.pseudonym(3), consent_version="v1", research_opt_in=True
    )
    first = await screened(session, a.id, png(10), 9.5)
    first.created_at -= timedelta(days=40)  # the person's earlier screening
    await screened(session, a.id, png(20), 10.5)  # the latest counts
    await screened(session, no_research.id, None, 8.0)  # no crop kept without opt-in
    await screened(session, pending.id, png(40), None)  # no lab Hb yet
    [row] = await lab_confirmed(session)
    assert row.lab_hb_g_dl == 10.5 and row.estimate_g_dl == 9.0
    with Image.open(io.BytesIO(row.png)) as img:
        assert img.mode == "RGBA" and np.asarray(img)[0, 0, 0] == 20
    assert len(row.month) == 7 and row.month[4] == "-"  # YYYY-MM only
    assert row.model_version == "test-1"
    fields = set(type(row).__dataclass_fields__)
    assert not fields & {"id", "subject_id", "pseudonym", "case_code", "created_at", "lab_date"}


async def test_one_team(session) -> None:
    assert await lab_confirmed(session, team="nowhere") == []
