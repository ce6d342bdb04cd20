"""The Application factory shared by `anemia-bot` and the tests, and its start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from bot.chat.context import CONTEXT_TYPES, BotApplication, BotData
from bot.chat.delivery import ConfirmingApplication, ConfirmingBot, HandledQueue, PatientRequest
from bot.chat.handlers import housekeeping_job, register, reminder_job
from bot.chat.handlers_io import set_menu
from bot.chat.logs import protect_logs
from bot.chat.transport import BotApiTransport
from bot.pipeline.executor import Pool
from bot.services.base import Deps, Screens
from bot.services.inference_pool import pool_for
from bot.services.keys import pseudonymizer_for
from bot.services.outbox import Outbox, keep_draining
from bot.services.photo_limit import MemoryPhotoLimit, PhotoLimit, RedisPhotoLimit, SharedPhotoLimit
from bot.services.settings import BotSettings
from bot.services.startup import configure_team, relay_for, reseal
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.settings import StorageSettings

log = logging.getLogger("bot")
POOL_WAIT_S = 30.0  # for a free connection to the Bot API
API_CONNECTIONS = 32  # the most connections to the Bot API kept open, besides getUpdates' one


def build_application(
    settings: BotSettings,
    storage: StorageSettings,
    *,
    pool: Screens | None = None,
    loading: Pool | None = None,
    webhook: bool = False,
) -> BotApplication:
    """The bot: handlers, typed context, concurrent updates; resources made at start-up. `pool`:
    a started pool the caller owns (tests); `loading`: one made early (`pool_for`) that the bot
    starts and closes; neither: the bot makes its own at start-up."""
    protect_logs(settings.telegram_bot_token.get_secret_value())  # no ids, names or token
    builder = (
        Application.builder()
        .application_class(ConfirmingApplication)
        .bot(make_bot(settings))
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(True)  # people are served at once; inference has its own queue
        .post_init(startup)
        .post_shutdown(shutdown)
    )
    if webhook:  # answer Telegram only once an update is handled (bot.chat.delivery)
        builder = builder.update_queue(HandledQueue())
    app: BotApplication = builder.build()
    app.bot_data.settings, app.bot_data.storage, app.bot_data.given_pool = settings, storage, pool
    app.bot_data.owned_pool = loading
    register(app)
    return app


def make_bot(settings: BotSettings) -> ExtBot[None]:
    """The Bot API client: retries only what Telegram did not do (see bot.chat.delivery)."""
    return ConfirmingBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        # Under a burst every handler calls Telegram at once, through aiohttp's pool
        # (bot.chat.transport). API_CONNECTIONS is ample for one host (Telegram allows about
        # 30 messages/s); a request waits up to POOL_WAIT_S for a free connection instead of
        # failing after PTB's 1 s. The pool's size is the transport's: httpx ignores the limits
        # PTB would set (connection_pool_size) once a transport is given.
        request=PatientRequest(
            pool_timeout=POOL_WAIT_S,
            httpx_kwargs={"transport": BotApiTransport(API_CONNECTIONS)},
        ),
        get_updates_request=PatientRequest(connection_pool_size=1),
    )


async def startup(app: BotApplication) -> None:
    """Check the key, migrate, load the models once, set up the team and the command menus."""
    data: BotData = app.bot_data
    assert data.settings is not None and data.storage is not None
    settings = data.settings
    pseudonyms = pseudonymizer_for(data.storage, settings.anemia_dev_mode)
    if data.given_pool is None and data.owned_pool is None:
        data.owned_pool = pool_for(settings)  # its child loads the models meanwhile
    await migrate_to_head(data.storage.database_url)
    data.engine = make_engine(data.storage.database_url)
    protect_logs()  # also the loggers of the database drivers imported just now
    sessions = make_sessionmaker(data.engine)
    pool = data.given_pool
    if pool is None:
        assert data.owned_pool is not None
        await asyncio.to_thread(data.owned_pool.start)  # until each worker has its models
        pool = data.owned_pool
    team_id = await configure_team(sessions, pseudonyms, settings)
    limiter = photo_limit(sessions, data.storage.database_url, settings)
    outbox = Outbox(settings.outbox_path)
    relay = relay_for(settings)
    if relay is not None:
        await reseal(sessions, relay)
    data.deps = Deps(sessions, pseudonyms, pool, settings, team_id, limiter, outbox, relay=relay)
    # writes screenings held while the database was unreachable, this run's or a previous one's
    data.drainer = asyncio.create_task(keep_draining(outbox, sessions, settings.outbox_retry_s))
    await set_commands(app, settings)
    schedule(app, settings)
    configured = len(settings.health_worker_ids) + len(settings.admin_ids)
    log.info("ready: team %s, %s configured workers", team_id, configured)


def photo_limit(
    sessions: async_sessionmaker[AsyncSession], url: str, settings: BotSettings
) -> PhotoLimit:
    """Shared in Redis with REDIS_URL, else in the database on PostgreSQL (several replicas);
    in memory on SQLite (one process)."""
    limit, window = settings.photo_rate_limit, settings.photo_rate_window_s
    if settings.redis_url is not None:
        client = Redis.from_url(settings.redis_url.get_secret_value())
        return RedisPhotoLimit(client, limit, window)
    if make_url(url).get_backend_name() == "postgresql":
        return SharedPhotoLimit(sessions, limit, window)
    return MemoryPhotoLimit(limit, window)


def schedule(app: BotApplication, settings: BotSettings) -> None:
    """The JobQueue's jobs: pruning (every replica may: the deletes are idempotent) and, with
    a relay key, the reminders (due cases are locked, so two replicas do not both remind)."""
    if app.job_queue is None:
        return
    every = settings.housekeeping_interval_s
    app.job_queue.run_repeating(housekeeping_job, every, first=every, name="housekeeping")
    if settings.relay_key is not None:
        every = settings.reminder_interval_s
        app.job_queue.run_repeating(reminder_job, every, first=every, name="reminders")


async def set_commands(app: BotApplication, settings: BotSettings) -> None:
    """The people's menu for everyone (per language); the workers' menu in workers' chats."""
    await set_menu(app.bot)
    for chat_id in (*settings.health_worker_ids, *settings.admin_ids):
        try:
            await set_menu(app.bot, worker_chat=chat_id)
        except TelegramError as e:  # "chat not found" until the worker has written to the bot
            log.warning("workers' menu not set for a configured worker: %s", type(e).__name__)


async def shutdown(app: BotApplication) -> None:
    """Stop the outbox drainer; close the database engine and the inference workers."""
    data: BotData = app.bot_data
    if data.drainer is not None:
        data.drainer.cancel()
        await asyncio.gather(data.drainer, return_exceptions=True)
    if data.engine is not None:
        await data.engine.dispose()
    if data.deps is not None and isinstance(data.deps.limiter, RedisPhotoLimit):
        await data.deps.limiter.close()
    if data.owned_pool is not None:
        await asyncio.to_thread(data.owned_pool.close)
