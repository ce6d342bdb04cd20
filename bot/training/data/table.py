"""A programme's own data as one CSV: `image,hb[,mask][,age_months][,sex][,site][,dataset]`.

`dataset` defaults to the CSV's folder name (`eyes-defy/labels.csv` -> "eyes-defy"); `site`
(or `country`) splits it for per-site figures.

Image (and mask) paths are relative to the CSV's folder. Without a mask column the mask comes
from the image itself (alpha > 0, or non-black for cut-outs saved on black), as in CP-AnemiC.
The small parsing helpers here are shared with the Eyes-defy-anemia loader.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from bot.training.data import Sample, Sex, decode_rgba, file_digest

log = logging.getLogger(__name__)

REQUIRED = ("image", "hb")


def parse_float(value: object) -> float | None:
    """Number from a sheet cell; accepts a comma decimal ("11,2"), blanks and junk give None."""
    if value is None:
        return None
    text = str(value).strip().replace(",", ".")
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None  # "nan" from a spreadsheet export is not a value


def parse_sex(value: object) -> Sex | None:
    """'f'/'m' from f, m, female, male in any case; anything else is unknown, not an error."""
    text = str(value or "").strip().lower()
    return "f" if text in ("f", "female") else "m" if text in ("m", "male") else None


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header as written; the delimiter is guessed from the header.

    Sheets exported where the decimal mark is a comma usually use ';' between fields, so a
    plain csv.reader with ',' would split every Hb value in two.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:  # Excel adds a BOM
        text = fh.read()
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def read_mask(path: Path) -> np.ndarray:
    """Boolean mask from a PNG where any nonzero pixel marks the conjunctiva."""
    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError(f"{path}: not a readable mask image")
    return (arr if arr.ndim == 2 else arr[..., :3].max(axis=2)) > 0


def _columns(rows: list[dict[str, str]], csv_path: Path) -> dict[str, str]:
    """Map lower-case column names to the header as written; fail early on missing ones."""
    names = {name.strip().lower(): name for name in (rows[0] if rows else {})}
    missing = [c for c in REQUIRED if c not in names]
    if rows and missing:  # no rows at all is reported as 'no usable rows'
        raise ValueError(f"{csv_path}: missing column(s) {', '.join(missing)}; need image,hb")
    return names


def _cell(row: dict[str, str], cols: dict[str, str], name: str) -> str:
    """The row's value for an optional column, '' when the CSV has no such column."""
    return row.get(cols[name], "") if name in cols else ""


def _sample(
    row: dict[str, str], cols: dict[str, str], folder: Path, why: Counter[str]
) -> Sample | None:
    """One Sample from a row, or None (and a reason counted) when the row cannot be used."""
    hb = parse_float(_cell(row, cols, "hb"))
    image_cell = _cell(row, cols, "image")
    mask_cell = _cell(row, cols, "mask")
    if hb is None:
        why["missing hb"] += 1
    elif not image_cell or not (folder / image_cell).is_file():
        why["missing image"] += 1
    elif mask_cell and not (folder / mask_cell).is_file():
        why["missing mask"] += 1
    else:
        mask = folder / mask_cell if mask_cell else None
        return _build(
            row, cols, folder / image_cell, mask, hb, _cell(row, cols, "dataset") or folder.name
        )
    return None


def _build(
    row: dict[str, str],
    cols: dict[str, str],
    image_path: Path,
    mask_path: Path | None,
    hb: float,
    dataset: str,
) -> Sample:
    """Decode the image (and its mask PNG, if the row names one) into a Sample."""
    data = image_path.read_bytes()
    try:
        rgb, mask = decode_rgba(data)
    except ValueError as e:
        raise ValueError(f"{image_path}: {e}") from e
    if mask_path is not None:
        mask = read_mask(mask_path)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"{mask_path}: mask {mask.shape} does not match image {rgb.shape[:2]}")
    return Sample(
        key=_cell(row, cols, "image"),  # the path as written: stems may repeat across folders
        image=rgb,
        mask=mask,
        hb=hb,
        age_months=parse_float(_cell(row, cols, "age_months")),
        sex=parse_sex(_cell(row, cols, "sex")),
        digest=file_digest(data),
        dataset=dataset.strip().lower(),
        site=(_cell(row, cols, "site") or _cell(row, cols, "country")).strip().lower() or None,
    )


def load_with_skips(csv_path: Path) -> tuple[list[Sample], Counter[str]]:
    """Samples plus how many rows were skipped and why (missing hb / image / mask)."""
    rows = read_csv_rows(csv_path)
    cols = _columns(rows, csv_path)
    why: Counter[str] = Counter()
    samples = [s for row in rows if (s := _sample(row, cols, csv_path.parent, why)) is not None]
    if not samples:
        raise ValueError(f"{csv_path}: no usable rows ({dict(why) or 'the file is empty'})")
    return samples, why


def load(csv_path: Path) -> list[Sample]:
    """Every usable row of the CSV; skipped rows are logged, not silently lost."""
    samples, why = load_with_skips(csv_path)
    if why:
        log.warning("%s: skipped %s", csv_path, dict(why))
    return samples
