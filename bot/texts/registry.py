"""How a message is declared: its stable key (the gettext msgctxt), its English text (the msgid)
and, for a message that shows a count, its English plural (msgid_plural) and which placeholder
holds the count.

`pybabel extract` finds the declarations by these two names (`-k _msg:1c,2 -k _plural:1c,2,3`,
docs/TEXTS.md), so the key and the English must be string literals in the call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    key: str  # "section.name": the msgctxt; the code asks for a text by it
    text: str  # the English, the msgid; for a plural message its singular
    plural: str | None = None  # the English plural (msgid_plural); None: no count in it
    count: str = "n"  # the placeholder whose number chooses the plural form

    @property
    def texts(self) -> tuple[str, ...]:
        """The English forms: one, or singular and plural."""
        return (self.text,) if self.plural is None else (self.text, self.plural)


def _msg(key: str, text: str) -> Message:
    """A message without a count."""
    return Message(key, text)


def _plural(key: str, singular: str, plural: str, *, count: str = "n") -> Message:
    """A message whose noun agrees with the number in `{count}` (ngettext)."""
    return Message(key, singular, plural, count)
