"""A local outbox for finished screenings the database could not take: kept on disk (fsync'd)
and written to the database when it is reachable again, so no result shown is ever lost.

It holds pseudonymised data only: the update id (for the once-only claim), the internal
subject id, the time and the screening record. No Telegram id, name or image.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Subject
from storage.screenings import ScreeningRecord, log_update_screening
from storage.updates import claim_update

log = logging.getLogger("bot")
MAX_RETRY_S = 60.0

# errors that say "the database is not there now", worth holding a screening for; anything
# else (a bug, a constraint) would fail again, so the person is told to resend instead
_UNREACHABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    OSError,  # asyncpg's refused connection reaches us unwrapped
)


# PostgreSQL's SQLSTATE classes for "not now": connection exception, insufficient resources
# (too many connections), operator intervention (shutdown, restart), system error (I/O);
# and 55000, which is what a database answers that does not accept connections (maintenance)
_UNREACHABLE_SQLSTATES = ("08", "53", "57", "58", "55000")


def unreachable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached (transient), not a bad write."""
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = str(getattr(error.orig, "sqlstate", None) or "")
        if state and state.startswith(_UNREACHABLE_SQLSTATES):
            return True
    return isinstance(error, _UNREACHABLE)


@dataclass(frozen=True)
class Held:
    """One screening waiting for the database."""

    update_id: int  # claimed when written: a screening is logged once even if the commit was lost
    subject_id: int
    at: datetime  # when it was screened; the row keeps this time, not the time it is written
    record: ScreeningRecord

    def dumps(self) -> str:
        return json.dumps({**asdict(self), "at": self.at.isoformat()})

    @classmethod
    def loads(cls, text: str) -> Held:
        raw: dict[str, Any] = json.loads(text)
        # JSON has no tuples: every list in the record was one
        fields: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in raw["record"].items()
        }
        record = ScreeningRecord(**fields)
        at = datetime.fromisoformat(raw["at"])
        return cls(raw["update_id"], raw["subject_id"], at, record)


class Outbox:
    """A small SQLite file (not the main database) with one row per held screening.

    Each write commits with synchronous=FULL, so a held screening survives a crash or power
    cut. The file is made only when something is held.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wake = asyncio.Event()  # set when something is held: the drainer tries at once

    def _connect(self) -> sqlite3.Connection:
        fresh = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)  # pseudonymised, but still health data
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS held (update_id INTEGER PRIMARY KEY, body TEXT)")
        return conn

    def _put(self, held: Held) -> None:
        with _closing(self._connect()) as conn:
            conn.execute("INSERT OR IGNORE INTO held VALUES (?, ?)", (held.update_id, held.dumps()))

    def _pending(self) -> list[Held]:
        if not self.path.exists():
            return []
        with _closing(self._connect()) as conn:
            rows = conn.execute("SELECT body FROM held ORDER BY update_id").fetchall()
        return [Held.loads(body) for (body,) in rows]

    def _remove(self, update_id: int) -> None:
        with _closing(self._connect()) as conn:
            conn.execute("DELETE FROM held WHERE update_id = ?", (update_id,))

    async def put(self, held: Held) -> None:
        """Hold a screening on disk (raises OSError or sqlite3.Error if the disk refuses)."""
        await asyncio.to_thread(self._put, held)
        self.wake.set()

    async def pending(self) -> list[Held]:
        """The held screenings, oldest update first."""
        return await asyncio.to_thread(self._pending)

    async def remove(self, update_id: int) -> None:
        """Forget a screening once it is in the database."""
        await asyncio.to_thread(self._remove, update_id)


class _closing:
    """sqlite3's connection context manager commits but does not close; this closes too."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


async def write_held(session: AsyncSession, held: Held) -> str:
    """Log one held screening in `session`; what happened to it, for the log line."""
    if not await claim_update(session, update_id=held.update_id):
        return "already logged"  # the commit had gone through before the connection was lost
    subject = await session.get(Subject, held.subject_id)
    # erased meanwhile (or, on SQLite, the id reused by someone who came later): keep nothing
    if subject is None or subject.created_at > held.at:
        return "dropped: the person was erased"
    # the person saw the result when it was held
    row, _case = await log_update_screening(
        session,
        update_id=held.update_id,
        subject_id=subject.id,
        record=held.record,
        at=held.at,
        answered=True,
    )
    return f"logged as screening {row.id}"


async def drain(outbox: Outbox, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Write every held screening, each in its own transaction; how many were handled."""
    done = 0
    for held in await outbox.pending():
        async with sessions.begin() as session:
            what = await write_held(session, held)
        await outbox.remove(held.update_id)
        log.info("outbox: update %s %s", held.update_id, what)
        done += 1
    return done


async def keep_draining(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession], first_retry_s: float
) -> None:
    """Run for the bot's life: drain now, when something is held, and with backoff on failure."""
    retry = first_retry_s
    while True:
        outbox.wake.clear()
        try:
            await drain(outbox, sessions)
        except Exception as e:  # the drainer must outlive any failure; it retries later
            level = logging.WARNING if unreachable(e) else logging.ERROR
            log.log(
                level, "outbox: database not written (%s); retry in %.0f s", type(e).__name__, retry
            )
            await asyncio.sleep(retry)
            retry = min(retry * 2, MAX_RETRY_S)
            continue
        retry = first_retry_s
        # the timeout is a safety net, e.g. for a file another process's outbox filled
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(outbox.wake.wait(), MAX_RETRY_S)
