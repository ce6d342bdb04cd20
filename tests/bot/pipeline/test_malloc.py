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


def test_trim_hands_freed_heap_back() -> None:
    malloc.tune()  # freed heap is kept up to TRIM_THRESHOLD: only trim returns it
    blocks = [bytearray(4 * 2**20) for _ in range(8)]  # under the mmap threshold: on the heap
    del blocks
    assert malloc.trim() is True


def test_trim_is_skipped_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libc(name: str | None) -> object:
        raise OSError("no such library")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert malloc.trim() is False
