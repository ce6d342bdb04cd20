"""Pseudonyms are stable and keyed; codes are random, readable and not the pseudonym."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from storage.errors import StorageConfigError
from storage.pseudonyms import (
    CODE_ALPHABET,
    Pseudonymizer,
    hash_secret,
    normalise_code,
    random_code,
)
from storage.settings import StorageSettings, async_url, get_settings
from tests.storage.helpers import KEY, pseudonymizer

TELEGRAM_ID = 123456789


def test_stable_and_keyed() -> None:
    p = pseudonymizer()
    first = p.pseudonym(TELEGRAM_ID)
    assert first == pseudonymizer().pseudonym(TELEGRAM_ID)  # stable across instances
    assert first.key_id == "k1" and len(first.value) == 64
    assert first != p.pseudonym(TELEGRAM_ID + 1)
    other_key = pseudonymizer(b"q" * 32).pseudonym(TELEGRAM_ID)
    assert other_key.value != first.value


def test_not_a_plain_hash() -> None:
    value = pseudonymizer().pseudonym(TELEGRAM_ID).value
    plain = str(TELEGRAM_ID).encode()
    for h in (hashlib.sha256(plain), hashlib.sha256(b"subject:" + plain)):
        assert value != h.hexdigest()
    assert str(TELEGRAM_ID) not in value


def test_worker_and_subject_pseudonyms_differ() -> None:
    p = pseudonymizer()
    assert p.pseudonym(TELEGRAM_ID, "worker") != p.pseudonym(TELEGRAM_ID, "subject")


def test_candidates_current_key_first() -> None:
    p = Pseudonymizer("k2", b"n" * 32, (("k1", KEY),))
    current, old = p.candidates(TELEGRAM_ID)
    assert current.key_id == "k2" and old.key_id == "k1"
    assert old == pseudonymizer().pseudonym(TELEGRAM_ID)


def test_rejects_non_integer_ids() -> None:
    with pytest.raises(TypeError):
        pseudonymizer().pseudonym("123")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pseudonymizer().pseudonym(True)


def test_key_never_in_repr() -> None:
    assert KEY.decode() not in repr(pseudonymizer())


def test_settings_need_a_long_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSEUDONYM_KEY", raising=False)
    with pytest.raises(StorageConfigError, match="PSEUDONYM_KEY"):
        Pseudonymizer.from_settings(StorageSettings())
    monkeypatch.setenv("PSEUDONYM_KEY", "short")
    with pytest.raises(ValidationError):
        StorageSettings()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSEUDONYM_KEY", "a" * 40)
    monkeypatch.setenv("PSEUDONYM_KEY_ID", "2025b")
    monkeypatch.setenv("PSEUDONYM_OLD_KEYS", '{"2025a": "' + "b" * 40 + '"}')
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings is get_settings()  # read once
        assert settings.database_url == "postgresql+asyncpg://u@h/db"
        p = Pseudonymizer.from_settings(settings)
        assert [c.key_id for c in p.candidates(1)] == ["2025b", "2025a"]
    finally:
        get_settings.cache_clear()


def test_default_database_is_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert StorageSettings().database_url.startswith("sqlite+aiosqlite:///")
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgres://h/d") == "postgresql+asyncpg://h/d"


def test_codes_random_readable_and_hashed() -> None:
    codes = {random_code(8) for _ in range(200)}
    assert len(codes) == 200
    assert all(set(c) <= set(CODE_ALPHABET) for c in codes)
    assert normalise_code(" k7qx-m2pa ") == "K7QXM2PA"
    assert normalise_code("OIL0") == "0110"
    assert hash_secret("abcd-efgh") == hash_secret("ABCDEFGH") != "ABCDEFGH"
