"""A research crop kept bounded (bot.services.research) still serves `export` and `adapt`:
the table loader reads its alpha as the mask; what the models read of it (the lining's colour
statistics, the networks' small input) and the served estimate `adapt` starts from are those
of the full-size cut-out.

On a real Eyes-defy cut-out, enlarged four times as a 20-megapixel photo's would be.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.pipeline.screening import Screener, cutout
from bot.services import research
from bot.training import adapt_job
from bot.training.data import sources
from bot.training.export import write
from model import features, preprocess
from storage.export import LabConfirmed
from storage.screenings import MAX_CROP_SIDE
from tests.bot.e2e import weights_dir
from tests.conftest import require_data

__all__ = ["weights_dir"]  # fixture

EYES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "eyes-defy"


@pytest.fixture
def large_cutout() -> np.ndarray:
    """India_006's lining, four times its size (about 20 MP's worth of eye)."""
    row = next(csv.DictReader((require_data(EYES, "labels.csv") / "labels.csv").open()))
    bgr = cv2.imread(str(EYES / row["image"]), cv2.IMREAD_COLOR)
    grey = cv2.imread(str(EYES / row["mask"]), cv2.IMREAD_GRAYSCALE)
    assert bgr is not None and grey is not None
    size = (bgr.shape[1] * 4, bgr.shape[0] * 4)
    rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), size, interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(grey, size, interpolation=cv2.INTER_NEAREST) > 0
    big = cutout(rgb, mask)
    assert max(big.shape[:2]) > MAX_CROP_SIDE
    return big


def test_a_bounded_crop_exports_and_reads_as_the_full_one(
    large_cutout: np.ndarray, tmp_path: Path, weights_dir: Path
) -> None:
    png = research.cutout_png(large_cutout)
    row = LabConfirmed(
        png=png,
        lab_hb_g_dl=11.8,
        age_months=660.0,
        age_group=None,
        sex="f",
        month="2026-01",
        team="clinic",
        estimate_g_dl=12.1,
        model_version="test",
        population="eyes-defy",
    )
    exported = write([row], tmp_path / "export", "clinic")
    [sample] = sources.load_any(exported.csv)
    assert max(sample.image.shape[:2]) == MAX_CROP_SIDE
    full_image, full_mask = large_cutout[..., :3], large_cutout[..., 3] > 0
    assert abs(sample.mask.mean() - full_mask.mean()) < 0.005  # the same lining, crisp
    # the adults' model reads the lining's colour statistics
    got = features.colour_features(sample.image, sample.mask)
    want = features.colour_features(full_image, full_mask)
    assert np.allclose(got, want, rtol=0.02, atol=0.02), np.abs(got - want).max()
    # the children's networks read it at 64x128 px (model/weights/ensemble.json)
    small = preprocess.to_input(sample.image, sample.mask, 64, 128)
    full = preprocess.to_input(full_image, full_mask, 64, 128)
    assert np.abs(small - full).mean() < 0.01
    # what `adapt` starts from: the served model's estimate on the crop, the same
    screener = Screener(weights_dir)
    whole = dataclasses.replace(sample, image=full_image, mask=full_mask)
    got_rows, want_rows = adapt_job.rows(screener, [sample]), adapt_job.rows(screener, [whole])
    assert abs(got_rows.base[0] - want_rows.base[0]) < 0.05  # g/dL
