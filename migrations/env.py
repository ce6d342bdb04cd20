"""Alembic environment: the URL from `-x url=...`, else the config, else DATABASE_URL.

Runs on the async drivers. `storage.db.migrate_to_head` hands in an open connection through
`config.attributes["connection"]`, so the service can migrate from inside its event loop.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.models import Base, UTCDateTime
from storage.settings import async_url, get_settings

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url") or get_settings().database_url
    return async_url(url)


def render_item(type_, obj, autogen_context):
    # migrations stand on plain SQLAlchemy types, never on storage's (which may change)
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=Base.metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_offline() -> None:
    url = database_url()
    configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode copies the table instead
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    engine = make_engine(database_url(), null_pool=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (connection := config.attributes.get("connection")) is not None:
    run_with(connection)
else:
    asyncio.run(run_async())
