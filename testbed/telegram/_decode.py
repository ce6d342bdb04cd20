"""Reading a Bot API request the four documented ways: query string, urlencoded, JSON, multipart."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._api import ApiError, bad_request

# Fields whose value is plain text even when it looks like JSON ("123", "true", "[x]").
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "file_id",
        "parse_mode",
        "action",
        "language_code",
        "inline_message_id",
        "ip_address",
        "description",
        "short_description",
        "name",
        "emoji",
        "title",
        "message_effect_id",
        "business_connection_id",
        "photo",
        "document",
        "sticker",
        "voice",
        "video",
        "audio",
        "animation",
        "video_note",
        "thumbnail",
        "certificate",
        "cover",
        "query",
    }
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Decoded:
    """A request's parameters (JSON-valued fields decoded) and its uploaded files."""

    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    mime_types: dict[str, str] = field(default_factory=dict)

    def file(self, name: str) -> bytes | str | None:
        """The file sent in `name`: uploaded bytes, `attach://` bytes, or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = value.removeprefix("attach://")
            if attached not in self.files:
                raise bad_request(f"file {attached!r} for attach:// was not uploaded")
            return self.files[attached]
        return value if isinstance(value, str) and value else None

    def upload_name(self, name: str) -> tuple[str, str]:
        """File name and MIME type of an uploaded part (attach:// followed)."""
        value = self.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
        file_name = self.filenames.get(name) or name
        mime = self.mime_types.get(name) or ""
        if mime in ("", "application/octet-stream"):
            mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        return file_name, mime


async def decode_request(request: web.Request) -> Decoded:
    """Read query string and body (JSON, urlencoded or multipart) into one Decoded."""
    decoded = Decoded(params=dict(request.query))
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            decoded.params.update(await _json_body(request))
        elif request.content_type in FORM_TYPES:
            await _form_body(request, decoded)
    decoded.params = normalise(decoded.params)
    return decoded


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise bad_request("can't parse JSON object") from exc
    if not isinstance(body, dict):
        raise bad_request("JSON object expected")
    return body


async def _form_body(request: web.Request, decoded: Decoded) -> None:
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, "Request Entity Too Large") from exc
    for key, value in form.items():
        if isinstance(value, web.FileField):
            decoded.files[key] = value.file.read()
            decoded.filenames[key] = value.filename
            decoded.mime_types[key] = value.content_type
        else:
            decoded.params[key] = value


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode JSON-serialised values ("123", "true", '{"inline_keyboard": ...}') of typed fields."""
    return {key: _decode_value(key, value) for key, value in raw.items()}


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def chat_id_of(params: dict[str, Any]) -> int | None:
    """The integer chat the call addresses, if any (also a BotCommandScopeChat's chat)."""
    scope = params.get("scope")
    scope_chat = scope.get("chat_id") if isinstance(scope, dict) else None
    for candidate in (params.get("chat_id"), scope_chat):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
    return None


def int_param(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    """An integer parameter, or 400 `wrong parameter` if it is not one."""
    value = params.get(name, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise bad_request(f"wrong parameter {name} in request")
