"""bench.soak's verdict: memory and descriptors judged from the warm-up on, the first wave's
descriptors and what changed since shown beside; growth after the warm-up fails."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench import soak


def at(photos: int, sockets: int, db: int = 2, rss: float = 500.0) -> soak.Sample:
    kinds = Counter({"socket": sockets, "pipe": 4, "database": db, "file": 10})
    return soak.Sample(photos, rss, sum(kinds.values()), db, kinds)


def verdict(samples: list[soak.Sample]) -> tuple[str, bool]:
    args = soak.parse(["--photos", "400", "--warm-up", "100"])
    out = soak.Soak(samples=samples, sent=400, answered=400, seconds=80.0)
    return soak.report(args, out)


def test_a_connection_opened_during_the_warm_up_is_not_growth() -> None:
    table, ok = verdict([at(20, 3), at(120, 4), at(260, 4), at(400, 4)])
    assert ok
    assert "| open descriptors after 120 photos -> last (first wave) | 20 -> 20 (19; " in table
    assert "changed: socket 3->4)" in table


def test_descriptors_growing_after_the_warm_up_fail() -> None:
    table, ok = verdict([at(20, 3), at(120, 3), at(260, 4), at(400, 5)])
    assert not ok and "19 -> 21" in table
    _, ok = verdict([at(20, 3), at(120, 3, db=2), at(400, 3, db=3)])
    assert not ok


def test_a_descriptor_is_named_by_what_it_points_to(tmp_path: Path) -> None:
    db = tmp_path / "soak.db"
    assert soak._kind(f"{db}-wal", db) == "database"
    assert soak._kind("socket:[123]", db) == "socket"
    assert soak._kind("anon_inode:[eventpoll]", db) == "anon_inode"
    assert soak._kind("/usr/lib/x.so", db) == "file"
