"""The relay's lock: a chat id sealed under RELAY_KEY (Fernet: AES-128-CBC with an HMAC), so
the database holds only a token no worker or operator can read without the key."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class Relay:
    """Seals and opens chat ids with one key."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())  # ValueError for a key that is not one

    def seal(self, chat_id: int) -> bytes:
        """An opaque token for the chat id (different each time)."""
        return self._fernet.encrypt(str(chat_id).encode())

    def open(self, token: bytes) -> int | None:
        """The chat id, or None when the token was sealed under another key or altered."""
        try:
            return int(self._fernet.decrypt(token))
        except (InvalidToken, ValueError):
            return None


def new_key() -> str:
    """A fresh RELAY_KEY."""
    return Fernet.generate_key().decode()


if __name__ == "__main__":
    print(new_key())
