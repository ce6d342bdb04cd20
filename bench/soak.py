"""Soak: many photos through the bot (`anemia-bot`, long polling, SQLite) in waves of one photo
per person, checking that it holds steady: every photo answered, memory after the warm-up
flat (the bot with its inference processes, VmRSS), and no growth in open file descriptors or
database connections (descriptors open on the database file) from the warm-up to the last wave
(the descriptors of the first wave, and which kinds changed since, are shown beside). The bot's
connections to the Bot API are a pool that opens and closes connections as the waves need them,
up to its limit: they are judged by that limit, and every other descriptor by no growth.

    python -m bench.soak [--photos 2000] [--people 20] [--warm-up 100] [--weights DIR]

Run with the checkout first on the path (PYTHONPATH=.) to soak this checkout's bot. Prints one
Markdown table; exit status 0 when every check holds, 1 when one does not, 2 when the run
could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import fleet
from bench.baseline import phone_photos, weights_for
from bench.botproc import LoadError, descendants
from bench.chats import FIRST_USER, WHO, Answers, enrol_all
from bot.chat.application import API_CONNECTIONS
from model import WEIGHTS
from testbed.telegram import FakeTelegram

FLAT = 0.05  # memory after the warm-up may move by at most this share
API = "Bot API connection"  # a descriptor's kind: a socket connected to the Bot API's port


@dataclass
class Sample:
    photos: int  # answered so far
    rss_mb: float  # the bot and its inference processes
    fds: int
    db_fds: int
    kinds: Counter[str] = field(default_factory=Counter)  # descriptors by what they point to

    @property
    def others(self) -> int:
        """Descriptors besides the pooled connections to the Bot API."""
        return self.fds - self.kinds[API]


@dataclass
class Soak:
    samples: list[Sample] = field(default_factory=list)
    sent: int = 0
    answered: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _kind(target: str, db: Path, api: set[str]) -> str:
    """What a descriptor's link names: the database, a connection to the Bot API (its socket's
    inode in `api`), another socket, a pipe, another file, ..."""
    if target.startswith(str(db)):
        return "database"
    if target.startswith("socket:[") and target[8:-1] in api:
        return API
    if target.startswith("/"):
        return "file"
    return target.split(":")[0] if ":" in target else target


def connected_to(pid: int, port: int) -> set[str]:
    """Inodes of the TCP sockets in `pid`'s network namespace whose remote port is `port`
    (/proc/PID/net/tcp: addresses as hex IP:port, the inode in the tenth column)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[2].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    return inodes


def sample(pid: int, db: Path, photos: int, api_port: int) -> Sample:
    """The bot's process tree now: resident memory, descriptors, those on the database and
    those connected to the Bot API (on `api_port`)."""
    pids = [pid, *descendants(pid)]
    api = connected_to(pid, api_port)
    kinds: Counter[str] = Counter()
    for p in pids:
        for fd in Path(f"/proc/{p}/fd").iterdir():
            with contextlib.suppress(OSError):
                kinds[_kind(os.readlink(fd), db, api)] += 1
    rss = sum(_rss_mb(p) for p in pids)
    return Sample(photos, rss, sum(kinds.values()), kinds["database"], kinds)


def _changed(a: Sample, b: Sample) -> str:
    """The kinds of descriptor whose count differs from `a` to `b`, e.g. 'socket 3->4'."""
    keys = sorted(k for k in a.kinds.keys() | b.kinds.keys() if a.kinds[k] != b.kinds[k])
    return ", ".join(f"{k} {a.kinds[k]}->{b.kinds[k]}" for k in keys) or "none"


async def run(args: argparse.Namespace, tmp: Path) -> Soak:
    db = tmp / "soak.db"
    weights, _ = weights_for(args.weights, tmp)
    photos, _ = phone_photos(args.distinct)
    users = [FIRST_USER + i for i in range(args.people)]
    fake, out = FakeTelegram(), Soak()
    await fake.start()
    bots = fleet.start(
        1, fake, f"sqlite+aiosqlite:///{db}", secrets.token_urlsafe(32), weights, tmp, args
    )
    try:
        await _steps(args, fake, bots, photos, users, db, out)
    except LoadError:
        bots.show_tails()
        raise
    finally:
        await bots.stop()
        await fake.stop()
    return out


