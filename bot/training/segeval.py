"""Figures for the segmenter and the quality gates: on real photos, composites and negatives.

A photo's verdict is the pipeline's own gate chain (`bot.pipeline.quality`): whole-photo gates, the
two-look `model.segment.find`, gates on the region found. Each gate's rate is counted on its
own too (every gate that would fire, not only the first), so a gate that refuses good
photographs shows up even when another gate fired before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from bot.pipeline import quality
from bot.training.data import Sample, compose
from model import seg_train, segment, unet

TEST_SEED_OFFSET = 1_000_000  # held-out scenes use seeds no training scene uses
VAL_SEED_OFFSET = 500_000  # validation scenes: for looking at gate thresholds, never the test
SIZE = (480, 640)  # composite photo size (H, W)
GATES = tuple(dict.fromkeys(("not_eyelid", "colour_lost", "no_conjunctiva", *quality.REGION_GATES)))


@dataclass(frozen=True)
class Verdict:
    mask: np.ndarray | None  # the conjunctiva found, None when nothing was
    failing: tuple[str, ...]  # every gate that fires, in the order they are told

    @property
    def refused(self) -> str | None:
        return self.failing[0] if self.failing else None


@dataclass(frozen=True)
class PhotoResult:
    fold: int
    dice: float
    iou: float
    verdict: Verdict
    truth_failing: tuple[str, ...]  # gates that fire on the annotated region itself
    above_refused: bool | None  # the photo cut above the lining (sclera, iris): refused?
    variants: dict[str, tuple[float, bool]]  # framing -> (Dice, accepted), see `framings`


def verdict(model: unet.Model, image: np.ndarray) -> Verdict:
    """Every gate that fires on a photo, photo gates first; the mask when one was found."""
    found, failing = quality.failures(model, image)
    return Verdict(None if found is None else found.mask, tuple(failing))


def iou(pred: np.ndarray, target: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = (pred | target).sum()
    return float((pred & target).sum() / union) if union else 1.0


def _above(image: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The photo above the lining (eyeball, lashes of the upper lid), if there is enough of it."""
    top = int(np.nonzero(mask.any(axis=1))[0][0] * 0.95)
    return image[:top] if top >= image.shape[0] // 4 else None


