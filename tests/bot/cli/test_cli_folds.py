"""`anemia-screen folds`: the CSV names every image's photograph and the fold `cv` gives it."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.cli.main import main
from bot.training.jobs import Job, fold_split, load_photos, usable
from tests.bot.cutouts import rgba, textured_cutout

PHOTOS = 14


def _save(path: Path, rgb: np.ndarray, mask: np.ndarray) -> None:
    bgra = cv2.cvtColor(rgba(rgb, mask), cv2.COLOR_RGBA2BGRA)
    assert cv2.imwrite(str(path), bgra)


@pytest.fixture(scope="module")
def children(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """14 children's photographs and three copies: img_0 mirrored (same Hb, so one of the two
    is kept) and img_1 shrunk twice (Hb 2 g/dL apart: the whole group is dropped)."""
    root = tmp_path_factory.mktemp("folds")
    rng = np.random.default_rng(5)
    rows, hbs = ["image,hb,age_months,sex"], rng.uniform(7.0, 14.0, PHOTOS).round(1)
    for i in range(PHOTOS):
        colour = (
            int(rng.integers(150, 230)),
            int(rng.integers(60, 120)),
            int(rng.integers(60, 120)),
        )
        rgb, mask = textured_cutout(seed=i, colour=colour)
        _save(root / f"img_{i}.png", rgb, mask)
        rows.append(f"img_{i}.png,{hbs[i]},{12 + i},{'fm'[i % 2]}")
        if i == 0:
            _save(root / "copy_0.png", rgb[:, ::-1], mask[:, ::-1])
            rows.append(f"copy_0.png,{hbs[0]},{12 + i},f")
        if i == 1:
            for n, scale in ((1, 0.8), (2, 0.6)):
                size = (round(320 * scale), round(140 * scale))
                small = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
                _save(
                    root / f"copy_1_{n}.png",
                    cv2.resize(rgb, size, interpolation=cv2.INTER_AREA),
                    small > 0,
                )
                rows.append(f"copy_1_{n}.png,{hbs[1] + n},{12 + i},m")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root / "labels.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_folds_csv_is_what_cv_uses(
    children: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "folds.csv"
    assert main(["folds", "--data", str(children), "--seed", "3", "--out", str(out)]) == 0
    table = {r["image"]: r for r in _read(out)}
    assert len(table) == PHOTOS + 3 and list(_read(out)[0]) == [
        "image",
        "group",
        "fold",
        "cohort",
        "note",
    ]
    assert table["copy_0.png"]["group"] == table["img_0.png"]["group"] == "img_0.png"
    assert (table["copy_0.png"]["fold"], table["copy_0.png"]["note"]) == (
        "dropped",
        "copy of img_0.png",
    )
    for key in ("img_1.png", "copy_1_1.png", "copy_1_2.png"):
        assert table[key]["group"] == "img_1.png" and table[key]["fold"] == "dropped"
        assert table[key]["note"].startswith("Hb ")
    photos, kept, _ = load_photos((children,))
    job = Job((children,), tmp_path, seed=3)
    (members,) = usable(kept, job).values()
    expected = {s.key: str(f) for s, f in zip(members, fold_split(members, job, 3), strict=True)}
    assert {k: r["fold"] for k, r in table.items() if r["fold"] != "dropped"} == expected
    assert len(expected) == PHOTOS - 1 and len(photos.samples) == PHOTOS + 3
    printed = capsys.readouterr().out
    assert f"{PHOTOS} distinct photographs" in printed and f"wrote {PHOTOS + 3} rows" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "no/such/folder"], "no such data folder or file: no/such/folder"),
        (["--group-by", "hospital"], "only 1 groups for 5 folds"),  # the CSV names no hospital
    ],
)
def test_bad_requests_are_one_line(
    children: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    data = [] if argv[0] == "--data" else ["--data", str(children)]
    assert main(["folds", *data, *argv, "--out", str(tmp_path / "f.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "f.csv").exists()


def test_out_must_be_a_file(
    children: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["folds", "--data", str(children), "--out", str(tmp_path)]) == 2
    assert "--out is a folder" in capsys.readouterr().err
