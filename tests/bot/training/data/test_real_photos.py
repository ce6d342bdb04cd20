"""The real-photo loader on the shared Eyes-defy-anemia whole-eye photos (`photos/`: 66 India
phone photos, `<name>.jpg` beside `<name>_mask.png`): every photo loads with its mask aligned.

Skipped when the folder is missing, except under CI, where the data must be there.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from bot.training.data.photos import AnnotatedPhoto, load_photos
from tests.conftest import require_data

PHOTOS = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "eyes-defy" / "photos"
N_PHOTOS = 66
AREA = (0.01, 0.30)  # share of the photo the conjunctiva covers in a whole-eye photo
MOST = 0.95  # share of photos on which the conjunctiva must be redder than the rest


@pytest.fixture(scope="module")
def photos_dir() -> Path:
    return require_data(PHOTOS, "")  # the folder itself: skip (fail in CI) only if it is missing


@pytest.fixture(scope="module")
def photos(photos_dir: Path) -> list[AnnotatedPhoto]:
    return load_photos(photos_dir)


def upright_size(path: Path) -> tuple[int, int]:
    """(H, W) of a photo as shown, EXIF orientation applied."""
    with Image.open(path) as img:
        width, height = ImageOps.exif_transpose(img).size
    return height, width


def redness(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean CIELAB a* inside the mask minus the mean outside it (positive: redder inside)."""
    a_star = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 1].astype(np.float32)
    return float(a_star[mask].mean() - a_star[~mask].mean())


def test_every_listed_photo_loads(photos_dir: Path, photos: list[AnnotatedPhoto]) -> None:
    with (photos_dir / "labels.csv").open(newline="") as f:
        listed = sorted(row["image"] for row in csv.DictReader(f))
    assert len(photos) == N_PHOTOS
    assert sorted(p.key for p in photos) == listed


def test_masks_are_aligned_with_their_photos(
    photos_dir: Path, photos: list[AnnotatedPhoto]
) -> None:
    for p in photos:
        assert p.image.dtype == np.uint8 and p.image.ndim == 3, p.key
        assert p.mask.dtype == bool and p.mask.shape == p.image.shape[:2], p.key
        assert p.mask.shape == upright_size(photos_dir / p.key), p.key  # full size, upright


def test_mask_covers_a_plausible_share_of_each_photo(photos: list[AnnotatedPhoto]) -> None:
    lo, hi = AREA
    outside = {p.key: round(float(p.mask.mean()), 4) for p in photos}
    assert {k: v for k, v in outside.items() if not lo <= v <= hi} == {}


def test_masked_pixels_are_redder_than_the_rest(photos: list[AnnotatedPhoto]) -> None:
    """The pink lining has a higher a* than skin, sclera and lashes: a mask put in the wrong
    place (misaligned, flipped or turned) would not be."""
    scores = {p.key: redness(p.image, p.mask) for p in photos}
    redder = [k for k, d in scores.items() if d > 0]
    assert len(redder) >= MOST * len(photos), {k: d for k, d in scores.items() if d <= 0}
