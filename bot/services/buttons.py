"""Inline buttons: route "prefix:value" callback data to its service; anything else is stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import i18n
from bot.services import people, profile
from bot.services.base import Deps, Out, Who

Route = Callable[[Deps, Who, str], Awaitable[list[Out]]]
ROUTES: dict[str, Route] = {
    "consent": people.answer_consent,
    "lang": people.set_language_to,
    "delete": people.confirm_delete,
    "age": lambda deps, who, value: profile.answer(deps, who, "age", value),
    "sex": lambda deps, who, value: profile.answer(deps, who, "sex", value),
    "preg": lambda deps, who, value: profile.answer(deps, who, "preg", value),
}
MAX_DATA = 64  # Telegram's own limit on callback data, in bytes


async def press(deps: Deps, who: Who, data: str | None) -> list[Out]:
    """The replies to a button press; data no button of ours carried gets the stale note."""
    prefix, _, value = (data or "").partition(":")
    route = ROUTES.get(prefix)
    if route is None or len(data or "") > MAX_DATA:
        return [Out(i18n.t(who.language_code, "stale_button"))]
    return await route(deps, who, value)
