"""The outbox: held screenings survive on disk (private file, one per update), are written to
the database once, keep their time, and are dropped for a person erased meanwhile; which
errors count as "database unreachable"."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.services import people
from bot.services.outbox import Held, Outbox, drain, unreachable
from bot.services.screening_record import screening_record
from storage.models import ProcessedUpdate, Screening, Subject
from tests.bot.chat.conftest import screening, who


async def subject_id(deps) -> int:
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    async with deps.sessions() as session:
        return int(await session.scalar(select(Subject.id)))


def held(update_id: int, subject: int, at: datetime | None = None) -> Held:
    at = at or datetime.now(UTC) + timedelta(seconds=1)
    return Held(update_id, subject, at, screening_record(screening(9.2)))


def test_held_round_trips_through_text() -> None:
    one = held(7, 3, datetime(2026, 11, 1, 9, 30, tzinfo=UTC))
    assert Held.loads(one.dumps()) == one


async def test_put_keeps_one_per_update_on_disk_in_a_private_file(tmp_path) -> None:
    path = tmp_path / "box" / "outbox.sqlite3"
    box = Outbox(path)
    assert await box.pending() == [] and not path.exists()  # made only when needed
    await box.put(held(2, 1))
    await box.put(held(1, 1))
    await box.put(held(2, 1))  # the same update again: still one
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Outbox(path)  # as after a restart
    assert [h.update_id for h in await again.pending()] == [1, 2]
    await again.remove(1)
    assert [h.update_id for h in await box.pending()] == [2]


async def test_drain_writes_each_once_with_its_own_time(deps, tmp_path) -> None:
    subject = await subject_id(deps)
    box = Outbox(tmp_path / "outbox.sqlite3")
    at = datetime.now(UTC) + timedelta(minutes=5)
    await box.put(held(900, subject, at))
    assert await drain(box, deps.sessions) == 1
    assert await box.pending() == []
    await box.put(held(900, subject, at))  # held again after a lost commit: claimed already
    assert await drain(box, deps.sessions) == 1
    async with deps.sessions() as session:
        rows = (await session.scalars(select(Screening))).all()
    assert len(rows) == 1 and rows[0].hb_g_dl == 9.2
    assert rows[0].created_at.replace(tzinfo=UTC) == at  # screened then, not written then
    async with deps.sessions() as session:
        claim = await session.get(ProcessedUpdate, 900)
    # the person saw the result when it was held: nothing to tell again after a restart
    assert claim.screening_id == rows[0].id and claim.answered_at is not None


async def test_a_person_erased_meanwhile_leaves_nothing(deps, tmp_path) -> None:
    subject = await subject_id(deps)
    box = Outbox(tmp_path / "outbox.sqlite3")
    await box.put(held(901, subject))
    async with deps.sessions.begin() as session:
        await session.execute(delete(Subject))
    assert await drain(box, deps.sessions) == 1
    async with deps.sessions() as session:
        assert (await session.scalars(select(Screening))).all() == []
    assert await box.pending() == []


def test_only_not_now_errors_count_as_unreachable() -> None:
    assert unreachable(OperationalError("SELECT", {}, Exception("database is locked")))
    assert unreachable(ConnectionRefusedError())
    assert not unreachable(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    assert not unreachable(ValueError("a bug"))
