"""Reading the bot's calls as a chat would: which buttons a message offers, and its id."""

from __future__ import annotations

import json
from typing import Any


def buttons(call: Any) -> list[str]:
    """The callback data of every inline button on the message a call sent."""
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def message_id(call: Any) -> int:
    """The id of the message a call sent."""
    return int(call.result["message_id"])
