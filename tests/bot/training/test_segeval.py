"""Segmentation figures: overlap measures, the gate verdict, and the per-gate summary."""

from __future__ import annotations

import numpy as np
import pytest

from bot.training import segeval
from model import segment
from tests.model.seg_synthetic import untrained_unet


def test_iou_and_its_empty_case():
    a = np.zeros((4, 4), bool)
    b = a.copy()
    a[0, :2] = True
    b[0, 1:3] = True
    assert segeval.iou(a, b) == pytest.approx(1 / 3)
    assert segeval.iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def test_verdict_when_nothing_is_found(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(segment, "find", lambda model, image, small=None: None)
    rng = np.random.default_rng(0)
    image = rng.integers(60, 200, (96, 128, 3), dtype=np.uint8)
    v = segeval.verdict(untrained_unet(), image)
    assert v.mask is None and v.refused == v.failing[0] and v.failing[-1] == "no_conjunctiva"


def result(fold: int, dice: float, failing: tuple[str, ...], truth: tuple[str, ...] = ()):
    v = segeval.Verdict(None if "no_conjunctiva" in failing else np.ones((2, 2), bool), failing)
    return segeval.PhotoResult(
        fold, dice, dice / (2 - dice), v, truth, True, {"macro": (dice, True)}
    )


def test_summary_counts_every_gate_once_per_photo():
    results = [
        result(0, 0.9, ()),
        result(0, 0.8, ("blurred", "glare")),
        result(1, 0.0, ("colour_lost", "no_conjunctiva")),
        result(1, 0.7, ("colour_lost", "colour_lost"), truth=("blurred",)),
    ]
    s = segeval.summarise(results, folds=2)
    assert s["n"] == 4 and s["accepted"] == 0.25
    assert s["refused_by"] == {"blurred": 1, "colour_lost": 2}
    rates = s["gate_false_refusal"]
    assert isinstance(rates, dict)
    assert rates["colour_lost"] == 0.5 and rates["glare"] == 0.25 and rates["too_dark"] == 0.0
    assert s["gate_false_refusal_on_annotation"] == {
        g: (0.25 if g == "blurred" else 0.0) for g in segeval.GATES
    }
    assert s["dice_median_per_fold"] == [0.85, 0.35]
    assert s["dice_accepted"] == {"median": 0.9, "p10": 0.9, "mean": 0.9}


def test_framings_keep_mask_and_picture_together():
    image = np.full((400, 300, 3), 90, np.uint8)
    mask = np.zeros((400, 300), bool)
    mask[250:290, 60:240] = True
    image[mask] = (220, 40, 50)
    for name, (img, m) in segeval.framings(image, mask).items():
        assert img.shape[:2] == m.shape, name
        assert (img[m][:, 0] > 200).mean() > 0.9, name  # the mask is still on the red band
        assert m.any() and not m.all(), name
    macro, macro_mask = segeval.framings(image, mask)["macro"]
    assert max(macro.shape[:2]) == 1280 and 0.3 < macro_mask.mean() < 0.95
    black, _ = segeval.framings(image, mask)["eye_crop_black"]
    assert (black[0] == 0).all() and (black[-1] == 0).all()
