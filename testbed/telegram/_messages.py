"""Bot API methods that put things in a chat: send*, edit*, deleteMessage, answerCallbackQuery."""

from __future__ import annotations

import copy
import mimetypes
import time
from typing import Any

import aiohttp

from ._api import bad_request
from ._decode import Decoded
from ._markup import check_reply_markup, rendered_text
from ._media import image_size
from ._state import State, StoredFile

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class MessageMethods:
    """Handlers `async (Decoded) -> result` for the methods that send or change messages."""

    def __init__(self, state: State) -> None:
        self.state = state

    def table(self) -> dict[str, Any]:
        """Method name -> handler."""
        return {
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
        }

    # --- sending
    async def send_message(self, req: Decoded) -> dict[str, Any]:
        """sendMessage: text (parse_mode checked), optional inline keyboard and reply."""
        chat = self._target(req.params)
        text = rendered_text(req.params.get("text"), req.params.get("parse_mode"))
        return self._post(chat, req.params, text=text)

    async def send_photo(self, req: Decoded) -> dict[str, Any]:
        """sendPhoto: upload, file_id of a photo, or an HTTP URL; answers with PhotoSize list."""
        chat = self._target(req.params)
        photo = req.file("photo")
        if photo is None:
            raise bad_request("there is no photo in the request")
        sizes = await self._photo_sizes(photo)
        return self._post(chat, req.params, photo=sizes, **self._caption(req.params))

    async def send_document(self, req: Decoded) -> dict[str, Any]:
        """sendDocument: upload or file_id; answers with a Document."""
        chat = self._target(req.params)
        document = req.file("document")
        if document is None:
            raise bad_request("there is no document in the request")
        if isinstance(document, str) and document in self.state.files:
            info = self._stored("document", document).info()
        else:
            info = await self._new_document(req, document)
        return self._post(chat, req.params, document=info, **self._caption(req.params))

    async def send_chat_action(self, req: Decoded) -> bool:
        """sendChatAction: a known action for a known chat."""
        self._target(req.params)
        if req.params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # --- changing
    async def edit_message_text(self, req: Decoded) -> dict[str, Any]:
        """editMessageText: new text (and keyboard; none given removes it) of a bot message."""
        message = self._editable(req.params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = rendered_text(req.params.get("text"), req.params.get("parse_mode"))
        return self._edit(message, req.params, text=text)

    async def edit_message_caption(self, req: Decoded) -> dict[str, Any]:
        """editMessageCaption of a bot photo/document message."""
        message = self._editable(req.params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption = rendered_text(
            req.params.get("caption"), req.params.get("parse_mode"), caption=True
        )
        return self._edit(message, req.params, caption=caption)

    async def edit_message_reply_markup(self, req: Decoded) -> dict[str, Any]:
        """editMessageReplyMarkup of a bot message."""
        return self._edit(self._editable(req.params), req.params)

    async def delete_message(self, req: Decoded) -> bool:
        """deleteMessage: any message of that chat the server still holds."""
        chat = self.state.chat(req.params.get("chat_id"))
        found = self.state.message_in(
            chat["id"], req.params.get("message_id"), "message to delete not found"
        )
        del self.state.messages[found["message_id"]]
        self.state.sent_messages.pop(found["message_id"], None)
        return True

    async def answer_callback_query(self, req: Decoded) -> bool:
        """answerCallbackQuery: once per query the server issued."""
        query_id = str(req.params.get("callback_query_id"))
        known = query_id in self.state.callback_queries
        if not known or query_id in self.state.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.state.callback_answers[query_id] = dict(req.params)
        return True

    # --- helpers
    def _target(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.state.chat(params.get("chat_id"))

    def _post(self, chat: dict[str, Any], params: dict[str, Any], **content: Any) -> dict:
        extra = dict(content)
        markup = _inline_markup(params)
        if markup is not None:
            extra["reply_markup"] = markup
        reply = self._reply_to(chat, params)
        if reply is not None:
            extra["reply_to_message"] = reply
        return copy.deepcopy(self.state.new_message(chat, self.state.bot_user, **extra))

    def _reply_to(self, chat: dict[str, Any], params: dict[str, Any]) -> dict[str, Any] | None:
        options = params.get("reply_parameters")
        options = options if isinstance(options, dict) else {}
        message_id = options.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = self.state.messages.get(message_id)
        if target is None or target["chat"]["id"] != chat["id"]:
            if options.get("allow_sending_without_reply") or params.get(
                "allow_sending_without_reply"
            ):
                return None
            raise bad_request("message to be replied not found")
        return {key: value for key, value in target.items() if key != "reply_to_message"}

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("caption"):
            return {}
        return {"caption": rendered_text(params["caption"], params.get("parse_mode"), caption=True)}

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.state.chat(params.get("chat_id"))
        message_id = params.get("message_id")
        message = self.state.message_in(chat["id"], message_id, "message to edit not found")
        if message["from"] is not self.state.bot_user:
            raise bad_request("message can't be edited")
        return message

    def _edit(self, message: dict[str, Any], params: dict[str, Any], **content: Any) -> dict:
        markup = _inline_markup(params)
        unchanged = all(message.get(key) == value for key, value in content.items())
        if unchanged and markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        message.update(content, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        return copy.deepcopy(message)

    async def _photo_sizes(self, photo: bytes | str) -> list[dict[str, Any]]:
        if isinstance(photo, str) and photo in self.state.files:
            stored = self._stored("photo", photo)
            width, height = image_size(stored.data) or (0, 0)
            return [{**stored.info(), "width": width, "height": height}]
        data = photo if isinstance(photo, bytes) else await self._fetch(photo)
        if not isinstance(data, bytes):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not data:
            raise bad_request("file must be non-empty")
        if image_size(data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self.state.photo_sizes(data, with_thumbnails=False)

    def _stored(self, kind: str, file_id: str) -> StoredFile:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    async def _new_document(self, req: Decoded, document: bytes | str) -> dict[str, Any]:
        data = document if isinstance(document, bytes) else await self._fetch(document)
        if isinstance(data, str):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not data:
            raise bad_request("file must be non-empty")
        if isinstance(document, bytes):
            file_name, mime = req.upload_name("document")
        else:
            file_name = document.rstrip("/").rpartition("/")[2] or "file"
            mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        meta = {"file_name": file_name, "mime_type": mime}
        stored = self.state.add_file("document", data, file_name.rpartition(".")[2], meta)
        return stored.info()

    async def _fetch(self, ref: str) -> bytes | str:
        """Download an HTTP(S) URL like Telegram does; other strings are returned unchanged."""
        if not ref.startswith(("http://", "https://")):
            return ref
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(ref) as resp:
                resp.raise_for_status()
                return await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise bad_request("failed to get HTTP URL content") from exc


def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The inline keyboard to show (other markups are accepted but not kept on the message)."""
    markup = params.get("reply_markup")
    check_reply_markup(markup)
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return markup
    return None
