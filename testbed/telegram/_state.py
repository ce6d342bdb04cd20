"""What the stand-in server knows: users, chats, messages, files, the update queue, settings."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from ._api import Signal, bad_request
from ._media import image_size, thumbnails

UPDATE_TYPES_OFF_BY_DEFAULT = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "sticker": "stickers",
    "voice": "voice",
    "video": "videos",
}


@dataclass
class StoredFile:
    """A file the server holds, reachable by file_id (getFile) and by file_path (download)."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. file_name, mime_type

    def info(self) -> dict[str, Any]:
        """The fields of the PhotoSize/Document/... object (without width/height)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            **self.meta,
        }


class State:
    """Everything the server remembers between requests."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.sent_messages: dict[int, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.paths: dict[str, StoredFile] = {}
        self.updates: dict[int, dict[str, Any]] = {}
        self.queue: list[dict[str, Any]] = []
        self.allowed_updates: list[str] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.update_signal = Signal()
        self._next_update_id = 100_000_001
        self._next_message_id = 1
        self._next_file = 1

    # --- users and chats
    def user(self, user_id: int, first_name: str, username: str | None, language_code: str) -> dict:
        """Create or refresh a private-chat user (chat.id == user.id)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def chat(self, chat_id: Any) -> dict[str, Any]:
        """The private Chat object for a known user, else 400 `chat not found`."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    # --- messages
    def new_message(self, chat: dict[str, Any], sender: dict[str, Any], **content: Any) -> dict:
        """A Message with the next id (ids increase in every chat), stored by id."""
        message = {
            "message_id": self._next_message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._next_message_id += 1
        self.messages[message["message_id"]] = message
        if sender is self.bot_user:
            self.sent_messages[message["message_id"]] = message
        return message

    def message_in(self, chat_id: Any, message_id: Any, missing: str) -> dict[str, Any]:
        """A stored message of that chat, else 400 with `missing` as the reason."""
        message = self.messages.get(message_id) if isinstance(message_id, int) else None
        if message is None or message["chat"]["id"] != chat_id:
            raise bad_request(missing)
        return message

    # --- files
    def add_file(
        self, kind: str, data: bytes, ext: str, meta: dict[str, Any] | None = None
    ) -> StoredFile:
        """Store bytes; returns the file with a fresh file_id and a `folder/file_<n>.ext` path."""
        n = self._next_file
        self._next_file += 1
        digest = hashlib.sha1(data).hexdigest()[:12]
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}AC{n:06d}-{digest}",
            file_unique_id=f"{kind[:1].upper()}Q{digest}",
            kind=kind,
            data=data,
            file_path=f"{FOLDERS.get(kind, kind + 's')}/file_{n}.{_extension(ext)}",
            meta=dict(meta or {}),
        )
        self.files[stored.file_id] = stored
        self.paths[stored.file_path] = stored
        return stored

    def photo_sizes(self, data: bytes, *, with_thumbnails: bool) -> list[dict[str, Any]]:
        """PhotoSize objects, smallest first; the largest holds exactly `data`."""
        sizes = []
        thumbs = thumbnails(data) if with_thumbnails else []
        for blob in [*thumbs, data]:
            width, height = image_size(blob) or (0, 0)
            stored = self.add_file("photo", blob, "jpg")
            sizes.append({**stored.info(), "width": width, "height": height})
        return sizes

    # --- updates
    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (update_id filled in when missing); ids increase globally."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self.updates[update["update_id"]] = update
        self.queue.append(update)
        self.queue.sort(key=lambda item: item["update_id"])
        self.update_signal.fire()
        return update["update_id"]

    def confirm(self, offset: int) -> None:
        """getUpdates offset: forget updates below it; negative keeps the last -offset ones."""
        if offset < 0:
            self.queue = self.queue[offset:]
        elif offset:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """The first `limit` queued updates of the allowed types (others are dropped)."""
        self.queue = [u for u in self.queue if self._allowed(u)]
        return self.queue[:limit]

    def _allowed(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed_updates:
            return bool(kinds & set(self.allowed_updates))
        return not kinds <= UPDATE_TYPES_OFF_BY_DEFAULT or not kinds

    # --- commands
    def commands_key(self, scope: Any, language_code: Any) -> tuple[str, str]:
        """Key for a (scope, language) command list; the default scope when none is given."""
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        if scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            self.chat(scope.get("chat_id"))
        return json.dumps(scope, sort_keys=True), str(language_code or "")


def _extension(ext: str) -> str:
    ext = ext.lower().lstrip(".")
    return ext if ext.isalnum() and len(ext) <= 8 else "bin"
