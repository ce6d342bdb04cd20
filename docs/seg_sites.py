"""Segmentation per site on the shared data: `python docs/seg_sites.py`.

Eyes-defy cut-out frames (the lining on black, 800x1067) through the gate chain, per site
(Italy's were never used to train the U-Net; India's patients' whole photos were). Hb figures
per population are cross-validated by `anemia-screen cv` (metrics.json `populations`); adults
end to end on whole photos are in docs/cv/whole_photos.md.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from bot.pipeline import quality
from bot.pipeline.screening import Screener
from model import WEIGHTS, seg_train

EYES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "eyes-defy"


def rows(table: Path) -> list[dict[str, str]]:
    with table.open(newline="") as f:
        return list(csv.DictReader(f))


def read(path: Path, grey: bool = False) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR)
    return img > 127 if grey else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def site(s: Screener, root: Path, items: list[dict[str, str]]) -> dict[str, object]:
    """Gate chain and U-Net on the cut-out frames of one site."""
    dice, accepted = [], 0
    for r in items:
        rgb, truth = read(root / r["image"]), read(root / r["mask"], grey=True)
        found, failing = quality.failures(s.segmenter, rgb)  # type: ignore[arg-type]
        accepted += not failing
        dice.append(seg_train.dice(found.mask if found else np.zeros_like(truth), truth))
    return {"n": len(items), "accepted": round(accepted / len(items), 3),
            "dice_median": round(float(np.median(dice)), 3)}  # fmt: skip


def main() -> None:
    s = Screener(WEIGHTS)
    table = rows(EYES / "labels.csv")
    out = {c: site(s, EYES, [r for r in table if r["country"] == c]) for c in ("India", "Italy")}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
