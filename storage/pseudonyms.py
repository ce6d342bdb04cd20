"""Pseudonyms: HMAC-SHA256 of a Telegram id under a secret key, and the random codes we hand out.

A plain hash would not do: Telegram ids are small integers, so anyone holding the table could
hash them all and look people up. Under a secret key they cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, NamedTuple

from storage.errors import StorageConfigError
from storage.settings import StorageSettings

Purpose = Literal["subject", "worker"]
# Crockford base32: no I, L, O, U, so codes read out over a phone are not misheard
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_CODE_CHARS = 8  # 40 bits
INVITE_CODE_CHARS = 12  # 60 bits


class Pseudonym(NamedTuple):
    value: str  # 64 hex characters
    key_id: str


@dataclass(frozen=True, repr=False)
class Pseudonymizer:
    """Turns Telegram ids into pseudonyms under the current key (and the retired ones)."""

    key_id: str
    key: bytes
    old_keys: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> Pseudonymizer:
        """The pseudonymizer for PSEUDONYM_KEY; raises StorageConfigError when it is unset."""
        if settings.pseudonym_key is None:
            raise StorageConfigError(
                "PSEUDONYM_KEY is not set; make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))' and keep it secret"
            )
        old = tuple(
            (kid, k.get_secret_value().encode())
            for kid, k in settings.pseudonym_old_keys.items()
            if kid != settings.pseudonym_key_id
        )
        return cls(
            settings.pseudonym_key_id, settings.pseudonym_key.get_secret_value().encode(), old
        )

    def __repr__(self) -> str:
        return f"Pseudonymizer(key_id={self.key_id!r}, old={[k for k, _ in self.old_keys]})"

    def pseudonym(self, telegram_id: int, purpose: Purpose = "subject") -> Pseudonym:
        """The pseudonym of a Telegram user (or private chat) id under the current key."""
        return Pseudonym(_hmac(self.key, telegram_id, purpose), self.key_id)

    def candidates(self, telegram_id: int, purpose: Purpose = "subject") -> list[Pseudonym]:
        """The pseudonym under the current key first, then under each retired key."""
        old = [Pseudonym(_hmac(k, telegram_id, purpose), kid) for kid, k in self.old_keys]
        return [self.pseudonym(telegram_id, purpose), *old]


def _hmac(key: bytes, telegram_id: int, purpose: Purpose) -> str:
    # the purpose keeps a worker's pseudonym apart from the same person's as a subject
    if isinstance(telegram_id, bool) or not isinstance(telegram_id, int):
        raise TypeError(f"a Telegram id is an int, got {type(telegram_id).__name__}")
    message = f"{purpose}:{telegram_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def random_code(length: int) -> str:
    """A random code of `length` characters from CODE_ALPHABET (5 bits each)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, and the look-alikes read as Crockford does."""
    cleaned = code.strip().upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def format_case_code(code: str) -> str:
    """XXXX-XXXX, easier to read out than eight characters in a row."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CASE_CODE_CHARS else code


def hash_secret(code: str) -> str:
    """SHA-256 hex of a normalised random code; the code has 60 bits, so no key is needed."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()
