"""The relay's lock: a chat id sealed under RELAY_KEY (Fernet: AES-128-CBC with an HMAC), so
the database holds only a token no worker or operator can read without the key.

Rotation: the keys of RELAY_OLD_KEYS still open the tokens sealed under them (MultiFernet), and
`renewed` re-seals such a token under RELAY_KEY, so an old key can be dropped once no token is
left under it (the bot re-seals every stored token at start).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Relay:
    """Seals chat ids with the current key; opens them with it or any retired key."""

    def __init__(self, key: str, old_keys: Sequence[str] = ()) -> None:
        # ValueError for a key that is not one
        self._current = Fernet(key.encode())
        self._any = MultiFernet([self._current, *(Fernet(k.encode()) for k in old_keys)])

    def seal(self, chat_id: int) -> bytes:
        """An opaque token for the chat id under the current key (different each time)."""
        return self._current.encrypt(str(chat_id).encode())

    def open(self, token: bytes) -> int | None:
        """The chat id, or None when no key of ours sealed the token or it was altered."""
        try:
            return int(self._any.decrypt(token))
        except (InvalidToken, ValueError):
            return None

    def renewed(self, token: bytes) -> bytes | None:
        """The token re-sealed under the current key when a retired key sealed it; None when
        it is already current, or no key of ours opens it."""
        try:
            self._current.decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return self._any.rotate(token)
        except InvalidToken:
            return None


def new_key() -> str:
    """A fresh RELAY_KEY."""
    return Fernet.generate_key().decode()


if __name__ == "__main__":
    print(new_key())
