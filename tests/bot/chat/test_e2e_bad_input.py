"""Anything at all, sent to the real Application through the stand-in Bot API server after
consent: broken, huge and odd files, things that are not eyelids, other kinds of message, hostile
text and commands, forged buttons. Each gets its own catalog reply, never a traceback or an
exception name; no handler fails (the bot answers the /help that follows each); and nothing
that is not an eyelid gets an Hb estimate. One Application serves the whole module.

The eyelids that can be screened (a cut-out with transparency as PNG, 16-bit PNG or WebP; a
photo as CMYK JPEG or on its side with an EXIF orientation) decode to the pixels of their plain
twins, so each gets its twin's estimate. The photo is a clear composite
(bot.training.data.compose) in which the shipped U-Net finds the conjunctiva and which passes
every gate, so an estimate is
right for it. Until the regressor ships, an untrained tiny one stands in: the estimates test
the plumbing, not their values.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from bot.pipeline.decode import decode
from bot.pipeline.inference import InferencePool
from bot.texts.i18n import t
from model import WEIGHTS, ensemble
from testbed.bot import WORKER_ID, running
from testbed.telegram import FakeTelegram, message_id
from tests.bot import bad_inputs as b
from tests.bot.chat.chatting import (
    ESTIMATE,
    USER,
    Chat,
    Errors,
    Send,
    agree,
    assert_no_estimate,
    assert_plain,
    document,
    message,
    photo,
    reject,
    texts,
)
from tests.model.synthetic import TINY as TINY_CNN

pytestmark = pytest.mark.asyncio(loop_scope="module")

SQL = "'; DROP TABLE screenings;--"
HTML = "<b>x</b><script>alert(1)</script>"
MARKDOWN = "*_[`"


@pytest.fixture(scope="module")
def screen_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped models; until the regressor ships, an untrained tiny one beside the shipped
    U-Net: whole photos are still segmented and gated exactly as in production."""
    assert (WEIGHTS / "unet.msgpack").is_file()  # shipped in git
    if (WEIGHTS / "ensemble.msgpack").is_file():
        return WEIGHTS
    out = tmp_path_factory.mktemp("weights_with_unet")
    config = ensemble.Config(cnn=TINY_CNN, members=1, half_width=1.5, version="stand-in")
    ensemble.save(ensemble.build(config), out)
    for path in WEIGHTS.glob("unet.*"):
        shutil.copy(path, out)
    return out


@pytest.fixture(scope="module")
def pool(screen_weights: Path) -> Iterator[InferencePool]:
    pool = InferencePool(screen_weights, workers=1, queue_size=8)
    pool.start()
    yield pool
    pool.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chat(pool: InferencePool, tmp_path_factory) -> AsyncIterator[Chat]:
    fake = FakeTelegram()
    await fake.start()
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('bad_input') / 'bot.db'}"
    errors = Errors()
    logging.getLogger("bot").addHandler(errors)
    try:
        outbox = tmp_path_factory.mktemp("outbox") / "outbox.sqlite3"
        async with running(fake, url, pool, photo_rate_limit=1_000, outbox_path=outbox):
            await agree(fake, USER)
            yield Chat(fake, errors)
    finally:
        logging.getLogger("bot").removeHandler(errors)
        await fake.stop()


# --- what gets a catalog message and no estimate


