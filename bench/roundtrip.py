"""A photo's round trip through the bot's inference process (`bot.pipeline.executor`), with and
without the research cut-out: the RGBA crop of the lining that comes back through the process
pipe only for a person who keeps it for research.

The 16 real whole-eye photos (bench.baseline.real_photos) as sent, and two of them enlarged to
12 MP (4032x3024 JPEG, as a phone's camera saves them), screened in turn through one inference
process, alternating passes without and with the cut-out. Per photo, medians over the passes
after the first: wall time, this process's CPU time (receiving the result is its share) and
the cut-out's size.

    python -m bench.roundtrip [--passes 4]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict

import cv2
import numpy as np

from bench.baseline import PERSON, real_photos
from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.executor import ExecutorPool
from model import WEIGHTS

SETS = ("as sent", "12 MP")
Pass = tuple[float, float, float]  # per photo: wall ms, this process's CPU ms, cut-out MB


def enlarged(data: bytes) -> bytes:
    """The photo enlarged to 4032x3024 (or 3024x4032), as a JPEG of quality 92."""
    rgb = decode(data).rgb
    size = (4032, 3024) if rgb.shape[1] >= rgb.shape[0] else (3024, 4032)
    big = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    assert ok
    return buf.tobytes()


async def one_pass(pool: ExecutorPool, photos: list[bytes], cutout: bool) -> Pass:
    """Wall ms, this process's CPU ms and the cut-out's MB a screened photo, over one pass."""
    cpu, wall, sizes = time.process_time(), time.perf_counter(), []
    for data in photos:
        try:
            result = await pool.screen(data, PERSON, with_cutout=cutout)
        except ImageRejected:
            continue
        sizes.append(0 if result.cutout is None else result.cutout.nbytes)
    n = max(len(sizes), 1)
    wall_ms = (time.perf_counter() - wall) * 1000 / n
    return wall_ms, (time.process_time() - cpu) * 1000 / n, float(np.median(sizes)) / 2**20


async def run(passes: int) -> dict[tuple[str, bool], list[Pass]]:
    photos = real_photos(16)[0]
    sets = dict(zip(SETS, (photos, [enlarged(d) for d in photos[:2]]), strict=True))
    pool = ExecutorPool(WEIGHTS, workers=1, queue_size=4)
    pool.start()
    out: dict[tuple[str, bool], list[Pass]] = defaultdict(list)
    try:
        for _ in range(passes):
            for name, chosen in sets.items():
                for cutout in (False, True):
                    out[name, cutout].append(await one_pass(pool, chosen, cutout))
    finally:
        pool.close()
    return out


def table(out: dict[tuple[str, bool], list[Pass]]) -> str:
    rows = [
        "| photos | cut-out | wall ms a photo | this process's CPU ms a photo | cut-out MB |",
        "|---|---|---|---|---|",
    ]
    for (name, cutout), passes in out.items():
        wall, cpu, mb = np.median(np.array(passes[1:] or passes), axis=0)
        rows.append(f"| {name} | {'yes' if cutout else 'no'} | {wall:.1f} | {cpu:.2f} | {mb:.2f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.roundtrip", description=__doc__)
    p.add_argument("--passes", type=int, default=4)
    args = p.parse_args(argv)
    print(table(asyncio.run(run(args.passes))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
