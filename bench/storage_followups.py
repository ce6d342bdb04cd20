"""Time the pending-follow-up query on PostgreSQL with 10,000 screenings (target: median <= 50 ms).

    python -m bench.storage_followups [--admin-url URL] [--screenings 10000] [--repeats 30]

Creates a database of its own on the server (dropped at the end), migrates it, fills it with
a plausible log (several teams, six months, risk mix from Hb ~ N(11, 1.6) g/dL), and prints the
median time of `storage.followups.list_followups` as a Markdown table row.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.followups import list_followups
from storage.models import FollowUp, HealthWorker, Screening, Subject, Team
from storage.pseudonyms import CASE_CODE_CHARS, random_code

ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BANDS = (11.0, 10.0, 7.0)  # children 24-59 months, g/dL
TEAMS = 4
MAX_MS = 50.0  # the query's median, so that a health worker's list opens at once


def _risk(hb: float) -> str:
    return ("none", "mild", "moderate", "severe")[sum(hb < b for b in BANDS)]


def _rows(
    n: int, rng: random.Random, open_days: float
) -> tuple[list[dict], list[dict], list[dict]]:
    """Subjects, screenings and follow-ups (one open case per person, older ones closed)."""
    now = datetime.now(UTC)
    people = max(1, n * 2 // 5)  # some people are screened more than once
    subjects = [
        {
            "id": i + 1,
            "pseudonym": secrets.token_hex(32),
            "key_id": "k1",
            "team_id": i % TEAMS + 1,
            "consent_version": "v1",
            "consent_at": now,
            "contact_opt_in": rng.random() < 0.7,
        }
        for i in range(people)
    ]
    screenings: list[dict] = []
    followups: list[dict] = []
    open_case: set[int] = set()
    for i in range(n):
        subject = rng.randrange(people) + 1
        hb = round(rng.gauss(11.0, 1.6), 1)
        warnings = ["low_attention"] if rng.random() < 0.08 else []
        at = now - timedelta(days=180 * (1 - i / n))  # oldest first
        screenings.append(
            {
                "id": i + 1,
                "subject_id": subject,
                "created_at": at,
                "hb_g_dl": hb,
                "interval_low": hb - 1.5,
                "interval_high": hb + 1.5,
                "coverage": 0.9,
                "risk": _risk(hb),
                "risk_group": "child_24_59m",
                "threshold_g_dl": BANDS[0],
                "moderate_below_g_dl": BANDS[1],
                "severe_below_g_dl": BANDS[2],
                "straddles_threshold": False,
                "group_assumed": False,
                "reliable": not warnings,
                "warnings": warnings,
                "attention_lower_half": 0.6,
                "model_version": "bench",
            }
        )
        reason = _risk(hb) if _risk(hb) in ("moderate", "severe") else None
        reason = reason or ("unreliable" if warnings else None)
        if reason is None or subject in open_case:
            continue
        age_days = 180 * (1 - i / n)
        status = (
            "pending" if age_days < open_days else rng.choice(["resolved", "resolved", "declined"])
        )
        status = "contacted" if status == "pending" and rng.random() < 0.3 else status
        if status in ("pending", "contacted"):
            open_case.add(subject)
        followups.append(
            {
                "id": len(followups) + 1,
                "case_code": random_code(CASE_CODE_CHARS),
                "subject_id": subject,
                "screening_id": i + 1,
                "team_id": (subject - 1) % TEAMS + 1,
                "status": status,
                "reason": reason,
                "opened_at": at,
                "lab_hb_g_dl": round(hb + rng.gauss(0.3, 1.0), 1) if status == "resolved" else None,
            }
        )
    return subjects, screenings, followups


async def _fill(session: AsyncSession, n: int, open_days: float) -> int:
    subjects, screenings, followups = _rows(n, random.Random(0), open_days)
    now = datetime.now(UTC)
    await session.execute(
        insert(Team), [{"id": t + 1, "name": f"team {t + 1}"} for t in range(TEAMS)]
    )
    await session.execute(
        insert(HealthWorker),
        [
            {
                "id": 1,
                "pseudonym": secrets.token_hex(32),
                "key_id": "k1",
                "team_id": 1,
                "role": "health_worker",
                "created_at": now,
            }
        ],
    )
    for model, rows in ((Subject, subjects), (Screening, screenings), (FollowUp, followups)):
        for start in range(0, len(rows), 2000):
            await session.execute(insert(model), rows[start : start + 2000])
    await session.commit()
    await session.execute(text("ANALYZE"))
    return len(followups)


async def _time(session: AsyncSession, repeats: int, **query: Any) -> tuple[list[float], int]:
    rows = await list_followups(session, **query)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        await list_followups(session, **query)
        times.append((time.perf_counter() - start) * 1000)
    return times, len(rows)


SCENARIOS = {  # label -> days a case stays open before a worker closes it
    "cases closed within 14 days": 14.0,
    "backlog: no case ever closed": 1e9,
}


async def _scenario(admin: AsyncEngine, label: str, open_days: float, n: int, repeats: int) -> None:
    name = f"bench_{secrets.token_hex(6)}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        await migrate_to_head(url)
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            cases = await _fill(session, n, open_days)
            nurse = await session.get_one(HealthWorker, 1)
            queries: dict[str, dict[str, Any]] = {
                "all teams (CLI)": {"worker": None, "statuses": ["pending"]},
                "one team, first 50 (bot)": {"worker": nurse, "statuses": ["pending"], "limit": 50},
            }
            for query_label, query in queries.items():
                times, rows = await _time(session, repeats, **query)
                median, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
                ok = "yes" if median <= MAX_MS else "NO"
                print(
                    f"| {label}; {cases:,} cases | pending, {query_label} | {rows:,} "
                    f"| {median:.1f} | {p90:.1f} | {ok} |"
                )
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def main(admin_url: str, n: int, repeats: int) -> None:
    """Each scenario in a fresh database of its own, dropped afterwards."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    machine = f"{platform.node()}, {platform.machine()}, {os.cpu_count()} CPUs"
    print(f"{n:,} screenings per database; {machine}; {datetime.now(UTC):%Y-%m-%d}")
    print(f"| log | query | rows | median ms | p90 ms | <= {MAX_MS:.0f} ms |")
    print("|---|---|---|---|---|---|")
    try:
        for label, open_days in SCENARIOS.items():
            await _scenario(admin, label, open_days, n, repeats)
    finally:
        await admin.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--admin-url", default=ADMIN_URL, help="a database to issue CREATE DATABASE in")
    p.add_argument("--screenings", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=30)
    a = p.parse_args()
    asyncio.run(main(a.admin_url, a.screenings, a.repeats))
