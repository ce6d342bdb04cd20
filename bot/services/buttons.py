"""Inline buttons: route "prefix:value" callback data to its service; anything else is stale,
and so is data that no button under the pressed message carries (a forged or replayed press).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from bot.services import people, profile, research
from bot.services.base import Deps, Out, Who
from bot.texts import i18n

Route = Callable[[Deps, Who, str], Awaitable[list[Out]]]
ROUTES: dict[str, Route] = {
    "consent": people.answer_consent,
    "lang": people.set_language_to,
    "delete": people.confirm_delete,
    "age": lambda deps, who, value: profile.answer(deps, who, "age", value),
    "sex": lambda deps, who, value: profile.answer(deps, who, "sex", value),
    "preg": lambda deps, who, value: profile.answer(deps, who, "preg", value),
    "research": research.answer,
    "contact": profile.contact,
}
MAX_DATA = 64  # Telegram's own limit on callback data, in bytes


async def press(deps: Deps, who: Who, data: str | None, offered: Collection[str]) -> list[Out]:
    """The replies to a button press; data that no button under the pressed message carries
    (`offered`), or that no route of ours takes, gets the stale note."""
    prefix, _, value = (data or "").partition(":")
    route = ROUTES.get(prefix)
    if route is None or data is None or len(data) > MAX_DATA or data not in offered:
        return [Out(i18n.t(who.language_code, "stale_button"))]
    return await route(deps, who, value)
