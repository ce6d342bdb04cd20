"""deduplicate and make_folds: copies of a photograph must never straddle train and test.

The finder itself is tested in test_duplicates (copies made here) and test_photo_folds_real
(the whole of CP-AnemiC); here each sample's photograph is given by hand."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from bot.training.data import HB_TOLERANCE, Photos, Sample, deduplicate, keep_one, make_folds


def sample(
    key: str, hb: float, digest: str = "", group: str | None = None, photo: str = ""
) -> Sample:
    content = digest or key  # the same file shows the same pixels; different files do not
    pixels = np.full((2, 2, 3), sum(map(ord, content)) % 256, np.uint8)  # too small to align
    return Sample(
        key, pixels, np.ones((2, 2), bool), hb, group=group, digest=digest or key, photo=photo
    )


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
    assert (report.rows, report.distinct, report.photographs, report.kept) == (5, 3, 3, 2)
    assert (report.byte_groups, report.copy_groups, report.conflicting_groups) == (2, 2, 1)
    assert report.kinds == {"identical bytes": 2} and report.dropped_keys == ("a", "b", "d")


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


def test_a_photograph_is_kept_once_with_its_median_hb() -> None:
    photos = Photos(
        [
            sample("a", 10.0, photo="p1", group="h1"),
            sample("b", 10.4, photo="p1", group="h2"),  # within 0.5 g/dL: one label
            sample("c", 10.2, photo="p1", group="h2"),
            sample("d", 9.0, photo="p2", group="h1"),
            sample("e", 9.6, photo="p2", group="h1"),  # 0.6 apart: neither can be trusted
            sample("f", 12.0, photo="p3", group="h3"),
        ]
    )
    kept, report = keep_one(photos)
    assert [(s.key, s.hb) for s in kept] == [("a", 10.2), ("f", 12.0)]
    assert report.tolerance == HB_TOLERANCE == 0.5
    assert (report.photographs, report.copy_groups, report.conflicting_groups) == (3, 2, 1)
    assert report.multi_site_groups == 1 and report.dropped_keys == ("b", "c", "d", "e")


def photo_corpus() -> list[Sample]:
    """36 samples of 30 photographs in 8 hospitals; photographs p0, p2 and p4 are filed twice
    more, under the next hospital."""
    rng = np.random.default_rng(3)
    out = [
        sample(f"k{i}", float(rng.uniform(6, 15)), group=f"h{i % 8}", photo=f"p{i}")
        for i in range(30)
    ]
    for p in (0, 2, 4):
        out += [sample(f"copy{p}-{j}", out[p].hb, group=f"h{p + 1}", photo=f"p{p}") for j in (1, 2)]
    return out


@pytest.mark.parametrize("by_group", [False, True])
def test_copies_of_a_photograph_share_a_fold(by_group: bool) -> None:
    samples = photo_corpus()
    for seed in range(10):
        folds = make_folds(samples, k=3, seed=seed, by_group=by_group)
        assert all(len(f) == 1 for f in folds_per([s.photo for s in samples], folds).values())
        if by_group:  # hospitals sharing a photograph are held out together
            hospitals = folds_per([s.group or "" for s in samples], folds)
            assert all(len(f) == 1 for f in hospitals.values())
