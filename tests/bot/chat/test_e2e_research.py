"""Research never costs a result, end to end: a woman who agreed to research sends a
20-megapixel photo of her eye as a file (a document, as a phone's "send as file" does); she
is screened, and the cut-out kept for research is bounded (MAX_CROP_SIDE px a side).

The photo is `India_010.jpg` from the shared Eyes-defy-anemia photos, enlarged to 20 MP with
a camera sensor's faint noise (a smooth enlargement would compress as no real photo does).
Its cut-out at full size is about 1650x3750 px, 2.4 MB as PNG. Real models, real HTTP against
the stand-in Bot API server, a real SQLite log. Skipped when the shared photos are missing,
except under CI.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from bot.pipeline.inference import InferencePool
from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.models import ResearchCrop, Screening
from storage.screenings import MAX_CROP_SIDE
from testbed.bot import running
from testbed.telegram import FakeTelegram, buttons, message_id
from tests.bot.e2e import inference_pool, weights_dir
from tests.conftest import require_data

__all__ = ["inference_pool", "weights_dir"]  # fixtures
PHOTOS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "eyes-defy" / "photos"
PHOTO = "India_010.jpg"  # a woman of 35 (labels.csv)
USER = 7_100_555_029
PIXELS = 20_000_000


@pytest.fixture(scope="module")
def photo_20mp() -> bytes:
    """India_010 enlarged to 20 MP, with sensor noise (sigma 4 of 255), as a JPEG file."""
    with Image.open(require_data(PHOTOS, PHOTO) / PHOTO) as small:
        scale = (PIXELS / (small.width * small.height)) ** 0.5
        size = (round(small.width * scale), round(small.height * scale))
        big = np.asarray(small.convert("RGB").resize(size, Image.Resampling.LANCZOS))
    noise = np.random.default_rng(29).normal(0.0, 4.0, big.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(big + noise, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=95)
    return out.getvalue()


async def press(fake: FakeTelegram, replies: int, data: str, on: int = -1) -> None:
    reply = (await fake.wait_replies(USER, replies))[on]
    assert data in buttons(reply), (data, reply.params.get("text"))
    fake.press_button(USER, message_id(reply), data)


async def kept(url: str) -> tuple[list[Screening], list[bytes]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = list(await session.scalars(select(Screening)))
            return rows, list(await session.scalars(select(ResearchCrop.png)))
    finally:
        await engine.dispose()


async def test_a_20_megapixel_file_with_research_on_is_screened_and_kept_bounded(
    fake_telegram: FakeTelegram, tmp_path: Path, inference_pool: InferencePool, photo_20mp: bytes
) -> None:
    with Image.open(io.BytesIO(photo_20mp)) as img:
        assert img.width * img.height >= PIXELS * 0.999
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake, url, inference_pool):
        fake.send_text(USER, "/start")
        await press(fake, 1, "consent:contact")
        await press(fake, 3, "age:adult")
        await press(fake, 4, "sex:f")
        await press(fake, 5, "preg:no")
        await press(fake, 6, "research:on", on=1)  # offered under the thanks for consent
        assert (await fake.wait_replies(USER, 7))[6].params["text"] == t("en", "research.on")
        fake.send_document(USER, photo_20mp, file_name="IMG_2029.jpg", mime_type="image/jpeg")
        replies = await fake.wait_replies(USER, 9, timeout=120)
    text = replies[7].params["text"]
    assert " g/dL" in text and t("en", "notice") in text, f"not screened: {text!r}"
    assert replies[8].method == "sendPhoto"
    [row], [png] = await kept(url)
    assert row.image_source == "photo"
    with Image.open(io.BytesIO(png)) as crop:
        assert crop.mode == "RGBA" and max(crop.size) == MAX_CROP_SIDE
        assert set(np.unique(np.asarray(crop)[..., 3])) == {0, 255}
