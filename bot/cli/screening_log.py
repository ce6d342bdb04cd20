"""The screening log at the terminal: the operator's follow-up list, status changes, notes and
field statistics behind `anemia-screen followups` and `stats`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import followups
from storage.db import current_revision, head_revision, make_engine, make_sessionmaker
from storage.errors import StorageError
from storage.followups import FollowUpView
from storage.models import FollowUp
from storage.models import Screening as ScreeningRow
from storage.settings import get_settings
from storage.stats import FieldStats, field_stats
from storage.workers import find_team


class RecordsError(Exception):
    """A problem with the records command the person can act on; printed as one line."""


def _database_url() -> str:
    try:
        return get_settings().database_url
    except ValidationError as e:
        raise RecordsError(f"bad setting: {e.errors()[0]['msg']}") from None


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@asynccontextmanager
async def open_records(url: str | None = None) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the migrated database at `url` (default DATABASE_URL), errors as one line."""
    url = url or _database_url()
    file = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
    # a read must not leave an empty SQLite file behind where there was none
    if file and file != ":memory:" and not Path(file).expanduser().is_file():
        raise RecordsError(f"no database at {file}; set DATABASE_URL")
    engine = make_engine(url)
    try:
        at, head = await current_revision(engine), head_revision()
        if at != head:
            raise RecordsError(
                f"the database at {_shown(url)} is at migration {at or 'none'}, not {head}; "
                "start the bot once or run `alembic upgrade head`"
            )
        yield make_sessionmaker(engine)
    except (SQLAlchemyError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RecordsError(f"database error at {_shown(url)}: {first}") from e
    except StorageError as e:
        raise RecordsError(str(e)) from e
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Resolved:
    case_code: str
    lab_hb_g_dl: float | None
    hb_g_dl: float  # the screening's estimate


async def list_cases(
    sessions: async_sessionmaker[AsyncSession],
    *,
    statuses: Sequence[str],
    risks: Sequence[str],
    since: datetime | None,
    team: str | None,
) -> list[FollowUpView]:
    """Every team's cases matching the filters, oldest first."""
    async with sessions() as session:
        team_id = None
        if team is not None:
            found = await find_team(session, name=team)
            if found is None:
                raise RecordsError(f"no team named {team!r}")
            team_id = found.id
        return await followups.list_followups(
            session, worker=None, statuses=statuses, risks=risks, since=since, team_id=team_id
        )


async def resolve_case(
    sessions: async_sessionmaker[AsyncSession],
    *,
    case_code: str,
    lab_hb_g_dl: float | None,
    lab_date: date | None,
    outcome: str | None,
    note: str | None,
) -> Resolved:
    """Close a case as the operator, with the lab Hb (g/dL)."""
    async with sessions.begin() as session:
        case = await followups.resolve_followup(
            session,
            case_code=case_code,
            worker=None,
            lab_hb_g_dl=lab_hb_g_dl,
            lab_date=lab_date,
            outcome=outcome,
            note=note,
        )
        screening = await session.get_one(ScreeningRow, case.screening_id)
        return Resolved(case.case_code, case.lab_hb_g_dl, screening.hb_g_dl)


async def contact_case(
    sessions: async_sessionmaker[AsyncSession], *, case_code: str, note: str | None
) -> str:
    """Mark a case contacted as the operator; its case code."""
    async with sessions.begin() as session:
        case = await followups.mark_contacted(session, case_code=case_code, worker=None, note=note)
        return case.case_code


async def decline_case(
    sessions: async_sessionmaker[AsyncSession], *, case_code: str, reason: str
) -> str:
    """Close a case the person declined, the reason kept as its note; its case code."""
    if not reason.strip():
        raise RecordsError("--reason must not be empty")
    async with sessions.begin() as session:
        case = await followups.decline_followup(
            session, case_code=case_code, worker=None, note=reason
        )
        return case.case_code


async def note_case(
    sessions: async_sessionmaker[AsyncSession], *, case_code: str, text: str
) -> str:
    """Add the operator's note to a case, open or closed; its case code."""
    async with sessions.begin() as session:
        note = await followups.add_note(session, case_code=case_code, worker=None, text=text)
        return (await session.get_one(FollowUp, note.followup_id)).case_code  # already loaded


async def unassign_case(sessions: async_sessionmaker[AsyncSession], *, case_code: str) -> str:
    """Take a case from whichever worker had it, e.g. one who left; its case code."""
    async with sessions.begin() as session:
        case = await followups.assign_followup(
            session, case_code=case_code, worker=None, assignee_id=None
        )
        return case.case_code


async def stats(
    sessions: async_sessionmaker[AsyncSession], *, since: datetime | None
) -> FieldStats:
    """Field statistics over every team."""
    async with sessions() as session:
        return await field_stats(session, since=since)
