"""A programme adapts the service to its own people, end to end: women whose camera renders
colours differently (a warmer white balance, made here from Eyes-defy cut-outs) agree to
research, send their eyelid, and a health worker resolves each case with the lab Hb; the
operator runs `anemia-screen export --lab-confirmed` and `anemia-screen adapt`; the bot,
restarted with ANEMIA_WEIGHTS on the adapted folder, answers the next woman with the adapted
model, whose version the stored screening and /stats both carry.

Real models, real HTTP against the stand-in Bot API, a real SQLite log. Skipped when the
shared data are missing, except under CI.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from bot.cli.main import main
from bot.pipeline.inference import InferencePool
from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.models import Screening
from storage.settings import get_settings
from testbed.bot import WORKER_ID, running
from testbed.telegram import FakeTelegram, buttons, message_id
from tests.bot.e2e import inference_pool, weights_dir
from tests.conftest import require_data

__all__ = ["inference_pool", "weights_dir"]  # fixtures
EYES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "eyes-defy"
PEOPLE = 24  # at least adaptation.MIN_PEOPLE must be referred and resolved
FIRST_USER = 7_400_000_000


def women() -> list[dict[str, str]]:
    text = (require_data(EYES, "labels.csv") / "labels.csv").read_text()
    return [r for r in csv.DictReader(io.StringIO(text)) if r["sex"] == "f"][: PEOPLE + 1]


def cutout_png(row: dict[str, str]) -> bytes:
    """The woman's conjunctiva cut-out as an RGBA PNG, as this programme's camera renders it."""
    bgr, grey = (
        cv2.imread(str(EYES / row[k]), f)
        for k, f in (("image", cv2.IMREAD_COLOR), ("mask", cv2.IMREAD_GRAYSCALE))
    )
    assert bgr is not None and grey is not None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(float) * (
        1.1,
        0.95,
        1.0,
    )  # redder: Hb over-estimated
    mask = grey > 0
    rgba = np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), np.where(mask, 255, 0)])
    buf = io.BytesIO()
    Image.fromarray(rgba.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


async def press(fake: FakeTelegram, user: int, replies: int, data: str, on: int = -1) -> None:
    """Press `data` under reply `on` of the first `replies` replies to `user`."""
    reply = (await fake.wait_replies(user, replies))[on]
    assert data in buttons(reply), (data, reply.params.get("text"))
    fake.press_button(user, message_id(reply), data)


async def screen_woman(fake: FakeTelegram, user: int, row: dict[str, str]) -> str:
    """Consent with research, say she is a non-pregnant woman, send her eyelid; the reply."""
    fake.send_text(user, "/start")
    await press(fake, user, 1, "consent:contact")
    await press(fake, user, 3, "age:adult")
    await press(fake, user, 4, "sex:f")
    await press(fake, user, 5, "preg:no")
    await press(fake, user, 6, "research:on", on=1)  # offered under the thanks for consent
    await fake.wait_replies(user, 7)
    fake.send_document(user, cutout_png(row), file_name="eye.png", mime_type="image/png")
    return str((await fake.wait_replies(user, 9, timeout=60))[7].params["text"])


def case_code(text: str) -> str:
    before = t("en", "result.case", code="@").partition("@")[0]
    assert before in text, text
    return text.split(before)[1][:9]


async def worker_says(fake: FakeTelegram, text: str) -> str:
    before = len(fake.replies(WORKER_ID))
    fake.send_text(WORKER_ID, text)
    return str((await fake.wait_replies(WORKER_ID, before + 1))[before].params["text"])


async def latest_version(url: str) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            query = select(Screening.model_version).order_by(Screening.id.desc()).limit(1)
            return str(await session.scalar(query))
    finally:
        await engine.dispose()


async def anemia_screen(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The CLI as the operator runs it (in a thread: it runs its own event loop)."""
    code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture
def log_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


async def test_resolved_screenings_export_adapt_and_serve(
    fake_telegram: FakeTelegram,
    tmp_path: Path,
    inference_pool: InferencePool,
    log_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, people = fake_telegram, women()
    async with running(fake, log_url, inference_pool):
        for i, row in enumerate(people[:PEOPLE]):
            code = case_code(await screen_woman(fake, FIRST_USER + i, row))
            assert "resolved" in (await worker_says(fake, f"/resolve {code} {row['hb']}")).lower()
    export = tmp_path / "export"
    argv = ["export", "--lab-confirmed", "--out", str(export), "--dataset", "clinic-e2e"]
    await anemia_screen(argv, capsys)
    exported = list(csv.DictReader(io.StringIO((export / "labels.csv").read_text())))
    assert len(exported) == PEOPLE and {r["dataset"] for r in exported} == {"clinic-e2e"}
    adapted = tmp_path / "adapted"
    figures = json.loads(
        await anemia_screen(
            ["adapt", "--data", str(export / "labels.csv"), "--out", str(adapted), "--json"], capsys
        )
    )
    version = figures["cohorts"]["adults"]["version"]
    assert version and "+clinic-e2e-" in version
    # no pool given: the bot starts its own from ANEMIA_WEIGHTS, as in production
    async with running(fake, log_url, None, anemia_weights=adapted):
        text = await screen_woman(fake, FIRST_USER + PEOPLE, people[PEOPLE])
        assert " g/dL" in text and "clinic-e2e" in text  # whose figures apply
        assert await latest_version(log_url) == version
        await worker_says(fake, f"/resolve {case_code(text)} {people[PEOPLE]['hb']}")
        assert f"clinic-e2e, {version}: n 1" in await worker_says(fake, "/stats")
