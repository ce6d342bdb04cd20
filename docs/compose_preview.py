"""Look at what the segmenter trains on: 12 composites (mask outlined in green) and 6 negatives.

Composites use 12 real CP-AnemiC cut-outs spread over the data set, with scene seeds 0-11;
each tile shows the photo as the network sees it, then the same photo with its mask outline.
Run from the repo root: python docs/compose_preview.py /tmp/compose_preview.png
"""

import sys
import time
from pathlib import Path

import cv2
import numpy as np

from bot.training.data import cpanemic
from bot.training.data.compose import NEGATIVE_KINDS, compose, negative

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cp-anemic"
TILE = (320, 240)  # (w, h) of one tile
SHOWN = ("document", "solid", "landscape", "skin", "face_far", "sclera_only")


def outlined(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return cv2.drawContours(image.copy(), contours, -1, (0, 255, 0), 2)


def tile(image: np.ndarray, label: str) -> np.ndarray:
    small = cv2.resize(image, TILE, interpolation=cv2.INTER_AREA)
    cv2.putText(small, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA)
    return small


def main(out: Path) -> None:
    samples = cpanemic.load(DATA)
    picked = [samples[i] for i in np.linspace(0, len(samples) - 1, 12).astype(int)]
    tiles, times = [], []
    for seed, s in enumerate(picked):
        t = time.perf_counter()
        c = compose(s.image, s.mask, seed=seed)
        times.append(time.perf_counter() - t)
        tiles += [tile(c.image, f"{s.key} seed {seed}"), tile(outlined(c.image, c.mask), "mask")]
    kinds = [k for k in SHOWN if k in NEGATIVE_KINDS]
    tiles += [tile(negative(k, seed=i), f"negative: {k}") for i, k in enumerate(kinds)]
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % 6)
    rows = [np.hstack(tiles[i : i + 6]) for i in range(0, len(tiles), 6)]
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    print(f"wrote {out}; compose median {1000 * np.median(times[1:]):.1f} ms (first call skipped)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