HINT, DENIED = t("en", "hint"), t("en", "worker.denied")
REFUSED: dict[str, tuple[Send, str]] = {
    # broken, huge or unreadable image files
    "zero-byte file": (document(lambda: b"", "eye.jpg", "image/jpeg"), reject("empty")),
    "truncated JPEG": (photo(b.truncated_jpeg), reject("corrupt")),
    "corrupt PNG": (document(b.corrupt_png, "eye.png", "image/png"), reject("corrupt")),
    "decompression bomb": (document(b.bomb_png, "eye.png", "image/png"), reject("too_many_pixels")),
    "JPEG claiming 400 MP": (
        document(b.bomb_jpeg, "eye.jpg", "image/jpeg"),
        reject("too_many_pixels"),
    ),
    "HEIC with no picture": (
        document(b.heic_like, "IMG_0001.HEIC", "image/heic"),
        reject("unsupported_format"),
    ),
    "SVG": (document(b.svg, "eye.svg", "image/svg+xml"), reject("unsupported_format")),
    "PDF named .jpg": (document(b.pdf, "eye.jpg", "image/jpeg"), reject("unsupported_format")),
    "zip named .png": (document(b.zip_file, "eye.png", "image/png"), reject("unsupported_format")),
    "10x10 image": (photo(b.tiny_png), reject("too_small")),
    # images with no colour, or of something else
    "16-bit greyscale PNG": (
        document(b.sixteen_bit_grey_png, "eye.png", "image/png"),
        reject("colour_lost"),
    ),
    "greyscale JPEG": (photo(b.grey_jpeg), reject("colour_lost")),
    "animated GIF": (document(b.animated_gif, "eye.gif", "image/gif"), reject("not_eyelid")),
    "1:20 strip": (photo(b.strip_jpeg), reject("no_conjunctiva")),
    # read at half scale (50 MP is over decode's limit), then found to hold no eyelid
    "50 MP JPEG": (document(b.huge_jpeg, "eye.jpg", "image/jpeg"), reject("no_conjunctiva")),
    "text page": (photo(lambda: b.not_eyelid("text")), reject("not_eyelid")),
    "solid colour": (photo(lambda: b.not_eyelid("solid")), reject("no_conjunctiva")),
    "noise": (photo(lambda: b.not_eyelid("noise")), reject("no_conjunctiva")),
    # files and messages that are not images
    "PDF": (document(b.pdf, "report.pdf", "application/pdf"), HINT),
    "zip": (document(b.zip_file, "eyes.zip", "application/zip"), HINT),
    "text file": (document(lambda: b"Hb 9.8\n" * 50, "notes.txt", "text/plain"), HINT),
    "sticker": (lambda fake, user: fake.send_sticker(user), HINT),
    "voice": (lambda fake, user: fake.send_voice(user), HINT),
    "video": (lambda fake, user: fake.send_video(user), HINT),
    "10,000 characters": (message("anaemia? " * 1_111 + "x"), HINT),
    "SQL text": (message(SQL), HINT),
    "HTML text": (message(HTML), HINT),
    "Markdown text": (message(MARKDOWN), HINT),
    # commands
    "unknown command": (message("/admin"), HINT),
    "command for another bot": (message("/help@some_other_bot"), HINT),
    "SQL in /case": (message(f"/case {SQL}"), DENIED),
    "HTML in /case": (message(f"/case {HTML}"), DENIED),
    "Markdown in /resolve": (message(f"/resolve {MARKDOWN} 9.8"), DENIED),
    "/pending": (message("/pending"), DENIED),
    "/case": (message("/case K7QX-M2PA"), DENIED),
    "/resolve": (message("/resolve K7QX-M2PA 9.8 iron started"), DENIED),
    "/stats": (message("/stats"), DENIED),
    "/invite": (message("/invite"), DENIED),
    "SQL in /join": (message(f"/join {SQL}"), t("en", "worker.join_invalid")),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_refused_with_its_message(chat: Chat, case: str) -> None:
    send, expected = REFUSED[case]
    replies = await chat.exchange(send)
    assert_plain(replies)
    assert_no_estimate(replies)
    assert texts(replies) == [expected]
    await chat.still_answers()


async def test_a_file_over_20_mb_is_refused_before_download(chat: Chat) -> None:
    before = len(chat.fake.calls)
    replies = await chat.exchange(document(lambda: bytes(21 * 2**20), "eye.jpg", "image/jpeg"))
    assert texts(replies) == [reject("too_large_file")]
    assert not [c for c in chat.fake.calls[before:] if c.method == "getFile"]
    await chat.still_answers()


# --- a health worker's commands carrying injection strings


WORKER_CASES: dict[str, tuple[str, str]] = {
    "SQL in /case": (f"/case {SQL}", t("en", "worker.not_found")),
    "HTML in /case": (f"/case {HTML}", t("en", "worker.not_found")),
    "Markdown in /case": (f"/case {MARKDOWN}", t("en", "worker.not_found")),
    "SQL as the code of /resolve": ("/resolve 'OR'1'='1 9.8", t("en", "worker.not_found")),
    "SQL split into the arguments of /resolve": (
        f"/resolve {SQL} 9.8",
        t("en", "worker.resolve_usage"),
    ),
    "SQL as the lab Hb of /resolve": (f"/resolve K7QX-M2PA {SQL}", t("en", "worker.resolve_usage")),
    "HTML as the note of /resolve": (f"/resolve K7QX-M2PA 9.8 {HTML}", t("en", "worker.not_found")),
    "a superscript as /pending's days": ("/pending ²", t("en", "worker.pending_usage")),
    "Arabic-Indic digits as /pending's page": ("/pending page ١٢", t("en", "worker.pending_usage")),
    "infinity as the lab Hb of /resolve": (
        "/resolve K7QX-M2PA 1e309",
        t("en", "worker.resolve_usage"),
    ),
    "nan as the lab Hb of /resolve": ("/resolve K7QX-M2PA nan", t("en", "worker.resolve_usage")),
    "a superscript in the date of /resolve": (
        "/resolve K7QX-M2PA 9.8 2026-0²-01",
        t("en", "worker.resolve_usage"),
    ),
}


@pytest.mark.parametrize("case", list(WORKER_CASES))
async def test_injection_in_workers_commands(chat: Chat, case: str) -> None:
    command, expected = WORKER_CASES[case]
    replies = await chat.exchange(message(command), WORKER_ID)
    assert_plain(replies)
    assert texts(replies) == [expected]
    await chat.still_answers(WORKER_ID)


# --- buttons the bot never showed


FORGED = [
    "delete:yes",
    "consent:no",
    "age:adult",
    "sex:f",
    "lang:ja",
    "admin:grant",
    "age:",
    "x" * 200,
    "",
    ":",
    "delete:yes:again",
]


@pytest.mark.parametrize("data", FORGED)
async def test_callback_data_no_button_carried(chat: Chat, data: str) -> None:
    """Pressed on the bot's last message (the help text, which has no buttons at all)."""
    last = chat.fake.replies(USER)[-1]
    replies = await chat.exchange(
        lambda fake, user: fake.press_button(user, message_id(last), data)
    )
    assert_plain(replies)
    assert texts(replies) == [t("en", "stale_button")]
    await chat.still_answers()


# --- eyelids in odd wrappings: screened like their plain twins


async def estimate(chat: Chat, send: Send) -> float:
    """Screen one eyelid image: the result text and the Grad-CAM, each with the notice."""
    replies = await chat.exchange(send)
    assert_plain(replies)
    assert [r.method for r in replies] == ["sendMessage", "sendPhoto"], texts(replies)
    assert all(t("en", "notice") in text for text in texts(replies))
    found = re.match(rf"{ESTIMATE}: (\d+\.\d) g/dL", texts(replies)[0])
    assert found is not None
    await chat.still_answers()
    return float(found.group(1))


CUTOUTS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "16-bit RGBA PNG": (b.sixteen_bit_cutout_png, "eye16.png", "image/png"),
    "lossless WebP with alpha": (b.cutout_webp, "eye.webp", "image/webp"),
}