async def _steps(
    args: argparse.Namespace,
    fake: FakeTelegram,
    bots: fleet.Fleet,
    photos: list[bytes],
    users: list[int],
    db: Path,
    out: Soak,
) -> None:
    """Enrol the people, then send the waves and sample the bot after each."""
    await fleet.ready(bots, fake, 300)
    await enrol_all(fake, users, 300)
    started, k = time.monotonic(), 0
    while out.sent < args.photos:
        answers = Answers(fake, set(users), len(fake.calls))
        for user in users:
            fake.send_photo(user, photos[k % len(photos)], **WHO)
            k += 1
        out.sent += len(users)
        if not await answers.wait(1, bots, 300):
            raise LoadError(f"a wave was not answered in 300 s ({out.sent} photos sent)")
        answers.read()
        for user in users:
            for _, kind in answers.done[user][:1]:
                out.answered += 1
                out.kinds[kind] = out.kinds.get(kind, 0) + 1
        out.samples.append(sample(bots.procs[0].pid, db, out.answered, fake.port))
    out.seconds = time.monotonic() - started


def report(args: argparse.Namespace, out: Soak) -> tuple[str, bool]:
    after = [s for s in out.samples if s.photos >= args.warm_up] or out.samples[-1:]
    first, last = after[0], out.samples[-1]
    rss = [s.rss_mb for s in after]
    drift = (max(rss) - min(rss)) / min(rss)
    most_api = max(s.kinds[API] for s in out.samples)
    checks = [
        ("photos answered", f"{out.answered} / {out.sent}", out.answered == out.sent),
        (
            f"memory after {first.photos} photos, min-max MB",
            f"{min(rss):.0f}-{max(rss):.0f} ({drift:+.1%})",
            drift <= FLAT,
        ),
        (  # like memory, from the warm-up on: a leak grows with the photos after it
            f"other open descriptors after {first.photos} photos -> last (first wave)",
            f"{first.others} -> {last.others} ({out.samples[0].others}; changed: "
            f"{_changed(out.samples[0], last)})",
            last.others <= first.others,
        ),
        (  # a pool, not a leak: it may grow and shrink, never past its size (+ getUpdates')
            "open connections to the Bot API, fewest-most over the waves",
            f"{min(s.kinds[API] for s in out.samples)}-{most_api} (pool: {API_CONNECTIONS} + 1)",
            most_api <= API_CONNECTIONS + 1,
        ),
        (
            f"descriptors on the database after {first.photos} photos -> last",
            f"{first.db_fds} -> {last.db_fds}",
            last.db_fds <= first.db_fds,
        ),
    ]
    rate = out.answered / out.seconds if out.seconds else 0.0
    rows = ["| check | result | met |", "|---|---|---|"]
    rows += [f"| {name} | {value} | {'yes' if ok else 'no'} |" for name, value, ok in checks]
    rows.append(f"| answers by kind | {out.kinds} | |")
    rows.append(f"| photos/s, waves of {args.people} | {rate:.1f} | |")
    return "\n".join(rows), all(ok for _, _, ok in checks)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    p.add_argument("--photos", type=int, default=2000, help="photos in all")
    p.add_argument("--people", type=int, default=20, help="photos per wave, one each")
    p.add_argument("--warm-up", type=int, default=100, help="photos before memory must be flat")
    p.add_argument("--distinct", type=int, default=16)
    p.add_argument("--weights", type=Path, default=WEIGHTS)
    a = p.parse_args(argv)
    # what bench.botproc.bot_env reads: one inference process, room for a wave, and (from
    # --photos) a rate
    # limit that lets each person send all of theirs
    a.workers, a.queue, a.processes = 1, a.people, True
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="anemia-soak-") as tmp:
            out = asyncio.run(run(args, Path(tmp)))
    except (LoadError, TimeoutError) as e:
        print(f"bench.soak: {e}", file=sys.stderr)
        return 2
    table, met = report(args, out)
    print(f"{out.sent} photos, waves of {args.people}, {out.seconds:.0f} s\n\n{table}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
