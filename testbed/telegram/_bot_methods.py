"""Bot API methods about the bot itself: getMe, getUpdates, webhooks, commands, getFile."""

from __future__ import annotations

import re
import time
from typing import Any

from ._api import MAX_DOWNLOAD, ApiError, bad_request
from ._decode import Decoded, int_param
from ._state import State

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
NO_OPS = (
    "logOut",
    "close",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
)


class BotMethods:
    """Handlers `async (Decoded) -> result` for getMe, getUpdates, webhooks, commands, getFile."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.closing = False
        self._poll_seq = 0

    def table(self) -> dict[str, Any]:
        """Method name -> handler."""
        table: dict[str, Any] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getFile": self.get_file,
        }
        return table | {name: self.no_op for name in NO_OPS}

    async def get_me(self, req: Decoded) -> dict[str, Any]:
        """getMe: the bot's User."""
        return dict(self.state.bot_user)

    async def no_op(self, req: Decoded) -> bool:
        """Accepted and recorded, nothing else."""
        return True

    # --- updates
    async def get_updates(self, req: Decoded) -> list[dict[str, Any]]:
        """getUpdates: confirm below `offset`, then long-poll up to `timeout` s for `limit`."""
        if self.state.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = int_param(req.params, "offset", 0) or 0
        limit = min(max(int_param(req.params, "limit", 100) or 100, 1), 100)
        timeout = _seconds(req.params.get("timeout"))
        if isinstance(req.params.get("allowed_updates"), list):
            self.state.allowed_updates = list(req.params["allowed_updates"])
        self.state.confirm(offset)
        self._poll_seq += 1
        seq = self._poll_seq
        self.state.update_signal.fire()  # an older poll now ends with 409
        return await self._poll(seq, limit, time.monotonic() + timeout)

    async def _poll(self, seq: int, limit: int, deadline: float) -> list[dict[str, Any]]:
        while True:
            if seq != self._poll_seq:
                raise ApiError(409, POLL_CONFLICT)
            if self.state.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self.state.pending(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self.closing:
                return [dict(update) for update in batch]
            await self.state.update_signal.wait(remaining)

    # --- webhook
    async def set_webhook(self, req: Decoded) -> bool:
        """setWebhook: remember url, secret_token...; an empty url removes the webhook."""
        url = req.params.get("url") or ""
        if not url:
            return await self.delete_webhook(req)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = req.params.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self._drop_pending(req.params)
        if isinstance(req.params.get("allowed_updates"), list):
            self.state.allowed_updates = list(req.params["allowed_updates"])
        skip = {"certificate", "drop_pending_updates"}
        self.state.webhook = {k: v for k, v in req.params.items() if k not in skip}
        self.state.update_signal.fire()
        return True

    async def delete_webhook(self, req: Decoded) -> bool:
        """deleteWebhook (optionally dropping pending updates)."""
        self._drop_pending(req.params)
        self.state.webhook = None
        return True

    async def get_webhook_info(self, req: Decoded) -> dict[str, Any]:
        """getWebhookInfo."""
        hook = self.state.webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.queue),
        }
        if hook:
            info["max_connections"] = hook.get("max_connections", 40)
            if self.state.allowed_updates:
                info["allowed_updates"] = list(self.state.allowed_updates)
        return info

    def _drop_pending(self, params: dict[str, Any]) -> None:
        if params.get("drop_pending_updates") is True:
            self.state.queue.clear()

    # --- commands
    async def set_my_commands(self, req: Decoded) -> bool:
        """setMyCommands for a scope (default, chat, ...) and language; [] deletes the list."""
        commands = req.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            _check_command(command)
        key = self.state.commands_key(req.params.get("scope"), req.params.get("language_code"))
        if commands:
            self.state.commands[key] = [dict(command) for command in commands]
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, req: Decoded) -> list[dict[str, Any]]:
        """getMyCommands for exactly that scope and language."""
        key = self.state.commands_key(req.params.get("scope"), req.params.get("language_code"))
        return [dict(command) for command in self.state.commands.get(key, [])]

    async def delete_my_commands(self, req: Decoded) -> bool:
        """deleteMyCommands for that scope and language."""
        key = self.state.commands_key(req.params.get("scope"), req.params.get("language_code"))
        self.state.commands.pop(key, None)
        return True

    # --- files
    async def get_file(self, req: Decoded) -> dict[str, Any]:
        """getFile: a File with `file_path` for the download URL (<= 20 MB)."""
        stored = self.state.files.get(str(req.params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(float(value), 0.0)
    raise bad_request("wrong parameter timeout in request")


def _check_command(command: Any) -> None:
    if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(str(command.get("description", ""))) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
