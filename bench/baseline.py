"""The photos a load run sends, and the pipeline alone on them (what the bot is held to)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.botproc import RESERVE_S, Deadline, LoadError
from bench.chats import AGE_GROUP
from bot.pipeline.decode import ImageRejected
from bot.pipeline.executor import make_pool
from bot.pipeline.risk import GROUP_MONTHS, Person
from bot.pipeline.screening import Screener
from bot.training.data import cpanemic, deduplicate
from bot.training.data.compose import compose
from model import WEIGHTS
from testbed.bot import SAMPLE

PERSON = Person(age_months=GROUP_MONTHS[AGE_GROUP])  # what the profile gives the model
PHOTO_SIZE = (960, 1280)  # (height, width)
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cp-anemic"
REAL = DATA.parent / "eyes-defy" / "photos"  # whole-eye phone photos, 1280x960 JPEG


def phone_photos(count: int, seed: int = 0) -> tuple[list[bytes], str]:
    """`count` distinct composite eyelid photos as phone JPEGs; the sample cut-out without data."""
    if not cpanemic.is_cpanemic(DATA):
        return [SAMPLE.read_bytes()], f"{SAMPLE.name} (CP-AnemiC not found at {DATA})"
    samples = deduplicate(cpanemic.load(DATA), tolerance=0.0, near=False)[0]  # distinct files
    rng = np.random.default_rng(seed)
    photos: list[bytes] = []
    for k in rng.permutation(len(samples)):
        sample = samples[int(k)]
        try:
            scene = compose(sample.image, sample.mask, seed=seed + len(photos), size=PHOTO_SIZE)
        except ValueError:  # a hairline cut-out: take the next
            continue
        quality = int(rng.integers(80, 96))  # phones save JPEG at about 80-95
        bgr = cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise LoadError("could not encode a JPEG")
        photos.append(buf.tobytes())
        if len(photos) == count:
            break
    height, width = PHOTO_SIZE
    return photos, f"{len(photos)} CP-AnemiC composites, {width}x{height} JPEG"


def real_photos(count: int) -> tuple[list[bytes], str]:
    """The first `count` real whole-eye phone photos as sent; composites where there are none."""
    files = sorted(REAL.glob("*.jpg"))[:count] if REAL.is_dir() else []
    if not files:
        return phone_photos(count)
    with Image.open(files[0]) as first:
        w, h = first.size
    return [f.read_bytes() for f in files], f"Eyes-defy whole-eye photos, {w}x{h} JPEG"


def weights_for(given: Path, tmp: Path) -> tuple[Path, str]:
    """The weights folder; the shipped segmenter linked in when `given` has none."""
    if not (given / "ensemble.msgpack").is_file():
        raise LoadError(
            f"no ensemble.msgpack in {given}: pass --weights DIR (e.g. from `anemia-screen "
            "train --data CSV --epochs 3 --members 2 --folds 3 --out DIR`)"
        )
    shipped = WEIGHTS / "unet.msgpack"
    if (given / "unet.msgpack").is_file() or not shipped.is_file():
        return given, str(given)
    merged = tmp / "weights"
    merged.mkdir()
    for src in [*WEIGHTS.glob("unet.*"), *given.iterdir()]:
        link = merged / src.name
        link.unlink(missing_ok=True)
        link.symlink_to(src.resolve())
    return merged, f"{given} + segmenter from {WEIGHTS}"


def _screened(screener: Screener, data: bytes) -> bool:
    try:
        screener.screen(data, PERSON)
    except ImageRejected:
        return False
    return True


def pipeline_sequential(screener: Screener, photos: list[bytes], deadline: Deadline) -> float:
    """Photos/s of one Screener, one photo after another, after two warm-up photos."""
    for data in photos[:2]:
        _screened(screener, data)
    started = time.perf_counter()
    for data in photos:
        if not deadline.left(RESERVE_S):
            raise LoadError("time ran out in the pipeline-only run")
        _screened(screener, data)
    return len(photos) / (time.perf_counter() - started)


async def pipeline_threads(
    weights: Path, photos: list[bytes], workers: int, processes: bool = True
) -> float:
    """Photos/s of the bot's own pool (`workers` child processes as the bot's, or threads
    screening in this process), all photos queued at once."""
    queue = len(photos) + 2 * workers
    pool = make_pool(weights, workers=workers, queue_size=queue, processes=processes)
    await asyncio.to_thread(pool.start)
    try:
        warm = [pool.screen(data, PERSON) for data in photos[: 2 * workers]]
        await asyncio.gather(*warm, return_exceptions=True)
        started = time.perf_counter()
        done = await asyncio.gather(
            *(pool.screen(d, PERSON) for d in photos), return_exceptions=True
        )
        seconds = time.perf_counter() - started
    finally:
        await asyncio.to_thread(pool.close)
    for outcome in done:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ImageRejected):
            raise LoadError("the pipeline failed on a photo") from outcome
    return len(photos) / seconds
