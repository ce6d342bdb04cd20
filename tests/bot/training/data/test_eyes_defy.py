"""Eyes-defy-anemia loader on a tiny hand-made copy of its layout."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.training.data import file_digest
from bot.training.data.eyes_defy import is_eyes_defy, load, load_with_skips

MASK = np.zeros((6, 8), bool)
MASK[1:4, 2:6] = True


def write_cutout(path: Path, *, alpha: bool, red: int = 200) -> None:
    """A 6x8 cut-out: conjunctiva in MASK; background transparent-grey (alpha) or black."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((6, 8, 4 if alpha else 3), np.uint8)
    if alpha:
        img[..., :3] = 90  # visible grey behind alpha 0: the mask must come from alpha
        img[MASK, 3] = 255
    img[MASK, :3] = (40, 60, red)  # BGR on disk
    assert cv2.imwrite(str(path), img)


def subject(root: Path, country: str, n: int, *, alpha: bool = True, red: int = 200) -> Path:
    folder = root / country / str(n)
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "IMG_1.jpg"), np.full((6, 8, 3), 128, np.uint8))
    cutout = folder / "IMG_1_palpebral.png"
    write_cutout(cutout, alpha=alpha, red=red)
    return cutout


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Italy: ';' sheet with comma decimals, a missing Hb, an unsegmented subject; India: ','."""
    subject(tmp_path, "Italy", 1, alpha=True, red=200)
    subject(tmp_path, "Italy", 2, alpha=False, red=180)
    write_cutout(tmp_path / "Italy/2/IMG_1_forniceal_palpebral.png", alpha=False, red=10)
    (tmp_path / "Italy/3").mkdir()  # never segmented: only the photo
    subject(tmp_path, "Italy", 4, red=170)
    (tmp_path / "Italy/Italy.csv").write_text(
        "Number;Hgb;Gender;Age\n1;11,2;F;30\n2;9.5;M;41\n3;12;F;50\n4;;M;22\n;;;\n"
    )
    subject(tmp_path, "India", 1, red=160)
    (tmp_path / "India/India.csv").write_text('N°,Hb (g/dL),Sex,Age\n1,"8,7",female,19\n')
    return tmp_path


def test_loads_cutouts_with_labels(dataset: Path) -> None:
    samples = {s.key: s for s in load(dataset)}
    assert sorted(samples) == ["India/1", "Italy/1", "Italy/2"]
    it1, it2, in1 = samples["Italy/1"], samples["Italy/2"], samples["India/1"]
    assert (it1.hb, it2.hb, in1.hb) == (11.2, 9.5, 8.7)  # comma decimals read as decimals
    assert (it1.age_months, in1.age_months) == (360, 228)  # years -> months
    assert (it1.sex, it2.sex, in1.sex) == ("f", "m", "f")
    assert (it1.group, in1.group) == ("Italy", "India")
    assert it1.image.shape == (6, 8, 3) and it1.image.dtype == np.uint8
    assert tuple(it1.image[2, 3]) == (200, 60, 40)  # RGB, not the BGR on disk


def test_masks_from_alpha_and_black_background(dataset: Path) -> None:
    samples = {s.key: s for s in load(dataset)}
    np.testing.assert_array_equal(samples["Italy/1"].mask, MASK)  # alpha, grey behind it
    np.testing.assert_array_equal(samples["Italy/2"].mask, MASK)  # black background
    assert tuple(samples["Italy/2"].image[2, 3]) == (180, 60, 40)  # not the forniceal crop


def test_digest_is_of_the_cutout_bytes(dataset: Path) -> None:
    sample = next(s for s in load(dataset) if s.key == "Italy/1")
    assert sample.digest == file_digest((dataset / "Italy/1/IMG_1_palpebral.png").read_bytes())


def test_skips_are_counted(dataset: Path) -> None:
    _, why = load_with_skips(dataset)
    assert why == {"missing hb": 1, "subject without cut-out": 1}


def test_root_sheet_with_country_column(tmp_path: Path) -> None:
    subject(tmp_path, "Italy", 1)
    subject(tmp_path, "India", 1, red=150)
    (tmp_path / "hb.csv").write_text("Country,Number,HB,Sex,Age\nitaly,1,13.1,M,40\nIndia,1,7,F,\n")
    samples = {s.key: s for s in load(tmp_path)}
    assert samples["Italy/1"].hb == 13.1 and samples["India/1"].hb == 7.0
    assert samples["India/1"].age_months is None


def test_root_sheet_named_after_country(tmp_path: Path) -> None:
    subject(tmp_path, "Italy", 1)
    subject(tmp_path, "India", 1, red=150)
    (tmp_path / "Italy.csv").write_text("n,Hgb\n1,12.5\n")
    samples, why = load_with_skips(tmp_path)
    assert [s.key for s in samples] == ["Italy/1"]
    assert why == {"subject without sheet row": 1}


def test_root_sheet_without_country_is_ambiguous(tmp_path: Path) -> None:
    subject(tmp_path, "Italy", 1)
    subject(tmp_path, "India", 1, red=150)
    (tmp_path / "data.csv").write_text("Number,Hgb\n1,12.5\n")
    with pytest.raises(ValueError, match="Country column"):
        load(tmp_path)


def test_sheet_without_hb_column(tmp_path: Path) -> None:
    subject(tmp_path, "Italy", 1)
    (tmp_path / "Italy/Italy.csv").write_text("Number,Weight\n1,70\n")
    with pytest.raises(ValueError, match="Hb column"):
        load(tmp_path)


def test_is_eyes_defy(dataset: Path, tmp_path: Path) -> None:
    assert is_eyes_defy(dataset)
    assert not is_eyes_defy(dataset / "Italy/Italy.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not is_eyes_defy(empty)
    cp = tmp_path / "cp"  # CP-AnemiC-like: no numbered subject folders
    write_cutout(cp / "Anemic/Image_001.png", alpha=True)
    (cp / "Anemia_Data_Collection_Sheet.csv").write_text("IMAGE_ID,HB_LEVEL\n")
    assert not is_eyes_defy(cp)


def test_xlsx_without_openpyxl_says_convert_to_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes `import openpyxl` fail
    subject(tmp_path, "Italy", 1)
    (tmp_path / "Italy/Italy.xlsx").write_bytes(b"not read")
    with pytest.raises(ValueError, match=r"openpyxl.*CSV"):
        load(tmp_path)


def test_csv_copy_wins_over_xlsx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    subject(tmp_path, "Italy", 1)
    (tmp_path / "Italy/Italy.xlsx").write_bytes(b"not read")
    (tmp_path / "Italy/Italy.csv").write_text("Number,Hgb\n1,12\n")
    assert [s.hb for s in load(tmp_path)] == [12.0]


def test_xlsx_with_openpyxl(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    subject(tmp_path, "Italy", 1)
    subject(tmp_path, "Italy", 2, red=150)
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [("Number", "Hgb", "Gender", "Age"), (1.0, 10.4, "F", 30), (2, "9,8", "M", None)]:
        sheet.append(row)
    book.save(tmp_path / "Italy/Italy.xlsx")
    samples = {s.key: s for s in load(tmp_path)}
    assert (samples["Italy/1"].hb, samples["Italy/2"].hb) == (10.4, 9.8)
    assert (samples["Italy/1"].age_months, samples["Italy/2"].age_months) == (360, None)


@pytest.mark.parametrize(
    ("number", "hb", "sex"),
    [("Number", "Hgb", "Sex"), ("n", "HB", "Gender"), (" NUMBER ", "Hb (g/dL)", "gender")],
)
def test_column_names_are_tolerated(tmp_path: Path, number: str, hb: str, sex: str) -> None:
    subject(tmp_path, "Italy", 1)
    (tmp_path / "Italy/Italy.csv").write_text(f"{number},{hb},{sex}\n1,11.5,M\n")
    [sample] = load(tmp_path)
    assert (sample.hb, sample.sex) == (11.5, "m")
