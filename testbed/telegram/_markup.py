"""Checks Telegram makes on message text, parse modes and inline keyboards.

HTML follows https://core.telegram.org/bots/api#html-style (only the listed tags, properly
nested); MarkdownV2 is checked conservatively: the characters that are never markup outside
code and link targets (`. ! - = + # { } ( )` and `>` not starting a line) must be escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ._api import MAX_CALLBACK_DATA, MAX_CAPTION, MAX_TEXT, bad_request

HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_MD_RESERVED = frozenset(".!-=+#{}()")
_MD_MARKERS = frozenset("*_~|`[]")
BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "copy_text",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
    }
)


def rendered_text(text: Any, parse_mode: Any, *, caption: bool = False) -> str:
    """The text the chat shows after parsing; raises the errors Telegram gives."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    plain = _parse(text, parse_mode)
    if not caption and not plain.strip():
        raise bad_request("message text is empty")
    limit = MAX_CAPTION if caption else MAX_TEXT
    if len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain


def _parse(text: str, parse_mode: Any) -> str:
    if parse_mode in (None, ""):
        return text
    mode = str(parse_mode).lower()
    if mode == "html":
        return _html(text)
    if mode == "markdownv2":
        return _markdown_v2(text)
    if mode == "markdown":
        return text
    raise bad_request("unsupported parse_mode")


def _entities_error(reason: str) -> Exception:
    return bad_request(f"can't parse entities: {reason}")


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _html(text: str) -> str:
    parts: list[str] = []
    stack: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        parts.append(text[pos:start])
        match = _TAG.match(text, start)
        if match is None:
            raise _entities_error(
                f"Unexpected end of name token at byte offset {_offset(text, start)}"
            )
        _html_tag(text, match, stack)
        pos = match.end()
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    parts.append(text[pos:])
    return html.unescape("".join(parts))


def _html_tag(text: str, match: re.Match[str], stack: list[str]) -> None:
    closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3) or ""
    where = f"at byte offset {_offset(text, match.start())}"
    if closing:
        expected = stack.pop() if stack else None
        if expected != name:
            raise _entities_error(
                f'Unmatched end tag {where}, expected "</{expected}>", found "</{name}>"'
            )
        return
    if name not in HTML_TAGS:
        raise _entities_error(f'Unsupported start tag "{name}" {where}')
    if name == "span" and "tg-spoiler" not in attrs:
        raise _entities_error(f'Tag "span" must have class "tg-spoiler" {where}')
    stack.append(name)


def _markdown_v2(text: str) -> str:
    plain: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            plain.append(text[i + 1])
            i += 2
        elif char == "`":
            i = _md_code(text, i, plain)
        elif char == "!" and text.startswith("[", i + 1):  # ![emoji](tg://emoji?id=...)
            i += 1
        elif char == "]" and text.startswith("(", i + 1):
            i = _md_link_target(text, i + 2)
        elif char in _MD_RESERVED or (char == ">" and i > 0 and text[i - 1] != "\n"):
            raise _entities_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            if char not in _MD_MARKERS and not (char == ">" and (i == 0 or text[i - 1] == "\n")):
                plain.append(char)
            i += 1
    return "".join(plain)


def _md_code(text: str, start: int, plain: list[str]) -> int:
    fence = "```" if text.startswith("```", start) else "`"
    end = _unescaped(text, fence, start + len(fence))
    if end < 0:
        kind = "Pre" if fence == "```" else "Code"
        raise _entities_error(
            f"Can't find end of {kind} entity at byte offset {_offset(text, start)}"
        )
    plain.append(text[start + len(fence) : end].replace("\\`", "`").replace("\\\\", "\\"))
    return end + len(fence)


def _md_link_target(text: str, start: int) -> int:
    end = _unescaped(text, ")", start)
    if end < 0:
        raise _entities_error(f"Can't find end of a URL at byte offset {_offset(text, start)}")
    return end + 1


def _unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(needle, i):
            return i
        else:
            i += 1
    return -1


def check_reply_markup(markup: Any) -> None:
    """Validate an inline keyboard the way Telegram does (callback_data 1-64 bytes, an action)."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard: field "inline_keyboard" must be an Array of Arrays'
        )
    for button in (button for row in rows for button in row):
        _check_button(button)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    data = button.get("callback_data")
    if data is not None and not (1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA):
        raise bad_request("BUTTON_DATA_INVALID")
    if not BUTTON_ACTIONS.intersection(button):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
