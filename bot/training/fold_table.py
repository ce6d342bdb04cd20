"""Every image's photograph and cross-validation fold, exactly as `cv` makes them.

`anemia-screen folds` writes them as a CSV so anyone can check that no copy of a photograph
crosses folds. The images, their grouping and the folds come from the functions `cv` calls
(`jobs.load_photos`, `jobs.usable`, `jobs.fold_split`) with the same seed: the children's
folds and the adults' first split (`cv` repeats the adults' split with seeds seed + 1, ...).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from bot.pipeline import populations
from bot.training.data import DedupReport, Photos, Sample, unit
from bot.training.jobs import Job, fold_split, load_photos, usable

COLUMNS = ("image", "group", "fold", "cohort", "note")
DROPPED = "dropped"  # the fold of an image `cv` does not use; `note` says why


@dataclass(frozen=True)
class FoldRow:
    """One image: its key, its photograph (the group's first image), its fold and why not."""

    image: str
    group: str
    fold: str  # 0 .. folds - 1, or DROPPED
    cohort: str  # whose model's CV it is in (children, adults); '' when none serves it
    note: str  # why it was dropped


def _cohort(s: Sample) -> str:
    c = populations.cohort_of_sample(s.age_months, s.sex)
    return "" if c is None else c.key


def _why(s: Sample, members: Sequence[Sample], kept: set[tuple[str, str]], tol: float) -> str:
    """Why `cv` does not use s: a copy, a conflicting label, or no cross-validated cohort."""
    if (s.dataset, s.key) in kept:
        return "no model serves this age" if not _cohort(s) else "its cohort is not validated"
    first = next((m for m in members if (m.dataset, m.key) in kept), None)
    if first is not None:
        return f"copy of {first.key}"
    hbs = [m.hb for m in members]
    return f"Hb {min(hbs):g}-{max(hbs):g} g/dL among its copies (more than {tol:g} apart)"


def rows(photos: Photos, kept: Sequence[Sample], job: Job, tolerance: float) -> list[FoldRow]:
    """A row per image, in the order loaded, with the folds `cv` gives the kept ones."""
    assigned: dict[tuple[str, str], tuple[str, int]] = {}
    for cohort, members in usable(list(kept), job).items():
        for s, fold in zip(members, fold_split(members, job, job.seed), strict=True):
            assigned[s.dataset, s.key] = (cohort, int(fold))
    kept_keys = {(s.dataset, s.key) for s in kept}
    out = []
    for s in photos.samples:
        members = photos.groups[unit(s)]
        cohort, fold = assigned.get((s.dataset, s.key), (_cohort(s), None))
        note = "" if fold is not None else _why(s, members, kept_keys, tolerance)
        out.append(
            FoldRow(s.key, members[0].key, DROPPED if fold is None else str(fold), cohort, note)
        )
    return out


def fold_rows(job: Job) -> tuple[list[FoldRow], DedupReport]:
    """Load `job.data` as `cv` does and give every image's row."""
    photos, kept, report = load_photos(job.data)
    return rows(photos, kept, job, report.tolerance), report


def write(table: Sequence[FoldRow], path: Path) -> None:
    """The rows as CSV with a header (`COLUMNS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        out.writerows(astuple(r) for r in table)


def fold_counts(table: Sequence[FoldRow]) -> str:
    """'children: 80, 80, 81, 80, 80; adults: ...; dropped 310'."""
    used = Counter((r.cohort, r.fold) for r in table if r.fold != DROPPED)
    parts = []
    for cohort in sorted({c for c, _ in used}):
        sizes = [used[cohort, f] for f in sorted({f for c, f in used if c == cohort}, key=int)]
        parts.append(f"{cohort} {', '.join(map(str, sizes))}")
    dropped = sum(r.fold == DROPPED for r in table)
    return f"images per fold: {'; '.join(parts)}; {dropped} not used ({DROPPED})"
