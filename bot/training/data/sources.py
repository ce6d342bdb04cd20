"""Pick the right loader for a path, so the CLI takes one `--data PATH` for every layout."""

from __future__ import annotations

from pathlib import Path

from bot.training.data import Sample, cpanemic, eyes_defy, table

LAYOUTS = (
    "a CSV file (image,hb[,mask][,age_months][,sex]), "
    f"a CP-AnemiC folder (with {cpanemic.SHEET}) "
    "or an Eyes-defy-anemia folder (<Country>/<n>/*_palpebral.png plus an Hb sheet)"
)


def load_any(path: Path) -> list[Sample]:
    """Samples from a CSV table, a CP-AnemiC folder or an Eyes-defy-anemia folder."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return table.load(path)
    if path.is_dir() and cpanemic.is_cpanemic(path):  # checked first: its sheet is unambiguous
        return cpanemic.load(path)
    if eyes_defy.is_eyes_defy(path):
        return eyes_defy.load(path)
    raise ValueError(f"{path}: not a supported dataset; expected {LAYOUTS}")
