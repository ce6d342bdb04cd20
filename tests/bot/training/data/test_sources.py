"""load_any picks the loader from what the path looks like."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.training.data.sources import load_any


def write_cutout(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((4, 4, 4), np.uint8)
    img[1:3, 1:3] = (40, 60, 200, 255)
    assert cv2.imwrite(str(path), img)


def test_csv_file_goes_to_table(tmp_path: Path) -> None:
    write_cutout(tmp_path / "x.png")
    (tmp_path / "t.CSV").write_text("image,hb\nx.png,10.1\n")
    [sample] = load_any(tmp_path / "t.CSV")
    assert (sample.key, sample.hb) == ("x.png", 10.1)


def test_cpanemic_folder(tmp_path: Path) -> None:
    write_cutout(tmp_path / "Anemic/Image_001.png")
    (tmp_path / "Anemia_Data_Collection_Sheet.csv").write_text(
        "\ufeffIMAGE_ID,HB_LEVEL,Age(Months),GENDER,HOSPITAL\nImage_001,9.8,6,Female,H1\n",
        encoding="utf-8",
    )
    [sample] = load_any(tmp_path)
    assert (sample.key, sample.hb, sample.group) == ("Image_001", 9.8, "H1")


def test_eyes_defy_folder(tmp_path: Path) -> None:
    write_cutout(tmp_path / "Italy/7/p_palpebral.png")
    (tmp_path / "Italy/Italy.csv").write_text("Number,Hgb,Age\n7,12,2\n")
    [sample] = load_any(tmp_path)
    assert (sample.key, sample.group, sample.age_months) == ("Italy/7", "Italy", 24.0)


@pytest.mark.parametrize("name", ["folder", "notes.txt", "absent"])
def test_unknown_layout_names_the_supported_ones(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif name == "notes.txt":
        path.write_text("image,hb\n")
    with pytest.raises(ValueError, match=r"CSV file.*CP-AnemiC.*Eyes-defy-anemia") as err:
        load_any(path)
    assert "\n" not in str(err.value)
