"""The plain CSV loader: image,hb[,mask][,age_months][,sex]."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bot.pipeline.decode import decode
from bot.training.data import file_digest
from bot.training.data.table import load, load_with_skips, parse_float, parse_sex
from testbed.icc import display_profile

MASK = np.zeros((6, 8), bool)
MASK[1:4, 2:6] = True


def write_image(path: Path, *, alpha: bool, red: int = 200) -> None:
    """A 6x8 picture whose conjunctiva is MASK: transparent-grey or black around it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((6, 8, 4 if alpha else 3), np.uint8)
    if alpha:
        img[..., :3] = 90
        img[MASK, 3] = 255
    img[MASK, :3] = (40, 60, red)
    assert cv2.imwrite(str(path), img)


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    write_image(tmp_path / "a.png", alpha=True)
    write_image(tmp_path / "sub/b.png", alpha=False, red=180)
    write_image(tmp_path / "c.png", alpha=False, red=170)
    path = tmp_path / "labels.csv"
    path.write_text(
        "image,hb,age_months,sex\n"
        'a.png,"11,2",24,Female\n'
        "sub/b.png,9.5,,MALE\n"
        "c.png,,30,f\n"  # no Hb: skipped
        "gone.png,10,12,m\n"  # no file: skipped
        "c.png,12.0,7,x\n"
    )
    return path


def test_loads_rows_relative_to_the_csv(csv_path: Path) -> None:
    samples = {s.key: s for s in load(csv_path)}
    assert sorted(samples) == ["a.png", "c.png", "sub/b.png"]
    a, b, c = samples["a.png"], samples["sub/b.png"], samples["c.png"]
    assert (a.hb, b.hb, c.hb) == (11.2, 9.5, 12.0)
    assert (a.age_months, b.age_months, c.age_months) == (24.0, None, 7.0)
    assert (a.sex, b.sex, c.sex) == ("f", "m", None)
    assert tuple(b.image[2, 3]) == (180, 60, 40)  # RGB
    assert b.digest == file_digest((csv_path.parent / "sub/b.png").read_bytes())
    assert a.group is None


def test_masks_from_alpha_or_black_background(csv_path: Path) -> None:
    samples = {s.key: s for s in load(csv_path)}
    np.testing.assert_array_equal(samples["a.png"].mask, MASK)
    np.testing.assert_array_equal(samples["sub/b.png"].mask, MASK)


def test_skipped_rows_are_counted(csv_path: Path) -> None:
    samples, why = load_with_skips(csv_path)
    assert len(samples) == 3
    assert why == {"missing hb": 1, "missing image": 1}


def test_mask_column(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", alpha=True)
    write_image(tmp_path / "b.png", alpha=False)
    drawn = np.zeros((6, 8), np.uint8)
    drawn[0:2, 0:3] = 255
    cv2.imwrite(str(tmp_path / "a_mask.png"), drawn)
    (tmp_path / "t.csv").write_text("Image,HB,Mask\na.png,10,a_mask.png\nb.png,11,\n")
    samples = {s.key: s for s in load(tmp_path / "t.csv")}
    np.testing.assert_array_equal(samples["a.png"].mask, drawn > 0)  # the file, not the alpha
    np.testing.assert_array_equal(samples["b.png"].mask, MASK)  # empty cell: from the image


def test_mask_of_wrong_size(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", alpha=True)
    cv2.imwrite(str(tmp_path / "m.png"), np.ones((3, 3), np.uint8))
    (tmp_path / "t.csv").write_text("image,hb,mask\na.png,10,m.png\n")
    with pytest.raises(ValueError, match="does not match"):
        load(tmp_path / "t.csv")


def test_semicolon_csv_with_comma_decimals(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", alpha=True)
    (tmp_path / "t.csv").write_text("image;hb;sex\na.png;10,5;M\n")
    [sample] = load(tmp_path / "t.csv")
    assert (sample.hb, sample.sex) == (10.5, "m")


def test_no_usable_rows(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", alpha=True)
    (tmp_path / "t.csv").write_text("image,hb\na.png,\nmissing.png,10\n")
    with pytest.raises(ValueError, match="no usable rows"):
        load(tmp_path / "t.csv")


def test_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("picture,hb\na.png,10\n")
    with pytest.raises(ValueError, match="missing column"):
        load(tmp_path / "t.csv")


def test_unreadable_image_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"not a png")
    (tmp_path / "t.csv").write_text("image,hb\na.png,10\n")
    with pytest.raises(ValueError, match=r"a\.png"):
        load(tmp_path / "t.csv")


@pytest.mark.parametrize(
    ("text", "value"), [("11,2", 11.2), (" 9.5 ", 9.5), ("", None), ("n/a", None), ("nan", None)]
)
def test_parse_float(text: str, value: float | None) -> None:
    assert parse_float(text) == value


@pytest.mark.parametrize(
    ("text", "sex"),
    [("f", "f"), ("FEMALE", "f"), ("Male", "m"), ("M", "m"), ("", None), ("x", None)],
)
def test_parse_sex(text: str, sex: str | None) -> None:
    assert parse_sex(text) == sex


def test_a_tagged_picture_is_read_in_srgb_as_the_service_reads_it(tmp_path: Path) -> None:
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:30, 10:30] = (180, 100, 100, 255)  # the cut-out on transparency
    Image.fromarray(rgba).save(tmp_path / "p3.png", icc_profile=display_profile())
    (tmp_path / "labels.csv").write_text("image,hb\np3.png,10.5\n")
    (sample,) = load(tmp_path / "labels.csv")
    served = decode((tmp_path / "p3.png").read_bytes()).rgb
    np.testing.assert_array_equal(sample.image[sample.mask], served[sample.mask])
    assert sample.image[20, 20, 0] > 185  # converted, not the stored 180
