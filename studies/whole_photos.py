"""Adults end to end on whole phone photos, and whether the sclera's white helps:
`python -m studies.whole_photos` -> docs/cv/whole_photos.md and `whole_photos` in metrics.json.

1. Photo -> U-Net -> adults' model, patient-grouped: each India whole photo is scored by an
   adults' model fitted on the cut-outs of the other folds' patients (the folds of `cv`), beside
   the same patients' cut-out figures, the drawn mask on the whole photo, and the demographics
   line (age, sex and site, no photo; `model.demographics`) fitted on the same folds. Each photo is
   segmented by the `train-seg` cross-validation network that never saw its patient (kept in
   runs/seg/folds); without them, by the shipped U-Net, which was fine-tuned on these 66 photos
   and so finds better masks than on a stranger's photo (`segmenter` says which).
   `with_spread`: the same with a model that also takes the spread of colour inside the mask
   (*_std), which the shipped one leaves out.
2. White reference: the sclera (bright, unsaturated pixels in a band above the lining) gives
   each photo's white. A model fitted on whole-photo colour statistics, raw or with the photo
   white-balanced by its sclera, compared on the same patient folds. Only India's patients have
   whole photos, so this measures within one site; across sites it cannot be measured here.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score

from bot.pipeline import quality
from bot.training import adults
from bot.training.data import make_folds, table
from model import WEIGHTS, adult, demographics, features, preprocess, svr, trees, unet
from studies import EYES_DEFY, PAGES, REPO, parse_args

EYES = EYES_DEFY
OUT = PAGES / "whole_photos.md"
FOLDS = REPO / "runs" / "seg" / "folds"  # train-seg's cross-validation networks
SEED = 0


@dataclass(frozen=True)
class Shot:
    """One whole photo's colour statistics: on the drawn mask; on the U-Net's mask (None where
    the gates refused the photo); on the drawn mask once the photo is white-balanced by its
    sclera (None where no sclera was found)."""

    patient: str
    drawn: np.ndarray
    found: np.ndarray | None
    balanced: np.ndarray | None


def read(path: Path, grey: bool = False) -> np.ndarray:
    """An RGB photo, or a mask as booleans when `grey`."""
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"cannot read {path}")
    return np.asarray(img > 127) if grey else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def sclera_white(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Median RGB of the brightest unsaturated pixels in a band above the lining, or None."""
    ys, xs = np.nonzero(mask)
    height = ys.max() - ys.min() + 1
    top = max(int(ys.min() - 2 * height), 0)
    band = rgb[top : ys.min(), xs.min() : xs.max() + 1].reshape(-1, 3).astype(np.float32)
    if len(band) < 100:
        return None
    hsv = cv2.cvtColor(band[None] / 255.0, cv2.COLOR_RGB2HSV)[0]
    bright = hsv[:, 2] >= np.percentile(hsv[:, 2], 80)
    white = band[bright & (hsv[:, 1] < 0.3)]
    return np.median(white, axis=0) if len(white) >= 50 else None


def balanced(rgb: np.ndarray, white: np.ndarray) -> np.ndarray:
    """The photo white-balanced so its sclera is grey at the sclera's own brightness."""
    gains = white.mean() / np.maximum(white, 1.0)
    return np.clip(rgb * gains, 0, 255).astype(np.uint8)


