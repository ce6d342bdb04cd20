"""After a scripted run of the bot's calls, no Telegram id, username or name is stored anywhere,
and erasing a subject leaves no row about them.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from PIL import Image, PngImagePlugin
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import (
    conversations,
    followups,
    photo_windows,
    screenings,
    subjects,
    updates,
    weblinks,
    workers,
)
from storage.models import Base
from storage.subjects import Profile
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()
# (Telegram user id, username, full name): what Telegram tells the bot about each person
PEOPLE = [(736451902, "akosua_b", "Akosua Boateng"), (5512093348, "kwame77", "Kwame Asante")]
NURSE = (611238745, "nurse_efua", "Efua Mensah")
ADMIN = (209871236, "dr_yaw", "Yaw Owusu")


def _png(name: str) -> bytes:
    """A crop as a phone might send it: with EXIF and a text chunk naming the person."""
    exif = Image.Exif()
    exif[0x013B] = name  # Artist
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", name)
    out = io.BytesIO()
    Image.new("RGB", (8, 4), (180, 60, 60)).save(out, format="PNG", exif=exif, pnginfo=info)
    assert name.encode() in out.getvalue()
    return out.getvalue()


async def _script(session: AsyncSession) -> dict[str, Any]:
    """What the bot does for two people, a nurse and an admin; returns the first person's ids."""
    team = await workers.get_or_create_team(session, name="Kumasi North")
    admin = await workers.ensure_worker(
        session, pseudonym=P.pseudonym(ADMIN[0], "worker"), team_id=team.id, role="admin"
    )
    code = await workers.create_invite(session, admin=admin)
    nurse = await workers.redeem_invite(
        session, code=code, pseudonym=P.pseudonym(NURSE[0], "worker")
    )
    # the nurse signs in to the dashboard with a link from /web; the office gets one too
    link = await weblinks.create_link(
        session, team_id=team.id, role="health_worker", worker_id=nurse.id
    )
    await weblinks.redeem_link(session, token=link, session_ttl=timedelta(hours=8))
    await weblinks.create_link(session, team_id=team.id, role="admin")
    first: dict[str, Any] = {}
    for update_id, (tg_id, _username, name) in enumerate(PEOPLE, start=800000001):
        assert await updates.claim_update(session, update_id=update_id)
        chat = P.pseudonym(tg_id)  # private chat id == user id
        v = await conversations.save_conversation(
            session, pseudonym=chat, state="age", data={"language": "en"}, expected_version=None
        )
        await conversations.save_conversation(
            session, pseudonym=chat, state="photo", data={"age_months": 30}, expected_version=v
        )
        s = await subjects.create_subject(
            session,
            pseudonym=chat,
            consent_version="2025-01",
            language="en",
            contact_opt_in=True,
            research_opt_in=True,
            team_id=team.id,
        )
        await subjects.set_profile(session, subject_id=s.id, profile=Profile(30, sex="f"))
        await photo_windows.take_photo_slot(
            session, pseudonym=chat.value, update_id=1, limit=10, window_s=600
        )
        await screenings.record_screening(session, subject_id=s.id, record=record(11.9))
        row, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(9.1, "moderate"), crop_png=_png(name)
        )
        assert case is not None
        await followups.mark_contacted(session, case_code=case.case_code, worker=nurse, note="ok")
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=nurse, lab_hb_g_dl=9.5, note="lab done"
        )
        first = first or {"subject": s.id, "screening": row.id, "followup": case.id, "chat": chat}
    await session.commit()
    return first


async def _all_rows(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as dicts."""
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = await session.execute(select(table))
        out[table.name] = [dict(r._mapping) for r in rows]
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else json.dumps(value, default=str)


async def test_no_identity_stored_anywhere(session) -> None:
    await _script(session)
    tables = await _all_rows(session)
    assert all(tables.values()), f"empty tables: {[t for t, r in tables.items() if not r]}"
    forbidden = [str(x).lower() for person in (*PEOPLE, NURSE, ADMIN) for x in person]
    forbidden += [part.lower() for *_, name in (*PEOPLE, NURSE, ADMIN) for part in name.split()]
    for name, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                text = _as_text(value).lower()
                hits = [f for f in forbidden if f in text]
                assert not hits, f"{name}.{column} holds {hits}"


async def test_crop_is_bare_png(session) -> None:
    await _script(session)
    for crop in (await _all_rows(session))["research_crops"]:
        with Image.open(io.BytesIO(crop["png"])) as img:
            assert img.format == "PNG" and img.size == (8, 4)
            assert not img.info and not img.getexif()


async def test_erasure_removes_every_row(sessions) -> None:
    async with sessions() as session:
        first = await _script(session)
        before = await _all_rows(session)
    async with sessions.begin() as session:
        assert await subjects.erase_subject(session, candidates=P.candidates(PEOPLE[0][0])) == 1
    async with sessions() as session:
        after = await _all_rows(session)
    about = {  # (table, column) -> value that marks a row as about the erased person
        ("subjects", "id"): first["subject"],
        ("screenings", "subject_id"): first["subject"],
        ("followups", "subject_id"): first["subject"],
        ("research_crops", "screening_id"): first["screening"],
        ("followup_notes", "followup_id"): first["followup"],
        ("conversations", "pseudonym"): first["chat"].value,
        ("photo_windows", "pseudonym"): first["chat"].value,
    }
    for (table, column), value in about.items():
        assert any(r[column] == value for r in before[table]), (table, column)
        assert not any(r[column] == value for r in after[table]), (table, column)
        assert len(after[table]) == len(before[table]) // 2, table  # the other person stays
    pseudonym = first["chat"].value
    assert pseudonym not in json.dumps(after, default=str)
    assert after["health_workers"] == before["health_workers"]
