"""The bot under load as a process of its own: started, watched, measured, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.services.settings import BotSettings
from testbed.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
KEY_ID = "load"
STOP_GRACE_S = 20.0
RESERVE_S = 30.0  # kept back from the global timeout for stopping and checking
PREFIXES = (
    "TELEGRAM_",
    "WEBHOOK_",
    "INFERENCE_",
    "PHOTO_RATE_",
    "PSEUDONYM_",
    "ANEMIA_",
    "OUTBOX_",
)
NAMES = ("MAX_PHOTO_BYTES", "HEALTH_WORKER_IDS", "ADMIN_IDS", "TEAM", "DATABASE_URL")
T = TypeVar("T")


class LoadError(Exception):
    """The run could not be made (the bot did not start, a step timed out, ...)."""


@dataclass
class Deadline:
    at: float

    def left(self, reserve: float = 0.0) -> float:
        return max(self.at - reserve - time.monotonic(), 0.0)


def bot_command() -> list[str]:
    """`anemia-bot` as this checkout's pyproject.toml defines it, run by this interpreter (no
    shim in between: its pid is the bot's). Not the installed script: that is the entry point
    of whichever checkout was installed last, which may have moved."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["anemia-bot"].partition(":")
    code = f"import sys; from {module} import {function}; sys.exit({function}())"
    return [sys.executable, "-c", code]


def bot_env(
    fake: FakeTelegram, url: str, key: str, weights: Path, tmp: Path, args: Any
) -> dict[str, str]:
    """This environment without the bot's settings, then the ones for this run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(PREFIXES) and name.upper() not in NAMES
    }
    default_limit = BotSettings.model_fields["photo_rate_limit"].default
    env |= {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "DATABASE_URL": url,
        "PSEUDONYM_KEY": key,
        "PSEUDONYM_KEY_ID": KEY_ID,
        "ANEMIA_WEIGHTS": str(weights),
        "INFERENCE_WORKERS": str(args.workers),
        "INFERENCE_QUEUE": str(args.queue),
        "INFERENCE_PROCESSES": str(args.processes).lower(),
        "PHOTO_RATE_LIMIT": str(max(args.photos, default_limit)),
        "TEAM": "load-bench",
        "OUTBOX_PATH": str(tmp / "outbox.sqlite3"),  # where the bot holds unsaved screenings
        "PYTHONUNBUFFERED": "1",
        # this checkout's code, not the installed one's
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
    }
    return env


def descendants(pid: int) -> list[int]:
    """Child processes of `pid` and theirs (Linux /proc), e.g. the bot's inference workers."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return [p for child in found for p in (child, *descendants(child))]


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def tree_hwm_mb(pid: int) -> float | None:
    """Peak resident set of `pid` plus each descendant's own peak (an upper bound), in MB."""
    peaks = [vm_hwm_mb(p) for p in (pid, *descendants(pid))]
    return sum(p for p in peaks if p is not None) if peaks[0] is not None else None


def cpu_s(pid: int) -> float | None:
    """CPU time (user + system) the process has used so far, in s; None where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def vm_hwm_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MB, None where /proc cannot tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


async def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (run_polling's own shutdown), then SIGKILL after a grace period."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        end = time.monotonic() + STOP_GRACE_S
        while proc.poll() is None and time.monotonic() < end:
            await asyncio.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


class Alive(Protocol):
    """A process, or the replicas together (`bench.fleet.Fleet`)."""

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...


async def while_alive(proc: Alive, aw: Awaitable[T], timeout: float) -> T:
    """Await `aw`, giving up when the bot process exits or after `timeout` s."""
    task = asyncio.ensure_future(aw)
    end = time.monotonic() + timeout
    while not task.done():
        if proc.poll() is not None or time.monotonic() > end:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            if proc.poll() is not None:
                raise LoadError(f"the bot exited with status {proc.returncode}")
            raise LoadError(f"a step took longer than {timeout:.0f} s")
        await asyncio.wait([task], timeout=0.2)
    try:
        return task.result()
    except TimeoutError as e:  # a reply that did not come
        raise LoadError(str(e)) from e


async def wait_ready(fake: FakeTelegram, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """When the bot first asked for updates (time.monotonic()): it is ready."""
    end = time.monotonic() + timeout
    while True:
        polls = [c.at for c in fake.calls if c.method == "getUpdates"]
        if polls:
            return polls[0]
        if proc.poll() is not None:
            raise LoadError(f"the bot exited with status {proc.returncode} before it was ready")
        if time.monotonic() > end:
            raise LoadError(f"the bot was not ready within {timeout:.0f} s")
        await asyncio.sleep(0.1)


def log_problems(path: Path) -> Counter[str]:
    """The bot's WARNING and ERROR lines (pseudonymous by design), without time, counted."""
    lines: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 3)  # date, time, level, "logger: message"
            if len(parts) == 4 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
                lines[f"{parts[2]} {parts[3]}"] += 1
    return lines


def show_log_tail(path: Path, lines: int = 30) -> None:
    with contextlib.suppress(OSError):
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        print("--- the bot's log, last lines:", *tail, sep="\n", file=sys.stderr)
