"""What a load run left in the bot's database: whether it was in use before, rows per person."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bench.botproc import KEY_ID, LoadError
from storage.db import make_engine
from storage.models import ProcessedUpdate, Screening, Subject
from storage.pseudonyms import Pseudonymizer


async def database_in_use(url: str) -> bool:
    """Whether the database already holds processed updates (their ids would collide)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            try:
                count = select(func.count()).select_from(ProcessedUpdate)
                return bool((await conn.execute(count)).scalar_one())
            except SQLAlchemyError:  # not migrated yet
                return False
    except (OSError, SQLAlchemyError) as e:
        raise LoadError(f"cannot reach the database: {type(e).__name__}") from e
    finally:
        await engine.dispose()


async def rows_per_person(url: str, key: str, users: list[int]) -> dict[int, int]:
    """Screening rows per person, found by the pseudonym the bot keyed with `key`."""
    names = Pseudonymizer(KEY_ID, key.encode())
    by_pseudonym = {names.pseudonym(user).value: user for user in users}
    query = (
        select(Subject.pseudonym, func.count(Screening.id))
        .join(Screening, Screening.subject_id == Subject.id)
        .where(Subject.pseudonym.in_(by_pseudonym))
        .group_by(Subject.pseudonym)
    )
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {by_pseudonym[p]: int(n) for p, n in await conn.execute(query)}
    finally:
        await engine.dispose()
