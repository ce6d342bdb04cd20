"""`anemia-screen web-link --team NAME [--admin] [--base-url URL]`: one sign-in link to the
dashboard, for the operator, printed on one line. It signs in as the team's office (notes are
the office's; `--admin`: as its admin); it works once, within 15 minutes."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli import screening_log
from bot.cli.screening_log import RecordsError
from bot.services.team import signin_url
from storage.weblinks import create_link
from storage.workers import find_team


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser("web-link", help="a one-time sign-in link to the dashboard")
    w.add_argument("--team", required=True, help="the team whose cases the dashboard shows")
    w.add_argument("--admin", action="store_true", help="sign in as the team's admin")
    w.add_argument("--base-url", help="the dashboard's address (default: WEB_BASE_URL)")


def run(args: argparse.Namespace) -> int:
    base = args.base_url or _configured_base()
    if not base.startswith(("http://", "https://")):
        raise RecordsError(f"--base-url must start with http:// or https://, not {base!r}")
    print(asyncio.run(_link(args.team, "admin" if args.admin else "health_worker", base)))
    return 0


def _configured_base() -> str:
    from pydantic import ValidationError

    from bot.services.settings import BotSettings

    try:
        base = BotSettings().web_base_url
    except ValidationError as e:
        raise RecordsError(f"bad setting: {e.errors()[0]['msg']}") from None
    if base is None:
        raise RecordsError("give --base-url, or set WEB_BASE_URL")
    return base


async def _link(team: str, role: str, base: str) -> str:
    async with screening_log.open_records() as sessions, sessions.begin() as session:
        found = await find_team(session, name=team)
        if found is None:
            raise RecordsError(f"no team named {team!r}")
        return signin_url(base, await create_link(session, team_id=found.id, role=role))
