import ctypes

import pytest

from bot.pipeline import malloc


def test_tune_applies_on_glibc() -> None:
    # this machine (and CI's) runs Debian's glibc, which has mallopt
    assert malloc.tune() is True


def test_tune_is_skipped_without_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libc(name: str | None) -> object:
        raise OSError("no such library")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert malloc.tune() is False
