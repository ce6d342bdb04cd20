"""Driving the stand-in server: what users do (messages, files, button presses) as updates."""

from __future__ import annotations

import itertools
from typing import Any

from ._media import command_entities
from ._state import State

STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L" + bytes(20)
VOICE_BYTES = b"OggS\x00\x02" + bytes(58)
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + bytes(16)


class Driver:
    """Users' side: each `send_*` queues one Update and returns its update_id.

    Users talk in private chats, so chat.id == user.id. `user_kw` are `first_name`, `username`
    and `language_code`.
    """

    _state: State

    def __init__(self) -> None:
        self._callback_ids = itertools.count(1)

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "Ama",
        username: str | None = "ama_k",
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Make a chat known without sending anything (as if the user started the bot earlier)."""
        return self._state.user(user_id, first_name, username, language_code)

    def send_text(self, user_id: int, text: str, **user_kw: Any) -> int:
        """A text message; every `/command` in it gets a `bot_command` entity."""
        content: dict[str, Any] = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._user_message(user_id, user_kw, content)

    def send_photo(
        self, user_id: int, data: bytes, *, caption: str | None = None, **user_kw: Any
    ) -> int:
        """A photo: PhotoSize list with thumbnails, the largest holding exactly `data`."""
        content: dict[str, Any] = {"photo": self._state.photo_sizes(data, with_thumbnails=True)}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, user_kw, content)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        **user_kw: Any,
    ) -> int:
        """A file sent "as document" (full resolution, EXIF kept)."""
        meta = {"file_name": file_name, "mime_type": mime_type}
        stored = self._state.add_file("document", data, file_name.rpartition(".")[2], meta)
        content: dict[str, Any] = {"document": stored.info()}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, user_kw, content)

    def send_sticker(self, user_id: int, **user_kw: Any) -> int:
        """A static 512x512 sticker."""
        stored = self._state.add_file("sticker", STICKER_BYTES, "webp")
        sticker = {
            **stored.info(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_message(user_id, user_kw, {"sticker": sticker})

    def send_voice(self, user_id: int, **user_kw: Any) -> int:
        """A 2-second voice note."""
        stored = self._state.add_file("voice", VOICE_BYTES, "oga")
        voice = {**stored.info(), "duration": 2, "mime_type": "audio/ogg"}
        return self._user_message(user_id, user_kw, {"voice": voice})

    def send_video(self, user_id: int, **user_kw: Any) -> int:
        """A 3-second 640x480 video."""
        stored = self._state.add_file("video", VIDEO_BYTES, "mp4")
        video = {
            **stored.info(),
            "width": 640,
            "height": 480,
            "duration": 3,
            "mime_type": "video/mp4",
        }
        return self._user_message(user_id, user_kw, {"video": video})

    def press_button(self, user_id: int, message_id: int, data: str, **user_kw: Any) -> int:
        """The user presses an inline button with callback `data` under a message the bot sent."""
        message = self._state.sent_messages.get(message_id)
        if message is None or message["chat"]["id"] != user_id:
            raise KeyError(f"the bot sent no message {message_id} to chat {user_id}")
        user = self._user(user_id, user_kw)
        query_id = f"{user_id}{next(self._callback_ids):08d}"
        query = {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        self._state.callback_queries[query_id] = query
        return self.push_update({"callback_query": query})

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw Update dict (update_id filled in when missing)."""
        return self._state.push(update)

    def _user(self, user_id: int, user_kw: dict[str, Any]) -> dict[str, Any]:
        return self.add_user(user_id, **user_kw)

    def _user_message(self, user_id: int, user_kw: dict[str, Any], content: dict) -> int:
        user = self._user(user_id, user_kw)
        chat = self._state.chat(user_id)
        message = self._state.new_message(chat, user, **content)
        return self.push_update({"message": message})
