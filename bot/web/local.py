"""`anemia-bot --local`: the whole service on this machine, no Telegram token, no network. The
chat page at `/` and the dashboard at `/dashboard`, over the same services, texts, buttons,
models and database as the bot (DATABASE_URL, SQLite by default, migrated at start). Its
pseudonym and relay keys are made on first start in a file of its own (ANEMIA_LOCAL_DIR)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette

from bot.pipeline.executor import Pool
from bot.services.base import Deps, Screens
from bot.services.inference_pool import pool_for
from bot.services.outbox import Outbox, keep_draining
from bot.services.photo_limit import MemoryPhotoLimit
from bot.services.relay_key import new_key
from bot.services.settings import BotSettings
from bot.services.startup import configure_team, relay_for
from bot.web import chat
from bot.web.app import build_app
from bot.web.chat import Chats
from bot.web.settings import WebSettings
from bot.web.state import Web
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.pseudonyms import Pseudonymizer
from storage.settings import StorageSettings

log = logging.getLogger("web")
KEY_FILE = "local-keys.json"
KEY_ID = "local"


@dataclass(frozen=True)
class LocalKeys:
    pseudonym_key: str
    relay_key: str
    path: Path
    made: bool  # made on this start


def local_keys(folder: Path) -> LocalKeys:
    """The trial's keys, read from `folder`, or made there (readable by the owner only)."""
    path = folder / KEY_FILE
    if path.is_file():
        kept = json.loads(path.read_text("utf-8"))
        return LocalKeys(kept["pseudonym_key"], kept["relay_key"], path, False)
    folder.mkdir(parents=True, exist_ok=True)
    made = {"pseudonym_key": secrets.token_urlsafe(32), "relay_key": new_key()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(made, f)
    return LocalKeys(made["pseudonym_key"], made["relay_key"], path, True)


def local_address(host: str, port: int) -> str:
    """The trial's address as a browser writes it (127.0.0.1 when it listens everywhere)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def local_settings(settings: BotSettings, keys: LocalKeys, address: str) -> BotSettings:
    """The bot's settings for the trial: its relay key, /web's links to this page, photos
    screened in one thread of this process (one process serves the page and the models)."""
    return settings.model_copy(
        update={
            "relay_key": SecretStr(keys.relay_key),
            "relay_old_keys": (),
            "web_base_url": address,
            "inference_processes": False,
            "inference_workers": 1,
        }
    )


def local_app(
    settings: BotSettings,
    storage: StorageSettings,
    web: WebSettings,
    *,
    port: int,
    host: str = "127.0.0.1",
    pool: Screens | None = None,
) -> Starlette:
    """The trial's application; `pool`: a running inference pool (tests), else one is made."""
    keys = local_keys(web.anemia_local_dir)
    if keys.made:
        print(
            f"anemia-bot --local: made a local pseudonym key in {keys.path} (keep it: the "
            "trial's records are found by it)",
            flush=True,
        )
    address = local_address(host, port)
    settings = local_settings(settings, keys, address)
    pseudonyms = Pseudonymizer(KEY_ID, keys.pseudonym_key.encode())
    engine = make_engine(storage.database_url)
    sessions = make_sessionmaker(engine)
    chats = Chats(keys.pseudonym_key.encode())
    state = Web(
        sessions,
        settings,
        web,
        relay=relay_for(settings),
        deliver=chats.deliver,
        local=True,
        extra={"chats": chats},
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate_to_head(storage.database_url)
        owned = None if pool is not None else await asyncio.to_thread(_start_pool, settings)
        screens = pool if pool is not None else owned
        assert screens is not None
        team_id = await configure_team(sessions, pseudonyms, settings)
        outbox = Outbox(web.anemia_local_dir / "outbox.sqlite3")
        limiter = MemoryPhotoLimit(settings.photo_rate_limit, settings.photo_rate_window_s)
        state.deps = Deps(
            sessions,
            pseudonyms,
            screens,
            settings,
            team_id,
            limiter,
            outbox,
            relay=state.relay,
        )
        drainer = asyncio.create_task(keep_draining(outbox, sessions, settings.outbox_retry_s))
        print(
            f"anemia-bot --local: a local trial at {address}/ (the dashboard at "
            f"/dashboard; a sign-in link: anemia-screen web-link --team {settings.team} "
            f"--base-url {address})",
            flush=True,
        )
        try:
            yield
        finally:
            drainer.cancel()
            await asyncio.gather(drainer, return_exceptions=True)
            if owned is not None:
                await asyncio.to_thread(owned.close)
            await engine.dispose()

    return build_app(state, routes=chat.ROUTES, lifespan=lifespan)


def _start_pool(settings: BotSettings) -> Pool:
    """The inference worker `local_settings` asks for, its models loaded (seconds)."""
    made = pool_for(settings)
    made.start()
    return made


def serve_local(
    settings: BotSettings, storage: StorageSettings, web: WebSettings, port: int, host: str
) -> None:
    """Serve the trial on `host`:`port` until interrupted (127.0.0.1: this machine only)."""
    app = local_app(settings, storage, web, port=port, host=host)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
