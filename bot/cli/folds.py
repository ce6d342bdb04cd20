"""`anemia-screen folds --data PATH [--data PATH2] [--folds 5] [--seed 0] [--group-by hospital]
--out folds.csv`: every image's photograph group and cross-validation fold, as `cv` makes them.

The CSV has a row per labelled image: `image,group,fold,cohort,note`. `group` names the
photograph (its first image); `fold` is the fold `cv` puts the image in with this seed, or
`dropped` for an image `cv` does not use (a copy of a kept image, a group with conflicting Hb,
an age no model serves), and `note` says which. The adults' folds are `cv`'s first split.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["FoldsError", "add_parsers", "run"]


class FoldsError(Exception):
    """A problem with the data or the output path, printed as one line."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `folds` to the `anemia-screen` sub-commands."""
    p = sub.add_parser("folds", help="write every image's photograph group and fold as CSV")
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        help="CP-AnemiC, Eyes-defy or CSV; repeat to combine (as for cv)",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="the fold split (as cv's --seed)")
    p.add_argument("--group-by", choices=("hospital",), help="hold out whole hospitals")
    p.add_argument(
        "--cohort",
        action="append",
        choices=("children", "adults"),
        default=[],
        help="only this cohort's folds (as cv's --cohort)",
    )
    p.add_argument("--out", type=Path, required=True, help="the CSV to write")


def run(a: argparse.Namespace) -> int:
    """Group, fold and write; print what was found."""
    from bot.training import fold_table
    from bot.training.jobs import DataError, Job
    from bot.training.report import dedup_text, gap_text

    for path in a.data:
        if not path.exists():
            raise FoldsError(f"no such data folder or file: {path}")
    if a.folds < 2:
        raise FoldsError("--folds must be at least 2")
    if a.out.is_dir():
        raise FoldsError(f"--out is a folder; give a file name, e.g. {a.out / 'folds.csv'}")
    job = Job(tuple(a.data), a.out.parent, a.folds, a.seed, a.group_by, cohorts=tuple(a.cohort))
    try:
        table, report = fold_table.fold_rows(job)
    except (DataError, ValueError) as e:
        raise FoldsError(str(e)) from e
    try:
        fold_table.write(table, a.out)
    except OSError as e:
        raise FoldsError(f"cannot write {a.out}: {e.strerror or e}") from e
    lines = [dedup_text(report)]
    if report.near:
        lines.append(gap_text(report))
    lines += [fold_table.fold_counts(table), f"wrote {len(table)} rows to {a.out}"]
    print("\n".join(lines))
    return 0
