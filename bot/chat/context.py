"""The typed context handlers get: the bot's resources as properties, no bot_data casts."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.chat.services.base import Deps, Screens
from bot.chat.settings import BotSettings
from bot.pipeline.executor import Pool
from storage.pseudonyms import Pseudonymizer
from storage.settings import StorageSettings


class BotData:
    """application.bot_data: the settings given to the factory and what start-up made."""

    def __init__(self) -> None:
        self.settings: BotSettings | None = None
        self.storage: StorageSettings | None = None
        self.given_pool: Screens | None = None  # tests share one pool across applications
        self.owned_pool: Pool | None = None  # made at start-up, closed at shutdown
        self.engine: AsyncEngine | None = None
        self.deps: Deps | None = None
        self.drainer: asyncio.Task[None] | None = None  # writes the outbox to the database


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with the running bot's resources."""

    @property
    def deps(self) -> Deps:
        if self.bot_data.deps is None:
            raise RuntimeError("the bot has not finished starting")
        return self.bot_data.deps

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.deps.sessions

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        return self.deps.pseudonyms

    @property
    def pool(self) -> Screens:
        return self.deps.pool


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
