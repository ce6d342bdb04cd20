"""Eyes-defy-anemia (Dimauro et al. 2023, doi 10.21227/t5s2-4j73): adults from Italy and India.

Layout: `<root>/<Country>/<n>/<photo>.jpg` with `<photo>_palpebral.png` beside it, a cut-out of
the palpebral conjunctiva (alpha > 0, or non-black without alpha, is the conjunctiva). The Hb,
age (years) and sex sit in one spreadsheet per country folder, or at the root, as .csv or .xlsx;
column names vary ("Hgb", "HB", "Hb (g/dL)"), and some Hb cells are blank or use a comma decimal.
The regression models consume cut-outs, so a Sample here is the cut-out, not the full photo.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.training.data import Sample, Sex, decode_rgba, file_digest
from bot.training.data.table import parse_float, parse_sex, read_csv_rows

log = logging.getLogger(__name__)

# first word of a header, lower-case -> the field it holds
FIELDS = {
    "hb": "hb", "hgb": "hb", "hemoglobin": "hb", "haemoglobin": "hb",
    "number": "number", "n": "number", "no": "number", "num": "number", "id": "number",
    "sex": "sex", "gender": "sex",
    "age": "age",
    "country": "country", "nation": "country", "nationality": "country",
}  # fmt: skip


@dataclass(frozen=True)
class Label:
    """What the sheet says about one subject."""

    hb: float | None
    age_months: float | None
    sex: Sex | None


def _field(header: str) -> str | None:
    """Which field a column holds: "Hb (g/dL)" -> "hb", "N°" -> "number", "Gender" -> "sex"."""
    words = re.findall(r"[a-z0-9]+", header.lower())
    return FIELDS.get(words[0]) if words else None


def _patients(country: Path) -> list[Path]:
    """Numbered subject folders, in numeric order."""
    dirs = [d for d in country.iterdir() if d.is_dir() and d.name.isdigit()]
    return sorted(dirs, key=lambda d: int(d.name))


def _countries(root: Path) -> list[Path]:
    """Subfolders of root that hold numbered subject folders."""
    return sorted(d for d in root.iterdir() if d.is_dir() and _patients(d))


def _cutouts(folder: Path) -> list[Path]:
    """Palpebral cut-outs in a subject folder; the forniceal+palpebral ones are a different crop."""
    names = [(p.name.lower(), p) for p in folder.iterdir() if p.is_file()]
    return sorted(
        p
        for n, p in names
        if n.endswith("_palpebral.png") and not n.endswith("_forniceal_palpebral.png")
    )


def _sheets(folder: Path) -> list[Path]:
    """Spreadsheets directly in folder; CSVs win, so a converted copy replaces its .xlsx."""
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx") and not p.name.startswith("~$")
    )  # "~$..." is Excel's lock file while the workbook is open
    csvs = [p for p in files if p.suffix.lower() == ".csv"]
    return csvs or files


def is_eyes_defy(root: Path) -> bool:
    """True when root has <Country>/<n>/*_palpebral.png and an Hb sheet somewhere."""
    if not root.is_dir():
        return False
    countries = _countries(root)
    has_sheet = any(_sheets(d) for d in [root, *countries])
    return has_sheet and any(_cutouts(p) for c in countries for p in _patients(c))


def _xlsx_text(cell: object) -> str:
    """Cell value as the text a CSV export would hold (1.0 -> "1", None -> "")."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def read_xlsx_rows(path: Path) -> list[dict[str, str]]:
    """First worksheet as dict rows; openpyxl is optional, so say how to do without it."""
    try:
        import openpyxl
    except ImportError as e:
        raise ValueError(
            f"{path}: reading .xlsx needs the optional package openpyxl (pip install openpyxl); "
            "or save the sheet as CSV next to it"
        ) from e
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = [_xlsx_text(c) for c in rows[0]] if rows else []
    return [{h: _xlsx_text(c) for h, c in zip(header, r, strict=False) if h} for r in rows[1:]]


def read_sheet(path: Path) -> list[dict[str, str]]:
    """Rows of a .csv or .xlsx sheet, each keyed by field name (hb, number, sex, age, country)."""
    rows = read_csv_rows(path) if path.suffix.lower() == ".csv" else read_xlsx_rows(path)
    out = []
    for row in rows:
        fields: dict[str, str] = {}
        for header, value in row.items():
            field = _field(header)
            if field and field not in fields:  # first matching column wins ("Hb", "Hb note")
                fields[field] = value
        out.append(fields)
    if out and not {"hb", "number"} <= out[0].keys():
        raise ValueError(f"{path}: need a subject number column and an Hb column (Hgb/Hb)")
    return out


def _default_country(sheet: Path, root: Path, countries: list[str]) -> str | None:
    """Country for rows without a Country column: the sheet's folder, its name, or the only one."""
    if sheet.parent != root:
        return sheet.parent.name
    by_name = {c.lower(): c for c in countries}
    if sheet.stem.lower() in by_name:
        return by_name[sheet.stem.lower()]
    return countries[0] if len(countries) == 1 else None


def _label(fields: dict[str, str]) -> Label:
    """Parse one sheet row; a blank or unreadable Hb stays None and is counted later."""
    age_years = parse_float(fields.get("age"))
    return Label(
        hb=parse_float(fields["hb"]),
        age_months=None if age_years is None else age_years * 12,  # the sheet gives years
        sex=parse_sex(fields.get("sex")),
    )


def read_labels(root: Path, why: Counter[str]) -> dict[tuple[str, int], Label]:
    """(country folder, subject number) -> Label, from every sheet found; counts bad rows in why."""
    countries = [c.name for c in _countries(root)]
    by_lower = {c.lower(): c for c in countries}
    labels: dict[tuple[str, int], Label] = {}
    for sheet in [s for d in [root, *(root / c for c in countries)] for s in _sheets(d)]:
        default = _default_country(sheet, root, countries)
        for fields in read_sheet(sheet):
            number = parse_float(fields["number"])
            country = by_lower.get(fields.get("country", "").lower(), default)
            if number is None or not number.is_integer():
                if any(fields.values()):  # a blank line is not worth reporting
                    why["row without subject number"] += 1
            elif country is None:
                raise ValueError(f"{sheet}: cannot tell which country; add a Country column")
            else:
                labels.setdefault((country, int(number)), _label(fields))
    return labels


def _sample(key: tuple[str, int], hb: float, label: Label, cutout: Path) -> Sample:
    """Decode the cut-out; its pixels are the image and its non-background the mask."""
    data = cutout.read_bytes()
    try:
        rgb, mask = decode_rgba(data)
    except ValueError as e:
        raise ValueError(f"{cutout}: {e}") from e
    return Sample(
        key=f"{key[0]}/{key[1]}",
        image=rgb,
        mask=mask,
        hb=hb,
        age_months=label.age_months,
        sex=label.sex,
        group=key[0],
        digest=file_digest(data),
        dataset="eyes-defy",
        site=key[0].lower(),
    )


def load_with_skips(root: Path) -> tuple[list[Sample], Counter[str]]:
    """Samples plus counts of what was skipped: missing Hb, subjects without a cut-out or row."""
    why: Counter[str] = Counter()
    labels = read_labels(root, why)
    seen: set[tuple[str, int]] = set()
    samples = []
    for country in _countries(root):
        for folder in _patients(country):
            key = (country.name, int(folder.name))
            seen.add(key)
            label, cutouts = labels.get(key), _cutouts(folder)
            if label is None:
                why["subject without sheet row"] += 1
            elif label.hb is None:
                why["missing hb"] += 1
            elif not cutouts:
                why["subject without cut-out"] += 1  # some subjects were never segmented
            else:
                samples.append(_sample(key, label.hb, label, cutouts[0]))
                why["extra cut-out"] += len(cutouts) - 1  # one picture per subject: no leak
    why["sheet row without folder"] += len(labels.keys() - seen)
    return samples, +why  # unary + drops the zero counts


def load(root: Path) -> list[Sample]:
    """One Sample per subject with a palpebral cut-out and an Hb value; skips are logged."""
    samples, why = load_with_skips(root)
    if why:
        log.warning("%s: skipped %s", root, dict(why))
    return samples