@pytest.mark.parametrize("name", list(CUTOUTS))
async def test_a_cutout_is_screened_whatever_the_container(chat: Chat, name: str) -> None:
    """The same cut-out pixels and transparency as the sample PNG: the cut-out path needs no
    segmenter, so each gets exactly the PNG's estimate."""
    make, file_name, mime = CUTOUTS[name]
    png, other = decode(b.cutout_png()), decode(make())
    assert png.alpha is not None and other.alpha is not None
    assert (png.alpha == other.alpha).all() and (png.rgb[png.alpha] == other.rgb[other.alpha]).all()
    expected = await estimate(chat, document(b.cutout_png, "eye.png", "image/png"))
    assert await estimate(chat, document(make, file_name, mime)) == expected


async def test_an_exif_rotated_photo_is_turned_upright_first(chat: Chat) -> None:
    """A phone photo stored on its side with EXIF orientation 6 gets exactly the estimate of its
    pixels turned upright by hand: the segmenter and gates see the photo the right way up. (A
    clear composite eyelid photo: the shipped U-Net finds the conjunctiva and it passes every
    gate, so it is screened; it is refused only if the U-Net or the gates change.)"""
    upright = await estimate(chat, document(b.exif_rotated_twin_png, "u.png", "image/png"))
    rotated = await estimate(chat, document(b.exif_rotated_jpeg, "IMG_1.jpg", "image/jpeg"))
    assert rotated == upright


async def test_a_cmyk_jpeg_is_screened_in_its_true_colours(chat: Chat) -> None:
    """Decoded to the colours of the RGB photo (not inverted), then screened like it, to within
    what the two JPEG encodings change."""
    cmyk = decode(b.cmyk_jpeg()).rgb.astype(np.int16)
    assert np.abs(cmyk - b.eyelid_photo()).mean() < 3
    rgb = await estimate(chat, photo(b.rgb_jpeg))
    assert abs(await estimate(chat, document(b.cmyk_jpeg, "eye.jpg", "image/jpeg")) - rgb) <= 0.3


async def test_the_person_is_still_consented_and_english_after_all_that(chat: Chat) -> None:
    """No forged button erased, declined or switched anything."""
    before = len(chat.fake.replies(USER))
    chat.fake.send_text(USER, "/history")
    lines, chart = (await chat.fake.wait_replies(USER, before + 2))[before:]
    assert lines.params["text"].startswith(t("en", "history.header", n=0).split("0")[0])
    assert chart.params["caption"] == t("en", "history.chart")
    await chat.still_answers()
