"""`anemia-screen export --lab-confirmed`: the research crops of lab-confirmed screenings as a
folder that `cv`, `train` and `adapt --data` read (`bot.training.data.table`'s CSV layout).

Pseudonymous: image files get random names, the CSV holds no pseudonym, case code or row id,
and the screening date only as its month. The crops are RGBA PNGs whose alpha is the mask the
estimate was measured on, so the table loader takes the mask from them.
"""

from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.pipeline.risk import GROUP_MONTHS
from storage.export import LabConfirmed

COLUMNS = (
    "image",
    "hb",
    "age_months",
    "sex",
    "site",
    "dataset",
    "month",
    "estimate",
    "model_version",
    "served_population",
)
DATASET_NAME = re.compile(r"[a-z][a-z0-9-]{0,23}")  # it names a population (32 characters)


class ExportError(ValueError):
    """The export cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class Exported:
    csv: Path
    rows: int
    without_age: int  # rows whose age is not known (no model can be chosen for them)


def check_dataset(name: str) -> str:
    """A dataset name that can name a population: lower case, digits and '-', 1-24 long."""
    if not DATASET_NAME.fullmatch(name):
        raise ExportError(
            f"dataset name {name!r}: use 1-24 lower-case letters, digits or '-', "
            "starting with a letter (e.g. 'clinic-north')"
        )
    return name


def months(row: LabConfirmed) -> float | None:
    """The age in months the screening used (a group stands for its typical age)."""
    if row.age_months is not None:
        return row.age_months
    return GROUP_MONTHS.get(row.age_group or "")


def write(rows: list[LabConfirmed], out: Path, dataset: str) -> Exported:
    """`out/labels.csv` and `out/images/*.png`; refuses to mix with an earlier export."""
    check_dataset(dataset)
    path = out / "labels.csv"
    if path.exists():
        raise ExportError(f"{path} exists: export into a new folder")
    if not rows:
        raise ExportError("no lab-confirmed screenings with a research crop to export")
    (out / "images").mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(_line(row, out, dataset))
    return Exported(path, len(rows), sum(months(r) is None for r in rows))


def _line(row: LabConfirmed, out: Path, dataset: str) -> list[object]:
    image = f"images/{secrets.token_hex(8)}.png"
    (out / image).write_bytes(row.png)
    age = months(row)
    return [
        image,
        row.lab_hb_g_dl,
        "" if age is None else age,
        row.sex or "",
        (row.team or "").lower(),
        dataset,
        row.month,
        row.estimate_g_dl,
        row.model_version,
        row.population or "",
    ]
