"""`anemia-screen export --lab-confirmed` and `anemia-screen adapt`: a programme takes its
lab-confirmed screenings out of the log and adapts the served models to its own people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import screening_log
from bot.cli.screening_log import RecordsError
from bot.training.export import ExportError, check_dataset, write
from storage.export import lab_confirmed
from storage.workers import find_team

if TYPE_CHECKING:
    from bot.training.adapt_job import AdaptResult
    from bot.training.export import Exported

EXIT_REFUSED = 4  # adapting would not help: nothing written


class AdaptCliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `export` and `adapt` to the `anemia-screen` sub-commands."""
    ex = sub.add_parser("export", help="lab-confirmed research crops as a training folder")
    ex.add_argument(
        "--lab-confirmed",
        action="store_true",
        required=True,
        help="crops of screenings whose case has a lab Hb",
    )
    ex.add_argument("--out", type=Path, required=True, help="a new folder: labels.csv, images/")
    ex.add_argument("--dataset", default="programme", help="the programme's name in the CSV")
    ex.add_argument("--team", help="only this team's people")
    ad = sub.add_parser("adapt", help="adapt the served models to a programme's own people")
    ad.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        help="an `export` folder's labels.csv (or any CSV in that layout)",
    )
    ad.add_argument("--out", type=Path, required=True, help="a new weights folder")
    ad.add_argument("--weights", type=Path, help="the weights to start from (default: shipped)")
    ad.add_argument("--seed", type=int, default=0)
    ad.add_argument("--json", action="store_true", help="print the figures as one JSON object")


def run(args: argparse.Namespace) -> int:
    """Run `export` or `adapt`."""
    try:
        return export(args) if args.command == "export" else adapt_command(args)
    except ExportError as e:
        raise AdaptCliError(str(e)) from e


def export(args: argparse.Namespace) -> int:
    """Write the lab-confirmed crops and their labels; one summary line."""
    check_dataset(args.dataset)
    done = asyncio.run(_export(args))
    lacking = f"; {done.without_age} without an age" if done.without_age else ""
    print(f"exported {done.rows} lab-confirmed screening(s) to {done.csv}{lacking}")
    return 0


async def _export(args: argparse.Namespace) -> Exported:
    async with screening_log.open_records() as sessions, sessions() as session:
        if args.team is not None and await find_team(session, name=args.team) is None:
            raise RecordsError(f"no team named {args.team!r}")
        rows = await lab_confirmed(session, team=args.team)
    return write(rows, args.out, args.dataset)


def adapt_command(args: argparse.Namespace) -> int:
    """Adapt, print the figures; exit EXIT_REFUSED when no cohort gained (nothing written)."""
    from bot.training.adapt_job import AdaptError, run
    from bot.training.adapt_report import not_better_text, summary
    from model import WEIGHTS

    missing = [str(p) for p in args.data if not p.exists()]
    if missing:
        raise AdaptCliError(f"no such data file or folder: {', '.join(missing)}")
    try:
        result = run(tuple(args.data), args.weights or WEIGHTS, args.out, args.seed)
    except AdaptError as e:
        raise AdaptCliError(str(e)) from e
    print(json.dumps(summary(result), indent=None if args.json else 2))
    for c in result.cohorts:
        if not c.photo_adds:
            print(f"anemia-screen: {c.cohort}: {not_better_text(c)}", file=sys.stderr)
    if result.written is None:
        print("anemia-screen: not adapted: " + _why(result), file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"adapted weights: {result.written} (serve with ANEMIA_WEIGHTS={result.written})",
        file=sys.stderr,
    )
    return 0


def _why(result: AdaptResult) -> str:
    if not result.cohorts:
        return "too few people in every cohort (at least 20 lab-confirmed per cohort)"
    worse = [
        f"{c.cohort}: adapted MAE {c.mae_adapted:.2f} vs served {c.mae_base:.2f} g/dL"
        for c in result.cohorts
    ]
    return "the adapted model was no better than the served one (" + "; ".join(worse) + ")"
