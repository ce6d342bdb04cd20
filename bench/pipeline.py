"""Per-stage latency of the screening pipeline on 1280x960 JPEG phone photos: 16 real
whole-eye photos (bench.baseline.real_photos; the load run's CP-AnemiC composites where the
shared data is missing), those the gates accept, in turn.

Stages:
- decode (bytes -> RGB), then again for the same pictures carrying a colour tag, which
  decoding converts to sRGB: the JPEGs with a Display P3-like ICC profile inserted; HEIC as an
  iPhone saves it (converted into that profile and tagged with it), at this size and scaled
  up to the iPhone's 4032x3024; and HEIC tagged P3 by HEIF's code points (nclx) instead;
- segmentation (gates + U-Net + post-processing);
- the crop's colour statistics (part of the next stage, timed alone), on the photo as the
  estimate reads it: at segmentation's work size (`segment.WORK_SIDE`);
- the estimate with its overlay JPEG by the model that serves the person: the children's CNN
  with Grad-CAM, or the adults' colour statistics, SVR and trees;
- the whole pipeline for each.
Timed after warm-up; median and p95 in ms; the time depends on the photo (the conjunctiva's
size).
Run: python -m bench.pipeline [--repeats 50]
     python -m bench.pipeline --against OTHER_TREE [--rounds 10]  (bench.side_by_side: the
     whole pipeline of this checkout and another's, taking turns in one run)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.baseline import PERSON, real_photos
from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from model import features, preprocess
from testbed.icc import display_profile, nclx_heic, p3_heic, tagged_jpeg

ADULT = Person(age_months=360.0, sex="f")  # the photos are of adults: the adults' model


def timed(fn: Callable[[int], object], repeats: int, n: int) -> list[float]:
    """Milliseconds per call of fn(k) over the n photos in turn, after one warm-up each."""
    for k in range(n):
        fn(k)
    out = []
    for i in range(repeats):
        t = time.perf_counter()
        fn(i % n)
        out.append((time.perf_counter() - t) * 1000)
    return out


def usable(screener: Screener, photos: list[bytes]) -> list[bytes]:
    """The photos the gates accept (a refused photo stops before regression)."""
    kept = []
    for data in photos:
        try:
            screener.screen(data, PERSON)
        except ImageRejected:
            continue
        kept.append(data)
    return kept


def stages(screener: Screener, photos: list[bytes], repeats: int) -> dict[str, list[float]]:
    """Timings of each stage and of the whole `screen` call over photos the gates accept."""
    if not photos:
        raise SystemExit("bench: the gates refused every photo; nothing to time")
    rgbs = [decode(data).rgb for data in photos]
    # what the estimate reads: the photo at segmentation's work size and the lining found in it
    views = [screener.view(decode(data)) for data in photos]
    smalls, masks = [v.image for v in views], [v.mask for v in views]
    n, icc = len(photos), display_profile("Display P3 (bench)")
    tagged = [tagged_jpeg(data, icc) for data in photos]  # the same pixels, converted to sRGB
    heic = [p3_heic(rgb) for rgb in rgbs]
    coded = [nclx_heic(rgb) for rgb in rgbs]  # converted by a profile written for its codes
    big = [
        cv2.resize(rgb, (3024, 4032) if rgb.shape[0] > rgb.shape[1] else (4032, 3024))
        for rgb in rgbs[:2]
    ]
    full, full_coded = [p3_heic(rgb) for rgb in big], [nclx_heic(rgb) for rgb in big]
    return {
        "decode": timed(lambda k: decode(photos[k]), repeats, n),
        "decode, the same JPEGs tagged Display P3": timed(lambda k: decode(tagged[k]), repeats, n),
        "decode, the same pictures as HEIC in Display P3": timed(
            lambda k: decode(heic[k]), repeats, n
        ),
        "decode, the same pixels as HEIC tagged P3 by code points (nclx)": timed(
            lambda k: decode(coded[k]), repeats, n
        ),
        "decode, HEIC in Display P3 at 4032x3024 (12 MP)": timed(
            lambda k: decode(full[k % 2]), repeats, 2
        ),
        "decode, HEIC tagged P3 by code points at 4032x3024 (12 MP)": timed(
            lambda k: decode(full_coded[k % 2]), repeats, 2
        ),
        "segmentation + gates": timed(lambda k: screener.locate(rgbs[k]), repeats, n),
        "crop + colour statistics (both models read them)": timed(
            lambda k: features.colour_features(*preprocess.crop(smalls[k], masks[k])), repeats, n
        ),
        "children: CNN + Grad-CAM + overlay JPEG": timed(
            lambda k: screener.estimate(smalls[k], masks[k], PERSON), repeats, n
        ),
        "adults: colour statistics + SVR and trees + overlay JPEG": timed(
            lambda k: screener.estimate(smalls[k], masks[k], ADULT), repeats, n
        ),
        "whole pipeline (child)": timed(lambda k: screener.screen(photos[k], PERSON), repeats, n),
        "whole pipeline (adult)": timed(lambda k: screener.screen(photos[k], ADULT), repeats, n),
        "whole pipeline (child), tagged Display P3": timed(
            lambda k: screener.screen(tagged[k], PERSON), repeats, n
        ),
    }


def table(results: dict[str, list[float]]) -> str:
    """Markdown rows: stage, median ms, p95 ms."""
    rows = ["| stage | median ms | p95 ms |", "|---|---|---|"]
    for name, ms in results.items():
        rows.append(f"| {name} | {np.median(ms):.1f} | {np.percentile(ms, 95):.1f} |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--against", type=Path, help="another checkout: side by side, whole pipeline")
    p.add_argument("--rounds", type=int, default=10, help="with --against: passes per tree")
    a = p.parse_args()
    if a.against is not None:
        from bench import side_by_side

        sys.argv = [sys.argv[0], str(a.against), "--rounds", str(a.rounds)]
        raise SystemExit(side_by_side.main())
    photos, what = real_photos(16)
    screener = Screener()
    kept = usable(screener, photos)
    print(f"{len(kept)} of {len(photos)} {what} accepted and timed\n")
    print(table(stages(screener, kept, a.repeats)))


if __name__ == "__main__":
    main()
