"""Per-stage latency of the screening pipeline on a 1280x960 JPEG phone photo.

Stages: decode (bytes -> RGB), segmentation (gates + U-Net + post-processing), regression
with Grad-CAM, and encoding the overlay PNG. Timed after warm-up; median and p95 in ms.
Run: python -m bench.pipeline [--repeats 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bot.data import cpanemic, deduplicate
from bot.data.compose import compose
from bot.decode import decode
from bot.risk import Person
from bot.screening import Screener
from model import gradcam

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cp-anemic"


def photo_jpeg(seed: int = 7) -> bytes:
    """A 1280x960 composite phone photo of a pulled-down lower eyelid, as JPEG bytes."""
    sample = deduplicate(cpanemic.load(DATA))[0][seed]
    c = compose(sample.image, sample.mask, seed=seed, size=(960, 1280))
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(c.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    assert ok
    return buf.tobytes()


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds per call, after two warm-up calls."""
    fn(), fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def stages(screener: Screener, data: bytes, repeats: int) -> dict[str, list[float]]:
    """Timings of each stage and of the whole `screen` call."""
    person = Person(age_months=24, sex="f")
    rgb = decode(data).rgb
    mask = screener.locate(rgb)
    ex, crop, crop_mask = screener.estimate(rgb, mask, person)
    return {
        "decode": timed(lambda: decode(data), repeats),
        "segmentation + gates": timed(lambda: screener.locate(rgb), repeats),
        "regression + Grad-CAM": timed(lambda: screener.estimate(rgb, mask, person), repeats),
        "encode overlay PNG": timed(
            lambda: gradcam.overlay_png(crop, crop_mask, ex.heatmap), repeats
        ),
        "whole pipeline": timed(lambda: screener.screen(data, person), repeats),
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
    a = p.parse_args()
    print(table(stages(Screener(), photo_jpeg(), a.repeats)))


if __name__ == "__main__":
    main()
