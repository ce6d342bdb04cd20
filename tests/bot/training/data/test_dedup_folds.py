"""deduplicate and make_folds: identical pictures must never straddle train and test."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from bot.training.data import Sample, cpanemic, deduplicate, make_folds


def sample(key: str, hb: float, digest: str = "", group: str | None = None) -> Sample:
    pixels = np.zeros((2, 2, 3), np.uint8)
    return Sample(key, pixels, np.ones((2, 2), bool), hb, group=group, digest=digest or key)


def folds_per(values: list[str], folds: np.ndarray) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for v, f in zip(values, folds, strict=True):
        out[v].add(int(f))
    return out


def test_dedup_drops_conflicts_and_keeps_one_of_agreeing_copies() -> None:
    samples = [
        sample("a", 10.0, "d1"),
        sample("b", 12.0, "d1"),  # same bytes as a, other Hb: neither can be trusted
        sample("c", 11.0, "d2"),
        sample("d", 11.0, "d2"),  # same bytes, same Hb: one copy is enough
        sample("e", 9.0, "d3"),
    ]
    kept, report = deduplicate(samples)
    assert [s.key for s in kept] == ["c", "e"]
    assert (report.rows, report.distinct, report.kept) == (5, 3, 2)
    assert (report.duplicate_groups, report.conflicting_groups) == (2, 1)
    assert report.dropped_keys == ("a", "b", "d")


def test_dedup_tolerance() -> None:
    kept, report = deduplicate([sample("a", 10.0, "d"), sample("b", 10.05, "d")], tolerance=0.1)
    assert [s.key for s in kept] == ["a"] and report.conflicting_groups == 0


def corpus(n: int = 60) -> list[Sample]:
    """n samples in 7 groups of uneven size; every fifth one repeats the previous picture."""
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        digest = f"d{i - 1}" if i % 5 == 4 else f"d{i}"
        out.append(sample(f"k{i}", float(rng.uniform(6, 15)), digest, f"g{min(i // 4, 6)}"))
    return out


def test_identical_digests_share_a_fold() -> None:
    samples = corpus()
    folds = make_folds(samples, k=5, seed=0)
    assert all(len(f) == 1 for f in folds_per([s.digest for s in samples], folds).values())
    assert set(folds.tolist()) == set(range(5))


def test_groups_share_a_fold() -> None:
    samples = corpus()
    folds = make_folds(samples, k=3, seed=0, by_group=True)
    by_group = folds_per([s.group or "" for s in samples], folds)
    assert len(by_group) == 7 and all(len(f) == 1 for f in by_group.values())
    assert set(folds.tolist()) == {0, 1, 2}


@pytest.mark.parametrize("by_group", [False, True])
def test_folds_are_deterministic_per_seed(by_group: bool) -> None:
    samples = corpus()
    a = make_folds(samples, k=3, seed=7, by_group=by_group)
    b = make_folds(samples, k=3, seed=7, by_group=by_group)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, make_folds(samples, k=3, seed=8, by_group=by_group))


def test_too_few_groups() -> None:
    samples = [sample("a", 10, group="g1"), sample("b", 11, group="g2")]
    with pytest.raises(ValueError, match="2 groups for 3 folds"):
        make_folds(samples, k=3, seed=0, by_group=True)


def test_real_cp_anemic_duplicates_and_folds(cp_anemic_dir: Path) -> None:
    samples = cpanemic.load(cp_anemic_dir)
    _, report = deduplicate(samples)
    assert (report.rows, report.distinct) == (710, 498)
    assert (report.duplicate_groups, report.conflicting_groups) == (91, 90)
    folds = make_folds(samples, k=5, seed=0)
    assert all(len(f) == 1 for f in folds_per([s.digest for s in samples], folds).values())
