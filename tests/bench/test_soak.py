"""bench.soak's verdict: memory and descriptors judged from the warm-up on, the first wave's
descriptors and what changed since shown beside; growth after the warm-up fails, but the Bot
API's connection pool is judged by its size."""

from __future__ import annotations

import os
import socket
from collections import Counter
from pathlib import Path

from bench import soak
from bot.chat.application import API_CONNECTIONS


def at(photos: int, sockets: int, db: int = 2, rss: float = 500.0, api: int = 0) -> soak.Sample:
    kinds = Counter({"socket": sockets, "pipe": 4, "database": db, "file": 10, soak.API: api})
    return soak.Sample(photos, rss, sum(kinds.values()), db, kinds)


def verdict(samples: list[soak.Sample]) -> tuple[str, bool]:
    args = soak.parse(["--photos", "400", "--warm-up", "100"])
    out = soak.Soak(samples=samples, sent=400, answered=400, seconds=80.0)
    return soak.report(args, out)


def test_a_connection_opened_during_the_warm_up_is_not_growth() -> None:
    table, ok = verdict([at(20, 3), at(120, 4), at(260, 4), at(400, 4)])
    assert ok
    assert "| other open descriptors after 120 photos -> last (first wave) | " in table
    assert "| 20 -> 20 (19; changed: socket 3->4) |" in table


def test_descriptors_growing_after_the_warm_up_fail() -> None:
    table, ok = verdict([at(20, 3), at(120, 3), at(260, 4), at(400, 5)])
    assert not ok and "19 -> 21" in table
    _, ok = verdict([at(20, 3), at(120, 3, db=2), at(400, 3, db=3)])
    assert not ok


def test_the_bot_api_pool_may_grow_up_to_its_size_but_not_past_it() -> None:
    grows = [at(20, 3, api=5), at(120, 3, api=9), at(260, 3, api=4), at(400, 3, api=18)]
    table, ok = verdict(grows)
    assert ok, table
    assert f"| 4-18 (pool: {API_CONNECTIONS} + 1) | yes |" in table
    table, ok = verdict([at(20, 3, api=5), at(400, 3, api=API_CONNECTIONS + 2)])
    assert not ok and f"| 5-{API_CONNECTIONS + 2} (pool: " in table


def test_a_descriptor_is_named_by_what_it_points_to(tmp_path: Path) -> None:
    db = tmp_path / "soak.db"
    assert soak._kind(f"{db}-wal", db, set()) == "database"
    assert soak._kind("socket:[123]", db, set()) == "socket"
    assert soak._kind("socket:[123]", db, {"123"}) == soak.API
    assert soak._kind("anon_inode:[eventpoll]", db, {"123"}) == "anon_inode"
    assert soak._kind("/usr/lib/x.so", db, set()) == "file"


def test_sockets_are_found_by_the_port_they_are_connected_to() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            inode = os.readlink(f"/proc/self/fd/{client.fileno()}")[8:-1]
            assert inode in soak.connected_to(os.getpid(), port)
            assert inode not in soak.connected_to(os.getpid(), port + 1 if port < 65535 else 1)
