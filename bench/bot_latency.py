"""Bot overhead: the time from a photo update being served to the bot until its last reply
arrives at the stand-in Bot API server, against the pipeline's own time for the same photos.

    python -m bench.bot_latency [--photos 20] [--weights DIR]

Prints a Markdown table; the target is a median ratio (bot / pipeline) of at most MAX_RATIO.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.chats import enrol
from bot.pipeline.executor import ExecutorPool
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from model import WEIGHTS
from testbed.bot import SAMPLE, running
from testbed.telegram import FakeTelegram

USER = 4_000_000_001
MAX_RATIO = 1.3  # the bot may add at most 30% to the pipeline's median time


def pipeline_ms(weights: Path, photo: bytes, n: int) -> list[float]:
    """The Screener alone, in this thread: decode, regression, Grad-CAM, overlay."""
    screener = Screener(weights)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        screener.screen(photo, Person(age_months=36))
        times.append((time.perf_counter() - started) * 1e3)
    return times


async def bot_ms(weights: Path, photo: bytes, n: int) -> list[float]:
    """Photo update served (getUpdates answered) to the last reply (sendPhoto) received, with
    a worker process for inference as the bot has by default."""
    pool = ExecutorPool(weights, workers=1, queue_size=8)  # as the bot's
    await asyncio.to_thread(pool.start)
    fake = FakeTelegram()
    await fake.start()
    times = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running(
                fake, f"sqlite+aiosqlite:///{tmp}/bench.db", pool, photo_rate_limit=n + 1
            ):
                await enrol(fake, USER, timeout=60)  # consent and profile, as a person would
                for _ in range(n):
                    times.append(await _one(fake, photo))
    finally:
        await fake.stop()
        pool.close()
    return times


async def _one(fake: FakeTelegram, photo: bytes) -> float:
    before = len(fake.replies(USER))
    pushed = time.monotonic()  # the fake stamps calls with time.monotonic() on arrival
    uid = fake.send_photo(USER, photo)
    served = await fake.wait_for(
        lambda c: c.method == "getUpdates" and any(u["update_id"] == uid for u in c.result or [])
    )
    [*_, last] = await fake.wait_replies(USER, before + 2, timeout=60)
    # a long poll already waiting is answered when the update arrives, not when it was asked
    return (last.at - max(served.at, pushed)) * 1e3


def phone_size(png: bytes, width: int = 1280) -> bytes:
    """The cut-out enlarged to a phone photo's width (a phone's photo is ~1280-4000 px)."""
    with Image.open(io.BytesIO(png)) as img:
        big = img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    big.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    print(f"| photo | photos | pipeline median ms | bot median ms | ratio | <= {MAX_RATIO}x |")
    print("|---|---|---|---|---|---|")
    sample = SAMPLE.read_bytes()
    for name, photo in (("sample cut-out", sample), ("cut-out at 1280 px", phone_size(sample))):
        pipe = statistics.median(pipeline_ms(args.weights, photo, args.photos)[2:])
        bot = statistics.median(asyncio.run(bot_ms(args.weights, photo, args.photos))[2:])
        ok = "yes" if bot / pipe <= MAX_RATIO else "no"
        print(f"| {name} | {args.photos} | {pipe:.0f} | {bot:.0f} | {bot / pipe:.2f} | {ok} |")


if __name__ == "__main__":
    main()
