"""`anemia-screen prune [--dry-run]`: delete the records past their retention, as the bot's
housekeeping job does (storage.retention; docs/STORAGE.md), from the terminal: before a
report, after lowering RETENTION_DAYS, or where no bot runs. The database is DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from pydantic import ValidationError

from bot.cli import screening_log
from bot.cli.screening_log import RecordsError
from storage.retention import Cutoffs, Pruned, prune_records
from storage.settings import StorageSettings, get_settings

__all__ = ["add_parsers", "lines", "run"]


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `prune` to the `anemia-screen` sub-commands."""
    p = sub.add_parser(
        "prune",
        help="delete the records past their retention (RETENTION_DAYS, RESEARCH_RETENTION_DAYS)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")


def _settings() -> StorageSettings:
    try:
        return get_settings()
    except ValidationError as e:
        error = e.errors()[0]
        name = "_".join(str(part) for part in error["loc"]).upper()
        raise RecordsError(f"bad setting {name}: {error['msg']}") from None


def run(args: argparse.Namespace) -> int:
    """Prune (or count, with --dry-run) and print one line per kind of record."""
    settings = _settings()
    pruned = asyncio.run(_prune(settings, args.dry_run))
    print("\n".join(lines(pruned, settings, args.dry_run)))
    return 0


async def _prune(settings: StorageSettings, dry_run: bool) -> Pruned:
    cutoffs = Cutoffs.of(
        datetime.now(UTC),
        days=settings.retention_days,
        crop_days=settings.research_retention_days,
    )
    url = settings.database_url
    async with screening_log.open_records(url) as sessions, sessions.begin() as session:
        return await prune_records(session, cutoffs=cutoffs, dry_run=dry_run)


def lines(p: Pruned, settings: StorageSettings, dry_run: bool) -> list[str]:
    """What went (or would go), one line per kind, with the rule that sent it."""
    days, crop_days = settings.retention_days, settings.research_retention_days
    verb = "would delete" if dry_run else "deleted"
    kinds = (
        (p.cases, "closed case(s)", f"closed more than {days} days ago"),
        (p.notes, "case note(s)", "of those cases"),
        (p.screenings, "screening(s)", f"made more than {days} days ago, no kept case's"),
        (
            p.crops,
            "research crop(s)",
            f"kept more than {crop_days} days ago, or of those screenings",
        ),
        (p.people, "person(s)", f"nothing left, last agreed more than {days} days ago"),
    )
    out = [f"{verb} {n} {kind} ({why})" for n, kind, why in kinds]
    return [*out, "dry run: nothing was deleted"] if dry_run else out
