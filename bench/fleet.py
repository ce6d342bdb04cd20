"""The bot under load as one process (long polling) or as N replicas, each with its own webhook
server and inference pool, on one PostgreSQL database, fed in turn by the stand-in's
round-robin push (as Telegram posts to one URL in front of a round-robin proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.botproc import (
    LoadError,
    bot_command,
    bot_env,
    cpu_s,
    log_problems,
    show_log_tail,
    stop_bot,
    tree_hwm_mb,
    wait_ready,
)
from bot.chat.app import WEBHOOK_PATH
from testbed.bot import free_port
from testbed.telegram import FakeTelegram

SECRET = "load-bench-webhook-secret"


@dataclass
class Fleet:
    """The bot's processes; `poll` and `returncode` read like one process's."""

    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)  # webhook ports; none when polling
    files: list[IO[bytes]] = field(default_factory=list)

    def poll(self) -> int | None:
        """The exit status of the first replica that stopped, None while all run."""
        return next((c for p in self.procs if (c := p.poll()) is not None), None)

    @property
    def returncode(self) -> int | None:
        codes = [p.returncode for p in self.procs]
        return None if None in codes else max(codes, key=abs)  # type: ignore[arg-type]

    def cpu_s(self) -> float | None:
        """The bot processes' own CPU time, s (not their inference processes)."""
        times = [cpu_s(p.pid) for p in self.procs]
        return None if None in times else sum(t for t in times if t is not None)

    def hwm_mb(self) -> float | None:
        """Peak resident set of every replica and its inference processes, MB."""
        peaks = [tree_hwm_mb(p.pid) for p in self.procs]
        return None if None in peaks else sum(p for p in peaks if p is not None)

    def problems(self) -> Counter[str]:
        return sum((log_problems(log) for log in self.logs), Counter())

    def show_tails(self) -> None:
        for log in self.logs:
            show_log_tail(log)

    async def stop(self) -> None:
        await asyncio.gather(*(stop_bot(p) for p in self.procs))
        for f in self.files:
            f.close()


def start(
    n: int, fake: FakeTelegram, url: str, key: str, weights: Path, tmp: Path, args: Any
) -> Fleet:
    """Launch one polling bot (n == 1) or n webhook replicas; `ready` says when they serve."""
    fleet = Fleet()
    for i in range(n):
        env = bot_env(fake, url, key, weights, tmp, args)
        env["OUTBOX_PATH"] = str(tmp / f"outbox-{i}.sqlite3")
        command = bot_command()
        if n > 1:
            fleet.ports.append(free_port())
            env |= {
                "WEBHOOK_URL": "https://bench.invalid/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(fleet.ports[-1]),
            }
            command = [*command, "--webhook"]
        fleet.logs.append(tmp / f"bot-{i}.log")
        fleet.files.append(fleet.logs[-1].open("wb"))
        fleet.procs.append(
            subprocess.Popen(
                command,
                env=env,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=fleet.files[-1],
                stderr=subprocess.STDOUT,
            )
        )
    return fleet


async def ready(fleet: Fleet, fake: FakeTelegram, timeout: float) -> float:
    """When the fleet serves (time.monotonic()): the polling bot's first getUpdates, or every
    replica's webhook port open and then the stand-in pushing to them."""
    if not fleet.ports:
        return await wait_ready(fake, fleet.procs[0], timeout)
    end = time.monotonic() + timeout
    for port in fleet.ports:
        while not await _accepts(port):
            if (code := fleet.poll()) is not None:
                raise LoadError(f"a replica exited with status {code} before it was ready")
            if time.monotonic() > end:
                raise LoadError(f"the replicas were not ready within {timeout:.0f} s")
            await asyncio.sleep(0.1)
    hooks = [f"http://127.0.0.1:{port}/{WEBHOOK_PATH}" for port in fleet.ports]
    fake.push_to_webhooks(hooks, secret_token=SECRET)
    return time.monotonic()


async def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        return True
    return False
