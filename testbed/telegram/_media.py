"""Image facts for PhotoSize objects and entities for commands in user text."""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

from PIL import Image

THUMB_SIDES = (90, 320)  # Telegram's "s" and "m" sizes
MAX_THUMB_PIXELS = 25_000_000  # larger non-JPEG images get no thumbnails (no bomb decoding here)
_COMMAND = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header, or None when it is not a readable image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                return img.size
    except Exception:
        return None


def thumbnails(data: bytes) -> list[bytes]:
    """JPEG thumbnails no larger than THUMB_SIDES, smallest first; [] when not cheap or possible."""
    size = image_size(data)
    if size is None or max(size) <= THUMB_SIDES[0]:
        return []
    out = []
    for side in THUMB_SIDES:
        if max(size) > side and (thumb := _thumbnail(data, side)) is not None:
            out.append(thumb)
    return out


def _thumbnail(data: bytes, side: int) -> bytes | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "JPEG" and img.width * img.height > MAX_THUMB_PIXELS:
                    return None
                img.draft("RGB", (side, side))
                img.thumbnail((side, side))
                buf = io.BytesIO()
                img.convert("RGB").save(buf, "JPEG", quality=80)
                return buf.getvalue()
    except Exception:
        return None


def command_entities(text: str) -> list[dict[str, Any]]:
    """`bot_command` MessageEntity objects (UTF-16 offsets) for every /command in the text."""
    return [
        {
            "type": "bot_command",
            "offset": _utf16_len(text[: match.start()]),
            "length": _utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
