"""The bot's reads and small writes: a subject's screenings for /history, and the language."""

from __future__ import annotations

import pytest

from storage.errors import InvalidValue
from storage.screenings import list_screenings, record_screening
from storage.subjects import create_subject, set_language
from tests.storage.helpers import pseudonymizer, record


async def test_list_screenings_gives_the_latest_oldest_first(session):
    p = pseudonymizer()
    subject = await create_subject(session, pseudonym=p.pseudonym(1), consent_version="1")
    other = await create_subject(session, pseudonym=p.pseudonym(2), consent_version="1")
    for hb in (12.0, 11.5, 11.2, 12.4):
        await record_screening(session, subject_id=subject.id, record=record(hb))
    await record_screening(session, subject_id=other.id, record=record(9.0, "moderate"))
    rows = await list_screenings(session, subject_id=subject.id, limit=3)
    assert [r.hb_g_dl for r in rows] == [11.5, 11.2, 12.4]
    assert await list_screenings(session, subject_id=999) == []


async def test_set_language(session):
    subject = await create_subject(
        session, pseudonym=pseudonymizer().pseudonym(1), consent_version="1", language="en"
    )
    assert (await set_language(session, subject_id=subject.id, language="ja")).language == "ja"
    with pytest.raises(InvalidValue):
        await set_language(session, subject_id=subject.id, language="")
