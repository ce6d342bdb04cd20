"""`anemia-web`: the health workers' dashboard as a process of its own on the bot's database
(the application factory `build_app` is shared with `anemia-bot --local`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.services.settings import BotSettings
from bot.services.startup import relay_for
from bot.web import casepage, dashboard, figures
from bot.web.botapi import BotApiSender
from bot.web.pages import SecurityHeaders
from bot.web.settings import WebSettings, get_web_settings
from bot.web.state import Web
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.settings import StorageSettings, get_settings
from storage.workers import get_or_create_team

log = logging.getLogger("web")
STATIC = Path(__file__).parent / "static"
Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


async def to_dashboard(request: Request) -> Response:
    return RedirectResponse("/dashboard", status_code=303)


def build_app(
    web: Web, *, routes: Sequence[BaseRoute] = (), lifespan: Lifespan | None = None
) -> Starlette:
    """The dashboard's routes after `routes` (the local trial's chat page), with the static
    files and the security headers; `web` is the state every route reads."""
    every = [
        *routes,
        *dashboard.ROUTES,
        *casepage.ROUTES,
        *figures.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if not routes:
        every.insert(0, Route("/", to_dashboard))
    app = Starlette(routes=every, middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)
    app.state.web = web
    return app


def dashboard_app(settings: BotSettings, storage: StorageSettings, web: WebSettings) -> Starlette:
    """`anemia-web`'s application: the database migrated and TEAM made at start (as the bot
    does), the relay
    under RELAY_KEY with its messages sent through the Bot API when a token is set."""
    engine = make_engine(storage.database_url)
    token = settings.telegram_bot_token.get_secret_value()
    sender = BotApiSender(settings.telegram_base_url, token) if token else None
    state = Web(make_sessionmaker(engine), settings, web, relay=relay_for(settings))
    if sender is not None:
        state.deliver = sender

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate_to_head(storage.database_url)
        async with state.sessions.begin() as session:  # as the bot does: TEAM exists
            await get_or_create_team(session, name=settings.team)
        log.info("dashboard ready")
        try:
            yield
        finally:
            if sender is not None:
                await sender.close()
            await engine.dispose()

    return build_app(state, lifespan=lifespan)


def _parse(argv: list[str] | None, web: WebSettings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="anemia-web", description=__doc__)
    parser.add_argument("--host", default=web.web_host, help="address to listen on (WEB_HOST)")
    parser.add_argument("--port", type=int, default=web.web_port, help="port (WEB_PORT)")
    return parser.parse_args(argv)


def invalid(error: ValidationError) -> str:
    """Which settings are wrong and why, without their values (a value may be a secret)."""
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    return "; ".join(
        f"{'.'.join(map(str, p['loc'])).upper() or 'settings'}: {p['msg']}" for p in problems
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the dashboard until interrupted; 2 when a setting is not valid."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    try:
        web = get_web_settings()
        settings, storage = BotSettings(), get_settings()
    except ValidationError as e:
        print(f"anemia-web: {invalid(e)}", file=sys.stderr)
        return 2
    args = _parse(argv, web)
    app = dashboard_app(settings, storage, web)
    # no access log: a sign-in link's token is in its query string
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
