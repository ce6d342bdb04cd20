"""Per-population figures of the shipped models on the shared data: `python docs/populations.py`.

Segmentation: Eyes-defy cut-out frames (the lining on black, 800x1067) through the gate chain,
per site (Italy's were never used to train the U-Net; India's patients' whole photos were), and
India's whole photos (in the U-Net's training set: see seg_metrics.json for held-out figures).
Hb: the shipped regressor (trained on CP-AnemiC children only) on each site's drawn masks and,
for India, on the masks the U-Net finds in the whole photos, with the age and sex the service
would be given (the screener clamps age to the 6-60 months it was trained on), and with age
set to 59 months. CP-AnemiC's own figures are its
cross-validation in model/weights/metrics.json.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from bot import quality
from bot.risk import Person
from bot.screening import Screener
from model import WEIGHTS, seg_train

EYES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "eyes-defy"


def rows(table: Path) -> list[dict[str, str]]:
    with table.open(newline="") as f:
        return list(csv.DictReader(f))


def read(path: Path, grey: bool = False) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR)
    return img > 127 if grey else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def hb_figures(pred: list[float], lab: list[float]) -> dict[str, float]:
    p, y = np.array(pred), np.array(lab)
    return {"n": len(y), "mae": round(float(np.abs(p - y).mean()), 2),
            "mae_of_mean": round(float(np.abs(y - y.mean()).mean()), 2),
            "pearson_r": round(float(np.corrcoef(p, y)[0, 1]), 2)}  # fmt: skip


def site(s: Screener, root: Path, items: list[dict[str, str]]) -> dict[str, object]:
    """Segmentation of the cut-out frames and Hb on the drawn masks, for one site."""
    dice, accepted, pred, lab, clamped = [], 0, [], [], []
    for r in items:
        rgb, truth = read(root / r["image"]), read(root / r["mask"], grey=True)
        found, failing = quality.failures(s.segmenter, rgb)  # type: ignore[arg-type]
        accepted += not failing
        dice.append(seg_train.dice(found.mask if found else np.zeros_like(truth), truth))
        person = Person(float(r["age_months"]), r["sex"])  # type: ignore[arg-type]
        pred.append(s.estimate(rgb, truth, person)[0].estimate)
        oldest = Person(59.0, r["sex"])  # type: ignore[arg-type]
        clamped.append(s.estimate(rgb, truth, oldest)[0].estimate)  # inside the trained ages
        lab.append(float(r["hb"]))
    return {"segmentation_cutout_frames": {"accepted": round(accepted / len(items), 3),
                                           "dice_median": round(float(np.median(dice)), 3)},
            "hb_on_drawn_mask": hb_figures(pred, lab),
            "hb_on_drawn_mask_age_as_59_months": hb_figures(clamped, lab)}  # fmt: skip


def whole_photos(s: Screener) -> dict[str, object]:
    """India's whole photos end to end: gate chain, U-Net mask, Hb."""
    root, pred, lab, refused = EYES / "photos", [], [], 0
    for r in rows(root / "labels.csv"):
        rgb = read(root / r["image"])
        found, failing = quality.failures(s.segmenter, rgb)  # type: ignore[arg-type]
        if failing or found is None:
            refused += 1
            continue
        person = Person(float(r["age_months"]), r["sex"])  # type: ignore[arg-type]
        pred.append(s.estimate(rgb, found.mask, person)[0].estimate)
        lab.append(float(r["hb"]))
    return {"refused": refused, "hb_on_found_mask": hb_figures(pred, lab)}


def main() -> None:
    s = Screener(WEIGHTS)
    table = rows(EYES / "labels.csv")
    out = {c: site(s, EYES, [r for r in table if r["country"] == c]) for c in ("India", "Italy")}
    out["India whole photos (U-Net trained on them)"] = whole_photos(s)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
