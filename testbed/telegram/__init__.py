"""A stand-in Telegram Bot API server for end-to-end tests and benchmarks (see `FakeTelegram`).

Written from https://core.telegram.org/bots/api: requests by GET/POST with query string,
urlencoded, JSON or multipart parameters; answers `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}` with the same HTTP
status; files downloaded from `/file/bot<token>/<file_path>`.
"""

from ._api import ApiError, Call
from ._calls import buttons, message_id
from ._server import FakeTelegram

__all__ = ["ApiError", "Call", "FakeTelegram", "buttons", "message_id"]
