"""Fixtures for the application tests: a small synthetic labelled set and weights trained on it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.cli.main import main
from tests.bot.argv import argv as cli_argv


def _cutout(rng: np.random.Generator, hb: float) -> np.ndarray:
    """BGRA ellipse whose redness rises with Hb, on a transparent background."""
    img = np.zeros((60, 160, 4), np.uint8)
    cv2.ellipse(img, (80, 30), (70, 22), 0, 0, 360, (255, 255, 255, 255), -1)
    red = np.clip(120 + 12 * (hb - 11) + rng.normal(0, 6), 0, 255)
    colour = np.array([90 - 4 * (hb - 11), 90 - 4 * (hb - 11), red, 255])
    noise = rng.normal(0, 4, img.shape)
    inside = img[..., 3:] > 0
    return np.where(inside, np.clip(colour + noise, 0, 255), 0).astype(np.uint8)


@pytest.fixture(scope="session")
def synthetic_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV data set of 40 cut-outs in the programme layout `image,hb,age_months,sex`."""
    root = tmp_path_factory.mktemp("synthetic")
    rng = np.random.default_rng(0)
    rows = ["image,hb,age_months,sex"]
    for i in range(40):
        hb = float(rng.uniform(7.5, 14.0))
        cv2.imwrite(str(root / f"img_{i}.png"), _cutout(rng, hb))
        rows.append(f"img_{i}.png,{hb:.1f},{rng.choice([12, 24, 48])},{rng.choice(['f', 'm'])}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root / "labels.csv"


@pytest.fixture(scope="session")
def synthetic_adults_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV of 40 adults' cut-outs from two sites (`site` column), the second one's camera
    rendering everything a little redder."""
    root = tmp_path_factory.mktemp("adults")
    rng = np.random.default_rng(1)
    rows = ["image,hb,age_months,sex,site"]
    for i in range(40):
        site, hb = ("north", "south")[i % 2], float(rng.uniform(8.0, 16.0))
        img = _cutout(rng, hb)
        img[..., 2] = np.where(img[..., 3] > 0, np.clip(img[..., 2] + 10 * (i % 2), 0, 255), 0)
        cv2.imwrite(str(root / f"adult_{i}.png"), img)
        rows.append(f"adult_{i}.png,{hb:.1f},{rng.integers(240, 900)},{'fm'[i % 3 % 2]},{site}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root / "labels.csv"


@pytest.fixture(scope="session")
def trained_weights(
    synthetic_csv: Path, synthetic_adults_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Weights built by `anemia-screen train` on both synthetic sets (quick settings)."""
    out = tmp_path_factory.mktemp("weights")
    report = tmp_path_factory.mktemp("report")
    data = (synthetic_csv, synthetic_adults_csv)
    argv = cli_argv("train", *data, folds=3, epochs=3, members=2, out=out, report=report)
    assert main(argv) == 0
    return out