def colour(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return features.colour_features(*preprocess.crop(rgb, mask))


def scores(hb: np.ndarray, pred: np.ndarray, thr: np.ndarray) -> dict[str, float]:
    return {
        "n": len(hb),
        "mae": round(float(np.abs(pred - hb).mean()), 3),
        "pearson_r": round(float(np.corrcoef(pred, hb)[0, 1]), 3),
        "auroc": round(float(roc_auc_score(hb < thr, thr - pred)), 3),
    }


def held_out_segmenters() -> dict[str, unet.Model]:
    """patient -> the CV fold network that never saw them (`train-seg` keeps them), if kept."""
    out: dict[str, unet.Model] = {}
    for d in sorted(FOLDS.iterdir()) if FOLDS.is_dir() else []:
        model = unet.load(d)
        out |= dict.fromkeys(json.loads((d / "held_out.json").read_text()), model)
    return out


def photos(shipped: unet.Model, held_out: dict[str, unet.Model]) -> list[Shot]:
    """Each whole photo's features on the drawn and the found mask, raw and balanced."""
    out = []
    with (EYES / "photos" / "labels.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            rgb, drawn = read(EYES / "photos" / r["image"]), read(EYES / "photos" / r["mask"], True)
            segmenter = held_out[r["patient"]] if held_out else shipped
            found, failing = quality.failures(segmenter, rgb)
            white = sclera_white(rgb, drawn)
            out.append(
                Shot(
                    patient=r["patient"],
                    drawn=colour(rgb, drawn),
                    found=None if failing or found is None else colour(rgb, found.mask),
                    balanced=None if white is None else colour(balanced(rgb, white), drawn),
                )
            )
    return out


def main() -> None:
    parse_args(__doc__)
    samples = table.load(EYES / "labels.csv")
    t, folds = adults.table(samples), make_folds(samples, k=5, seed=SEED)
    cutout_pred = adults.out_of_fold(t, folds, SEED)
    row_of = {Path(s.key).stem: i for i, s in enumerate(samples)}
    held_out = held_out_segmenters()
    shots = photos(unet.load(WEIGHTS), held_out)
    rows = np.array([row_of[p.patient] for p in shots])
    pred = {k: np.full(len(shots), np.nan) for k in ("drawn", "found", "spread", "line")}
    who = demographics.from_meta(t.meta, t.population)
    every = tuple(range(features.N_FEATURES))  # every statistic, the spreads included
    spread = adult.Config(
        svr=svr.Config(colour_columns=every), trees=trees.Config(colour_columns=every)
    )
    for f in np.unique(folds[rows]):
        tr = (t.colour[folds != f], t.meta[folds != f], t.hb[folds != f])
        model, with_spread = adult.fit(adult.Config(), *tr, SEED), adult.fit(spread, *tr, SEED)
        here = folds[rows] == f
        pred["line"][here] = demographics.fit_predict(
            who.take(folds != f), t.hb[folds != f], who.take(rows[here]), with_site=True
        )
        for i in np.nonzero(folds[rows] == f)[0]:
            meta = t.meta[rows[i]][None]
            drawn, found = shots[i].drawn, shots[i].found
            runs = (
                ("drawn", model, drawn),
                ("found", model, found),
                ("spread", with_spread, found),
            )
            for kind, m, x in runs:
                if x is not None:
                    pred[kind][i] = adult.predict(m, x[None], meta)[0]
    hb, thr = t.hb[rows], t.threshold[rows]
    found = ~np.isnan(pred["found"])
    result: dict[str, object] = {
        "segmenter": "held-out CV folds" if held_out else "shipped (trained on these photos)",
        "cutout_same_patients": scores(hb, cutout_pred[rows], thr),
        "demographics_same_patients": scores(hb, pred["line"], thr),
        "whole_photo_drawn_mask": scores(hb, pred["drawn"], thr),
        "whole_photo_unet_mask": {
            **scores(hb[found], pred["found"][found], thr[found]),
            "refused": int((~found).sum()),
        },
        "whole_photo_unet_mask_with_spread": scores(hb[found], pred["spread"][found], thr[found]),
        **sclera(shots, t, rows, folds),
        "shift_sd": shifts(np.stack([x.drawn for x in shots]), t, rows),
    }
    write(result)


def shifts(whole: np.ndarray, t: adults.Table, rows: np.ndarray) -> dict[str, float]:
    """Mean change of each statistic from the cut-out to the whole photo of the same eye, in
    standard deviations across patients: the five largest."""
    z = (whole - t.colour[rows]).mean(axis=0) / (t.colour.std(axis=0) + 1e-9)
    top = np.argsort(-np.abs(z))[:5]
    return {features.NAMES[i]: round(float(z[i]), 2) for i in top}


def sclera(
    shots: list[Shot], t: adults.Table, rows: np.ndarray, folds: np.ndarray
) -> dict[str, object]:
    """Patient-grouped CV on whole-photo features: raw vs white-balanced by the sclera."""
    keep = np.array([s.balanced is not None for s in shots])
    out: dict[str, object] = {"sclera_found": int(keep.sum())}
    raw = np.stack([s.drawn for s in shots if s.balanced is not None])
    white = np.stack([s.balanced for s in shots if s.balanced is not None])
    for kind, x in (("raw", raw), ("sclera_balanced", white)):
        r, fo = rows[keep], folds[rows[keep]]
        pred = np.zeros(len(x))
        for f in np.unique(fo):
            m = adult.fit(adult.Config(), x[fo != f], t.meta[r][fo != f], t.hb[r][fo != f], SEED)
            pred[fo == f] = adult.predict(m, x[fo == f], t.meta[r][fo == f])
        out[f"whole_photo_cv_{kind}"] = scores(t.hb[r], pred, t.threshold[r])
    return out


def write(result: dict[str, object]) -> None:
    metrics = WEIGHTS / "metrics.json"
    shipped = json.loads(metrics.read_text())
    shipped["whole_photos"] = result
    metrics.write_text(json.dumps(shipped, indent=2) + "\n")
    lines = ["| figures | n | MAE | r | AUROC (WHO) |", "|---|---|---|---|---|"]
    for k, v in result.items():
        if isinstance(v, dict) and "n" in v:
            lines.append(
                f"| {k} | {v['n']} | {v['mae']:.2f} | {v['pearson_r']:.2f} | {v['auroc']:.2f} |"
            )
    intro = (__doc__ or "").split("\n\n", 1)[1]
    made = "Made by `python -m studies.whole_photos`."
    OUT.write_text(
        f"# Adults on whole photos\n\n{intro}\n"
        + "\n".join(lines)
        + f"\n\nRaw: {json.dumps(result)}\n\n{made}\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
