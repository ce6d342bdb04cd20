"""`anemia-screen followups list|contacted|decline|note|assign|resolve` and `anemia-screen
stats`: the screening log at the terminal, for the operator (every team). The database is
DATABASE_URL, as for the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli import screening_log
from bot.cli import stats as cli_stats
from bot.cli.screening_log import RecordsError
from bot.cli.stats import parse_since
from bot.services.records import case_object, cases_csv
from storage.followups import FollowUpView
from storage.models import RISKS, STATUSES
from storage.pseudonyms import format_case_code

__all__ = ["RecordsError", "add_parsers", "run"]

COLUMNS = ("case", "opened_utc", "status", "reason", "risk", "hb", "interval", "lab_hb", "team")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `followups` (list, contacted, decline, note, assign, resolve) and `stats` to the
    `anemia-screen` sub-commands."""
    f = sub.add_parser("followups", help="the health workers' follow-up cases")
    fsub = f.add_subparsers(dest="followups_command", required=True)
    ls = fsub.add_parser("list", help="list cases, oldest first")
    ls.add_argument("--status", help=f"comma-separated: {','.join(STATUSES)} (default: all)")
    ls.add_argument("--since", help="opened on or after this UTC date, YYYY-MM-DD")
    ls.add_argument("--risk", help=f"comma-separated screening risks: {','.join(RISKS)}")
    ls.add_argument("--team", help="only this team's cases")
    ls.add_argument("--format", choices=("table", "csv", "json"), default="table")
    ct = fsub.add_parser("contacted", help="the person was reached (again)")
    ct.add_argument("code", help="the case code, e.g. K7QX-M2PA")
    ct.add_argument("--note", help="a note for the case")
    dc = fsub.add_parser("decline", help="close a case the person declined")
    dc.add_argument("code", help="the case code, e.g. K7QX-M2PA")
    dc.add_argument("--reason", required=True, help="why, kept as the case's note")
    nt = fsub.add_parser("note", help="add a note to a case, open or closed")
    nt.add_argument("code", help="the case code, e.g. K7QX-M2PA")
    nt.add_argument("--text", required=True, help="the note")
    asg = fsub.add_parser("assign", help="take a case from the worker it is assigned to")
    asg.add_argument("code", help="the case code, e.g. K7QX-M2PA")
    asg.add_argument(
        "--unassign",
        action="store_true",
        required=True,
        help="assign it to nobody; a worker then takes it with /take in the chat",
    )
    rs = fsub.add_parser("resolve", help="close a case with the lab-confirmed Hb")
    rs.add_argument("code", help="the case code, e.g. K7QX-M2PA")
    rs.add_argument("--lab-hb", type=float, required=True, help="lab Hb, g/dL")
    rs.add_argument("--lab-date", help="date of the blood test, YYYY-MM-DD (default: today)")
    rs.add_argument("--outcome", help="what happened, e.g. 'treated with iron'")
    rs.add_argument("--note", help="a note for the case")
    st = sub.add_parser("stats", help="screenings, risk mix, follow-ups and field accuracy")
    st.add_argument("--since", help="screened on or after this UTC date, YYYY-MM-DD")
    st.add_argument("--format", choices=("text", "json"), default="text")
    st.add_argument("--plot", type=Path, help="write the Bland-Altman picture (PNG) here")


def run(args: argparse.Namespace) -> int:
    """Run `followups ...` or `stats`; raises RecordsError with a one-line message."""
    if args.command == "stats":
        return asyncio.run(cli_stats.stats(args))
    return asyncio.run(FOLLOWUPS[args.followups_command](args))


def _date(text: str | None) -> date | None:
    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError:
        raise RecordsError(f"--lab-date must be a date, YYYY-MM-DD; got {text!r}") from None


def _choices(text: str | None, allowed: Sequence[str], flag: str) -> list[str]:
    values = [v.strip().lower() for v in (text or "").split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise RecordsError(f"{flag}: unknown {', '.join(bad)}; choose from {', '.join(allowed)}")
    return values


async def _list(args: argparse.Namespace) -> int:
    statuses = _choices(args.status, STATUSES, "--status")
    risks = _choices(args.risk, RISKS, "--risk")
    since = parse_since(args.since)
    async with screening_log.open_records() as sessions:
        cases = await screening_log.list_cases(
            sessions, statuses=statuses, risks=risks, since=since, team=args.team
        )
    print(render_cases(cases, args.format), end="")
    return 0


def _cells(c: FollowUpView) -> tuple[str, ...]:
    lab = "" if c.lab_hb_g_dl is None else f"{c.lab_hb_g_dl:.1f}"
    return (
        format_case_code(c.case_code),
        c.opened_at.strftime("%Y-%m-%d %H:%M"),
        c.status,
        c.reason,
        c.risk,
        f"{c.hb_g_dl:.1f}",
        f"{c.interval_low:.1f}-{c.interval_high:.1f}",
        lab,
        c.team or "",
    )


def render_cases(cases: Sequence[FollowUpView], fmt: str) -> str:
    """The cases as a table, CSV or a JSON list of objects."""
    if fmt == "json":
        return json.dumps([case_object(c) for c in cases], indent=2) + "\n"
    if fmt == "csv":
        return cases_csv(cases)
    rows = [COLUMNS, *(_cells(c) for c in cases)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([*lines, f"{len(cases)} case(s)"]) + "\n"


async def _resolve(args: argparse.Namespace) -> int:
    lab_date = _date(args.lab_date)
    async with screening_log.open_records() as sessions:
        done = await screening_log.resolve_case(
            sessions,
            case_code=args.code,
            lab_hb_g_dl=args.lab_hb,
            lab_date=lab_date,
            outcome=args.outcome,
            note=args.note,
        )
    diff = done.hb_g_dl - args.lab_hb
    print(
        f"resolved {format_case_code(done.case_code)}: lab Hb {args.lab_hb:.1f} g/dL, "
        f"estimate {done.hb_g_dl:.1f} g/dL (estimate - lab {diff:+.1f})"
    )
    return 0


async def _contacted(args: argparse.Namespace) -> int:
    async with screening_log.open_records() as sessions:
        code = await screening_log.contact_case(sessions, case_code=args.code, note=args.note)
    print(f"contacted {format_case_code(code)}")
    return 0


async def _decline(args: argparse.Namespace) -> int:
    async with screening_log.open_records() as sessions:
        code = await screening_log.decline_case(sessions, case_code=args.code, reason=args.reason)
    print(f"declined {format_case_code(code)}")
    return 0


async def _note(args: argparse.Namespace) -> int:
    async with screening_log.open_records() as sessions:
        code = await screening_log.note_case(sessions, case_code=args.code, text=args.text)
    print(f"note added to {format_case_code(code)}")
    return 0


async def _assign(args: argparse.Namespace) -> int:
    async with screening_log.open_records() as sessions:
        code = await screening_log.unassign_case(sessions, case_code=args.code)
    print(f"{format_case_code(code)} is now assigned to nobody")
    return 0


FOLLOWUPS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "list": _list,
    "contacted": _contacted,
    "decline": _decline,
    "note": _note,
    "assign": _assign,
    "resolve": _resolve,
}
