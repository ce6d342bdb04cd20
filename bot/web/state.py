"""What the web application holds while it runs, made at start (`bot.web.app.serve` or
`bot.web.local`) and read by every route from `request.app.state.web`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from bot.services.base import Deps
from bot.services.relay_key import Relay
from bot.services.settings import BotSettings
from bot.web.settings import WebSettings

# sends a relayed message to a person's chat: True once it was taken
Deliver = Callable[[int, str], Awaitable[bool]]


async def undeliverable(chat_id: int, text: str) -> bool:
    """No way to reach a chat from this process (anemia-web without a bot token)."""
    return False


@dataclass
class Web:
    """The database, the settings, the relay and how its messages go out; with `--local`, the
    services' resources (`deps`) for the trial's chat page too."""

    sessions: async_sessionmaker[AsyncSession]
    settings: BotSettings
    web: WebSettings
    relay: Relay | None = None
    deliver: Deliver = undeliverable
    deps: Deps | None = None
    local: bool = False  # a local trial: the banner says so on every page
    extra: dict[str, object] = field(default_factory=dict)  # the local chats (bot.web.chat)


def web_of(request: Request) -> Web:
    """The running application's resources."""
    web: Web = request.app.state.web
    return web
