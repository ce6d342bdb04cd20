"""Scratch databases on the local PostgreSQL server (README, Set up and test)."""

from __future__ import annotations

import secrets

import asyncpg
from sqlalchemy.engine import make_url

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{}"


class Unreachable(Exception):
    """The PostgreSQL server did not answer."""


async def admin() -> asyncpg.Connection:
    """A connection to the server's `test` database, for CREATE/DROP DATABASE."""
    try:
        return await asyncpg.connect(**PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError) as e:
        where = f"{PG_ADMIN['host']}:{PG_ADMIN['port']}"
        raise Unreachable(f"PostgreSQL at {where} unreachable ({e}); see README") from e


async def create_database(prefix: str = "test") -> str:
    """A new, empty database of our own; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    conn = await admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_URL.format(name)


async def drop_database(url: str) -> None:
    """Drop a database made by create_database, even with connections left open."""
    name = make_url(url).database
    conn = await admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
