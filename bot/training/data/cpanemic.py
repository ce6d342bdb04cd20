"""CP-AnemiC (Appiahene et al. 2023, doi 10.17632/m53vz6b7fx.1): 710 Ghanaian children 6-59 months.

Layout: `Anemic/` and `Non-anemic/` hold RGBA PNG cut-outs (alpha > 0 is the conjunctiva) and
`Anemia_Data_Collection_Sheet.csv` (UTF-8 with BOM) the lab Hb, age, sex and hospital.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.training.data import Sample, Sex, decode_rgba, file_digest

SHEET = "Anemia_Data_Collection_Sheet.csv"
FOLDERS = ("Anemic", "Non-anemic")


def is_cpanemic(root: Path) -> bool:
    """True when `root` looks like the CP-AnemiC folder."""
    return (root / SHEET).is_file()


def _sex(text: str) -> Sex | None:
    t = text.strip().lower()
    return "f" if t.startswith("f") else "m" if t.startswith("m") else None


def image_path(root: Path, image_id: str) -> Path | None:
    """The cut-out of `image_id` in either folder; None when it is missing."""
    for folder in FOLDERS:
        p = root / folder / f"{image_id}.png"
        if p.is_file():
            return p
    return None


def load(root: Path) -> list[Sample]:
    """Every row of the sheet whose image exists, with its bytes hashed for de-duplication."""
    samples = []
    with open(root / SHEET, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            image_id = row["IMAGE_ID"].strip()
            path = image_path(root, image_id)
            hb_text = row["HB_LEVEL"].strip().replace(",", ".")
            if path is None or not hb_text:
                continue
            data = path.read_bytes()
            rgb, mask = decode_rgba(data)
            age = row.get("Age(Months)", "").strip()
            samples.append(
                Sample(
                    key=image_id,
                    image=rgb,
                    mask=mask,
                    hb=float(hb_text),
                    age_months=float(age) if age else None,
                    sex=_sex(row.get("GENDER", "")),
                    group=row.get("HOSPITAL", "").strip() or None,
                    digest=file_digest(data),
                    dataset="cp-anemic",
                )
            )
    return samples
