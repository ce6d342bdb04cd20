"""Shared fixtures: where the real data sets live (and what to do when they are not there), and
the stand-in Bot API server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from testbed.telegram import FakeTelegram

# tests/conftest.py -> repo root is parents[1]; the data sit in ../shared beside the checkout
CP_ANEMIC = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cp-anemic"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_data(path: Path, marker: str) -> Path:
    """path if `path/marker` exists; else skip locally, but fail in CI, where data must be."""
    path = path.resolve()
    if not (path / marker).exists():
        msg = f"real data not found: {path / marker}"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def cp_anemic_dir() -> Path:
    """The CP-AnemiC folder (710 images); fails under CI=1 if absent, skips otherwise."""
    return require_data(CP_ANEMIC, "Anemia_Data_Collection_Sheet.csv")


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A stand-in Bot API server on 127.0.0.1, started for one test and stopped after it."""
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
