"""The relay's messages from `anemia-web`, a process without the Telegram application: one
Bot API sendMessage over HTTP (the bot's own TELEGRAM_* settings), plain text as the bot
sends it. Never logs the URL (it holds the token)."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("web")
TIMEOUT_S = 10.0


class BotApiSender:
    """Sends a text to a chat through the Bot API; True once Telegram took it."""

    def __init__(self, base_url: str, token: str) -> None:
        self._url = f"{base_url}{token}/sendMessage"
        self.client = httpx.AsyncClient(timeout=TIMEOUT_S)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines show the URL

    async def __call__(self, chat_id: int, text: str) -> bool:
        try:
            reply = await self.client.post(self._url, json={"chat_id": chat_id, "text": text})
            ok = reply.status_code == 200 and reply.json().get("ok") is True
        except (httpx.HTTPError, ValueError) as e:
            log.warning("relayed message not sent: %s", type(e).__name__)
            return False
        if not ok:
            log.warning("relayed message refused by the Bot API: HTTP %s", reply.status_code)
        return ok

    async def close(self) -> None:
        await self.client.aclose()