def _frame(image: np.ndarray, mask: np.ndarray, colour: int) -> tuple[np.ndarray, np.ndarray]:
    """A crop to the eye region with the uneven frame a phone's crop tool leaves."""
    t, b, left, r = segment.refine_box(mask, pad=0.3)
    h = b - t
    pads = ((h // 10, h // 14), (h // 8, h // 12))
    framed = np.pad(image[t:b, left:r], (*pads, (0, 0)), constant_values=colour)
    return framed, np.pad(mask[t:b, left:r], pads)


def framings(image: np.ndarray, mask: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The photo as people also send it: a macro close-up (the lining about half the frame,
    at full resolution), a landscape 4:3 crop, and eye-region crops with a black or white frame."""
    t, b, left, r = segment.refine_box(mask, pad=0.05)
    f = 1280 / max(b - t, r - left)
    macro = cv2.resize(image[t:b, left:r], None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    size = macro.shape[1::-1]
    macro_mask = (
        cv2.resize(mask[t:b, left:r].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    )
    h, w = mask.shape
    lh = min(h, round(w * 3 / 4))
    cy = (t + b) // 2
    top = int(np.clip(cy - lh // 2, 0, h - lh))
    return {
        "macro": (macro, macro_mask),
        "landscape": (image[top : top + lh], mask[top : top + lh]),
        "eye_crop_black": _frame(image, mask, 0),
        "eye_crop_white": _frame(image, mask, 255),
    }


def _variant(model: unet.Model, image: np.ndarray, truth: np.ndarray) -> tuple[float, bool]:
    v = verdict(model, image)
    pred = v.mask if v.mask is not None else np.zeros_like(truth)
    return seg_train.dice(pred, truth), v.refused is None


def judge(model: unet.Model, image: np.ndarray, truth: np.ndarray, fold: int) -> PhotoResult:
    """One held-out real photo: overlap with its annotation and what every gate says."""
    v = verdict(model, image)
    pred = v.mask if v.mask is not None else np.zeros_like(truth)
    above = _above(image, truth)
    return PhotoResult(
        fold=fold,
        dice=seg_train.dice(pred, truth),
        iou=iou(pred, truth),
        verdict=v,
        truth_failing=tuple(quality.region_failures(image, truth, 1.0)),
        above_refused=None if above is None else verdict(model, above).refused is not None,
        variants={k: _variant(model, *pair) for k, pair in framings(image, truth).items()},
    )


def _stats(values: Sequence[float]) -> dict[str, float]:
    v = np.asarray(values, float)
    return {
        "median": round(float(np.median(v)), 4),
        "p10": round(float(np.percentile(v, 10)), 4),
        "mean": round(float(v.mean()), 4),
    }


def summarise(results: Sequence[PhotoResult], folds: int) -> dict[str, object]:
    """Per-photo Dice and IoU, share accepted, and each gate's refusals of real photos."""
    n = len(results)
    accepted = [r for r in results if r.verdict.refused is None]
    fires = Counter(code for r in results for code in set(r.verdict.failing))
    on_truth = Counter(code for r in results for code in set(r.truth_failing))
    above = [r.above_refused for r in results if r.above_refused is not None]
    return {
        "n": n,
        "folds": folds,
        "dice": _stats([r.dice for r in results]),
        "iou": _stats([r.iou for r in results]),
        "dice_accepted": _stats([r.dice for r in accepted]) if accepted else None,
        "accepted": round(len(accepted) / n, 4),
        "refused_by": dict(Counter(r.verdict.refused for r in results if r.verdict.refused)),
        "gate_false_refusal": {g: round(fires[g] / n, 4) for g in GATES},
        "gate_false_refusal_on_annotation": {g: round(on_truth[g] / n, 4) for g in GATES},
        "refuse_real_above_lining": round(float(np.mean(above)), 4) if above else None,
        "n_above_lining": len(above),
        "framings": {
            k: {
                "accepted": round(float(np.mean([r.variants[k][1] for r in results])), 4),
                "dice_median": round(float(np.median([r.variants[k][0] for r in results])), 4),
            }
            for k in (results[0].variants if results else {})
        },
        "dice_median_per_fold": [
            round(float(np.median([r.dice for r in results if r.fold == f])), 4)
            for f in range(folds)
        ],
    }


def _dice_of(model: unet.Model, image: np.ndarray, truth: np.ndarray) -> float:
    found = segment.find(model, image)
    return seg_train.dice(found.mask if found else np.zeros_like(truth), truth)


def _negatives(model: unet.Model, offset: int, per_kind: int) -> dict[str, object]:
    """Refusal share per kind of drawn negative, and how often each gate fires on them."""
    refused: dict[str, float] = {}
    fires: Counter[str] = Counter()
    for kind in compose.NEGATIVE_KINDS:
        verdicts = [
            verdict(model, compose.negative(kind, seed=offset + j, size=SIZE))
            for j in range(per_kind)
        ]
        refused[kind] = sum(v.refused is not None for v in verdicts) / per_kind
        fires.update(code for v in verdicts for code in set(v.failing))
    total = per_kind * len(compose.NEGATIVE_KINDS)
    return {
        "refuse_negative": round(float(np.mean(list(refused.values()))), 4),
        **{f"refuse_{k}": round(v, 4) for k, v in refused.items()},
        "gate_catch": {g: round(fires[g] / total, 4) for g in GATES},
        "n_negatives": total,
    }


def measure(
    model: unet.Model,
    test: Sequence[Sample],
    seed: int,
    offset: int = TEST_SEED_OFFSET,
    per_kind: int = 20,
) -> dict[str, object]:
    """Dice on held-out composites and backdrops, acceptance, and refusal of negatives."""
    dice: dict[str, list[float]] = {"composite": [], "white": [], "black": []}
    refusals: Counter[str] = Counter()
    for i, s in enumerate(tqdm(test, desc="held-out", leave=False)):
        c = compose.compose(s.image, s.mask, seed=offset + seed * 10_000 + i, size=SIZE)
        v = verdict(model, c.image)
        pred = v.mask if v.mask is not None else np.zeros_like(c.mask)
        dice["composite"].append(seg_train.dice(pred, c.mask))
        refusals.update([v.refused] if v.refused else [])
        for name, colour in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
            b = compose.backdrop(s.image, s.mask, colour=colour)
            dice[name].append(_dice_of(model, b.image, b.mask))
    out: dict[str, object] = {f"dice_{k}": round(float(np.mean(v)), 4) for k, v in dice.items()}
    out["dice_composite_median"] = round(float(np.median(dice["composite"])), 4)
    out["accept_positive"] = round(1 - sum(refusals.values()) / len(test), 4)
    out["positive_refused_by"] = dict(refusals)
    out["n_cutouts"] = len(test)
    return {**out, **_negatives(model, offset, per_kind)}
