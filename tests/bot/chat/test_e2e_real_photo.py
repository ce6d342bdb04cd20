"""A real whole-eye phone photo through the bot, end to end: an adult woman agrees, says whom
the photos are of, and sends `India_010.jpg` (1280x960, from the shared Eyes-defy-anemia
photos) as a chat photo; she gets the adults' model's estimate and the picture of the region
it measured, with the real models, over real HTTP against the stand-in Bot API server. A
pregnant woman sending the same photo gets no number, and is told why.

Skipped when the shared photos are missing, except under CI, where they must be there.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.pipeline.inference import InferencePool
from bot.texts.i18n import t
from testbed.bot import running
from testbed.icc import p3_heic
from testbed.telegram import FakeTelegram, buttons, message_id
from tests.bot.e2e import inference_pool, weights_dir
from tests.conftest import require_data

__all__ = ["inference_pool", "weights_dir"]  # fixtures
PHOTOS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "eyes-defy" / "photos"
PHOTO = "India_010.jpg"  # a woman of 35 (labels.csv), photographed as a chat delivers it
USER = 7_100_555_010


@pytest.fixture
def photo() -> bytes:
    return (require_data(PHOTOS, PHOTO) / PHOTO).read_bytes()


async def press(fake: FakeTelegram, replies: int, data: str) -> None:
    """Press the button `data` under the latest of `replies` replies to USER."""
    last = (await fake.wait_replies(USER, replies))[-1]
    assert data in buttons(last), (data, last.params.get("text"))
    fake.press_button(USER, message_id(last), data)


async def consent_as_adult_woman(fake: FakeTelegram, pregnant: str = "no") -> int:
    """/start, agree, then 15 years or older, female, pregnant or not; the replies so far."""
    fake.send_text(USER, "/start")
    await press(fake, 1, "consent:contact")
    await press(fake, 3, "age:adult")
    await press(fake, 4, "sex:f")  # the age question is edited into the next one
    await press(fake, 5, f"preg:{pregnant}")
    saved = (await fake.wait_replies(USER, 6))[-1]
    group = "group.woman" if pregnant == "no" else f"group.pregnant_t{pregnant}"
    assert t("en", group) in saved.params["text"]
    return 6


async def test_a_real_whole_photo_gets_an_estimate_and_gradcam(
    fake_telegram: FakeTelegram, tmp_path: Path, inference_pool: InferencePool, photo: bytes
) -> None:
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake, url, inference_pool):
        before = await consent_as_adult_woman(fake)
        fake.send_photo(USER, photo)
        answer = (await fake.wait_replies(USER, before + 1, timeout=60))[before]
        text = answer.params["text"]
        assert " g/dL" in text, f"the photo was not screened: {text!r}"
        assert t("en", "group.woman") in text and t("en", "notice") in text
        assert t("en", "population.eyes-defy") in text  # whose figures apply
        gradcam = (await fake.wait_replies(USER, before + 2, timeout=60))[before + 1]
    assert gradcam.method == "sendPhoto" and gradcam.files
    assert t("en", "result.occlusion") in gradcam.params["caption"]  # the adults' map
    [picture] = gradcam.files.values()
    with Image.open(io.BytesIO(picture)) as img:
        assert img.format == "JPEG" and min(img.size) > 0


@pytest.mark.parametrize("mime", ["image/heic", "application/octet-stream"])
async def test_the_same_photo_as_an_iphone_heic_file_gets_an_estimate(
    fake_telegram: FakeTelegram,
    tmp_path: Path,
    inference_pool: InferencePool,
    photo: bytes,
    mime: str,
) -> None:
    """Sent "as a file" from an iPhone: HEIC in Display P3, the turn in the file's rotation;
    some senders label HEIC as any bytes, and its name lets it through."""
    upright = np.array(Image.open(io.BytesIO(photo)).convert("RGB"))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, shown turned 90 degrees clockwise
    heic = p3_heic(np.rot90(upright, 1).copy(), exif=exif.tobytes())
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake, url, inference_pool):
        before = await consent_as_adult_woman(fake)
        fake.send_document(USER, heic, file_name="IMG_0410.HEIC", mime_type=mime)
        text = (await fake.wait_replies(USER, before + 1, timeout=60))[before].params["text"]
        assert " g/dL" in text, f"the HEIC file was not screened: {text!r}"
        region = (await fake.wait_replies(USER, before + 2, timeout=60))[before + 1]
    assert region.method == "sendPhoto" and region.files
    with Image.open(io.BytesIO(next(iter(region.files.values())))) as img:
        assert img.format == "JPEG" and min(img.size) > 0


async def test_a_pregnant_woman_gets_no_number_and_is_told_why(
    fake_telegram: FakeTelegram, tmp_path: Path, inference_pool: InferencePool, photo: bytes
) -> None:
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake, url, inference_pool):
        before = await consent_as_adult_woman(fake, pregnant="2")
        fake.send_photo(USER, photo)
        answer = (await fake.wait_replies(USER, before + 1, timeout=60))[before]
    assert answer.params["text"] == t("en", "reject.not_covered_pregnant")
    assert "g/dL" not in answer.params["text"]
