"""Load: N people send M photos each at once to the bot, which runs as its own process
(`anemia-bot`, long polling) against the stand-in Bot API server in this process.

    python -m bench.load [--people 50] [--photos 4] [--weights DIR] [--workers W]
                         [--queue Q] [--database-url URL] [--timeout S]

Each person goes through /start, consent and the profile (a child of 24-59 months); one more
person sends a warm-up photo; then all N x M photos are queued at once. The photos are
CP-AnemiC cut-outs composed into phone-like 1280x960 JPEG scenes (`bot.data.compose`), or the
sample cut-out where the data set is missing. In the same run the pipeline alone
(`Screener.screen` in this process on the same photos, sequentially and with as many threads as
the bot has inference workers) gives the throughput to compare with.

Latency: from the getUpdates answer that carried the photo (the stand-in stamps calls with
time.monotonic()) to the photo's last reply. Replies do not say which photo they answer, so
within a chat the k-th photo served is paired with the k-th answer. Throughput: photos screened
(a result or a refusal of the picture) per second, first photo served to last answer.

Prints one Markdown table (the bot's WARNING/ERROR log lines, pseudonymous, on stderr). The
bar (issue 6, 50 x 4 on the 2-core machine): every photo answered (a result, or a refusal or
"try again" message, each kind counted), a database row for every result, no error in the
bot's log, throughput >= 0.8x the pipeline alone. Exit status 0 when met, 1 when not, 2 when
the run could not be made, 130 when interrupted. Only 127.0.0.1; the bot process and the
temporary folder (SQLite file, log, weights links) are removed whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench.pipeline import DATA
from bot import i18n
from bot.data import cpanemic, deduplicate
from bot.data.compose import compose
from bot.decode import ImageRejected
from bot.inference import InferencePool
from bot.risk import Person
from bot.screening import Screener
from bot.services.profile import GROUP_MONTHS
from bot.settings import BotSettings
from bot.worker_process import WorkerProcess
from model import WEIGHTS
from storage.db import make_engine
from storage.models import ProcessedUpdate, Screening, Subject
from storage.pseudonyms import Pseudonymizer
from tests.bot.e2e import SAMPLE, buttons, message_id
from tests.bot.fake_telegram import Call, FakeTelegram

T = TypeVar("T")
BAR = 0.8  # bot throughput / pipeline-only throughput
AGE_GROUP = "child_24_59m"
PERSON = Person(age_months=GROUP_MONTHS[AGE_GROUP])  # what the profile gives the model
FIRST_USER = 6_100_000_001
WHO: dict[str, Any] = {"first_name": "Load", "username": None, "language_code": "en"}
PHOTO_SIZE = (960, 1280)  # (height, width), as bench.pipeline
KEY_ID = "load"
REPLY_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "editmessagetext"})
SETUP_AT_ONCE = 8  # people going through consent and profile at the same time
STOP_GRACE_S = 20.0
RESERVE_S = 30.0  # kept back from the global timeout for stopping and checking
# settings the bot reads that this script sets (or leaves at their defaults) itself
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
TRY_AGAIN = {
    "busy": "try again: busy",
    "rate_limited": "try again: rate limit",
    "save_failed": "try again: not saved",
    "conflict": "try again: conflict",
    "db_unavailable": "try again: database unreachable",
    "error": "error",
}


class LoadError(Exception):
    """The run could not be made (the bot did not start, a step timed out, ...)."""


@dataclass
class Deadline:
    at: float

    def left(self, reserve: float = 0.0) -> float:
        return max(self.at - reserve - time.monotonic(), 0.0)


# --- photos and weights


def phone_photos(count: int, seed: int = 0) -> tuple[list[bytes], str]:
    """`count` distinct composite eyelid photos as phone JPEGs; the sample cut-out without data."""
    if not cpanemic.is_cpanemic(DATA):
        return [SAMPLE.read_bytes()], f"{SAMPLE.name} (CP-AnemiC not found at {DATA})"
    samples = deduplicate(cpanemic.load(DATA))[0]
    rng = np.random.default_rng(seed)
    photos: list[bytes] = []
    for k in rng.permutation(len(samples)):
        sample = samples[int(k)]
        try:
            scene = compose(sample.image, sample.mask, seed=seed + len(photos), size=PHOTO_SIZE)
        except ValueError:  # a hairline cut-out: take the next
            continue
        quality = int(rng.integers(80, 96))  # phones save JPEG at about 80-95
        bgr = cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise LoadError("could not encode a JPEG")
        photos.append(buf.tobytes())
        if len(photos) == count:
            break
    height, width = PHOTO_SIZE
    return photos, f"{len(photos)} CP-AnemiC composites, {width}x{height} JPEG"


def weights_for(given: Path, tmp: Path) -> tuple[Path, str]:
    """The weights folder; the shipped segmenter linked in when `given` has none."""
    if not (given / "ensemble.msgpack").is_file():
        raise LoadError(
            f"no ensemble.msgpack in {given}: pass --weights DIR (e.g. from `anemia-screen "
            "train --data CSV --epochs 3 --members 2 --folds 3 --out DIR`)"
        )
    shipped = WEIGHTS / "unet.msgpack"
    if (given / "unet.msgpack").is_file() or not shipped.is_file():
        return given, str(given)
    merged = tmp / "weights"
    merged.mkdir()
    for src in [*WEIGHTS.glob("unet.*"), *given.iterdir()]:
        link = merged / src.name
        link.unlink(missing_ok=True)
        link.symlink_to(src.resolve())
    return merged, f"{given} + segmenter from {WEIGHTS}"


# --- the pipeline alone


def _screened(screener: Screener, data: bytes) -> bool:
    try:
        screener.screen(data, PERSON)
    except ImageRejected:
        return False
    return True


def pipeline_sequential(weights: Path, photos: list[bytes], deadline: Deadline) -> float:
    """Photos/s of one Screener, one photo after another, after two warm-up photos."""
    screener = Screener(weights)
    for data in photos[:2]:
        _screened(screener, data)
    started = time.perf_counter()
    for data in photos:
        if not deadline.left(RESERVE_S):
            raise LoadError("time ran out in the pipeline-only run")
        _screened(screener, data)
    return len(photos) / (time.perf_counter() - started)


async def pipeline_threads(
    weights: Path, photos: list[bytes], workers: int, processes: bool = True
) -> float:
    """Photos/s of the bot's own InferencePool (`workers` threads, each driving a worker
    process as the bot's do, or screening in the thread), all photos queued at once."""
    make = WorkerProcess if processes else Screener
    pool = InferencePool(weights, workers=workers, queue_size=len(photos) + 2 * workers, make=make)
    await asyncio.to_thread(pool.start)
    try:
        warm = [pool.screen(data, PERSON) for data in photos[: 2 * workers]]
        await asyncio.gather(*warm, return_exceptions=True)
        started = time.perf_counter()
        done = await asyncio.gather(
            *(pool.screen(d, PERSON) for d in photos), return_exceptions=True
        )
        seconds = time.perf_counter() - started
    finally:
        await asyncio.to_thread(pool.close)
    for outcome in done:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ImageRejected):
            raise LoadError("the pipeline failed on a photo") from outcome
    return len(photos) / seconds


# --- the bot process


def bot_command() -> list[str]:
    """`anemia-bot` of this interpreter (no shim in between: its pid is the bot's)."""
    script = Path(sys.executable).with_name("anemia-bot")
    if script.is_file():
        return [str(script)]
    found = shutil.which("anemia-bot")
    return [found] if found else [sys.executable, "-m", "bot.app"]


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
    }
    return env


def descendants(pid: int) -> list[int]:
    """Child processes of `pid` and theirs (Linux /proc), e.g. the bot's inference workers."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return [p for child in found for p in (child, *descendants(child))]


def tree_hwm_mb(pid: int) -> float | None:
    """Peak resident set of `pid` plus each descendant's own peak (an upper bound), in MB."""
    peaks = [vm_hwm_mb(p) for p in (pid, *descendants(pid))]
    return sum(p for p in peaks if p is not None) if peaks[0] is not None else None


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


async def sample_rss(pid: int, peak: list[float]) -> None:
    """Keep peak[0] at the largest RSS seen (MB), every 0.2 s, with psutil if installed."""
    try:
        import psutil
    except ImportError:
        return
    process = psutil.Process(pid)
    while True:
        try:
            peak[0] = max(peak[0], process.memory_info().rss / 2**20)
        except psutil.Error:
            return
        await asyncio.sleep(0.2)


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


async def while_alive(proc: subprocess.Popen[bytes], aw: Awaitable[T], timeout: float) -> T:
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


# --- people


async def enrol(fake: FakeTelegram, user: int, timeout: float) -> None:
    """/start, consent, the profile's age group: ready to send photos."""
    fake.send_text(user, "/start", **WHO)
    [terms] = await fake.wait_replies(user, 1, timeout)
    if "consent:yes" not in buttons(terms):
        raise LoadError("the /start reply carried no consent button")
    fake.press_button(user, message_id(terms), "consent:yes", **WHO)
    replies = await fake.wait_replies(user, 3, timeout)
    if f"age:{AGE_GROUP}" not in buttons(replies[-1]):
        raise LoadError("consent was not followed by the profile's age question")
    fake.press_button(user, message_id(replies[-1]), f"age:{AGE_GROUP}", **WHO)
    saved = (await fake.wait_replies(user, 4, timeout))[-1]
    expected = i18n.t("en", "profile.saved", group=i18n.t("en", f"group.{AGE_GROUP}"))
    if saved.params.get("text") != expected:
        raise LoadError(f"the profile was not saved: {str(saved.params.get('text'))[:80]!r}")


async def enrol_all(fake: FakeTelegram, users: list[int], timeout: float) -> None:
    limit = asyncio.Semaphore(SETUP_AT_ONCE)

    async def one(user: int) -> None:
        async with limit:
            await enrol(fake, user, timeout)

    await asyncio.gather(*(one(user) for user in users))


def answer_kinds() -> dict[str, str]:
    """Reply text -> kind, for every message that ends a photo without a result."""
    mb = BotSettings.model_fields["max_photo_bytes"].default // 2**20
    kinds = {i18n.t("en", key): kind for key, kind in TRY_AGAIN.items() if i18n.has(key)}
    for key in i18n.catalog("en"):
        if key.startswith("reject."):
            kinds[i18n.t("en", key, mb=mb)] = "picture refused"
    return kinds


@dataclass
class Answers:
    """The bot's answers to photos per chat, read from the stand-in's calls as they come."""

    fake: FakeTelegram
    chats: set[int]
    seen: int  # calls before this index are not ours
    kinds: dict[str, str] = field(default_factory=answer_kinds)
    done: dict[int, list[tuple[float, str]]] = field(default_factory=lambda: defaultdict(list))
    served: dict[int, float] = field(default_factory=dict)  # update_id -> getUpdates call at

    def read(self) -> None:
        calls = self.fake.calls
        for call in calls[self.seen :]:
            if call.method == "getUpdates" and call.status == 200:
                for update in call.result or []:
                    self.served.setdefault(update["update_id"], call.at)
            elif call.chat_id in self.chats and call.delivered:
                kind = self.kind_of(call)
                if kind is not None:
                    self.done[call.chat_id].append((call.at, kind))
        self.seen = len(calls)

    def kind_of(self, call: Call) -> str | None:
        """The kind of answer this reply ends; None when it is no reply or more follow."""
        method = call.method.lower()
        if method not in REPLY_METHODS:
            return None
        if method == "sendphoto":
            return "result"  # the Grad-CAM overlay, after the result text
        text = str(call.params.get("text", ""))
        if " g/dL" in text and i18n.t("en", "notice") in text:
            return None  # the result text; the overlay follows
        return self.kinds.get(text, "other")

    async def wait(self, want: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """Until every chat has `want` answers (True), the bot exits or time is up (False)."""
        end = time.monotonic() + timeout
        while True:
            self.read()
            if all(len(self.done[chat]) >= want for chat in self.chats):
                return True
            if proc.poll() is not None or time.monotonic() > end:
                return False
            await asyncio.sleep(0.05)


def push_burst(
    fake: FakeTelegram, users: list[int], photos: list[bytes], per_person: int
) -> tuple[dict[int, int], float]:
    """Every person's photos, round by round: (update_id -> user, when the last was queued).

    Queueing runs in the stand-in's event loop, so nothing is served before it ends.
    """
    sent = {}
    for k in range(per_person):
        for i, user in enumerate(users):
            sent[fake.send_photo(user, photos[(i * per_person + k) % len(photos)], **WHO)] = user
    return sent, time.monotonic()


def served_at(sent: dict[int, int], queued: float, answers: Answers) -> dict[int, float]:
    """update_id -> when the getUpdates answer carrying it was sent.

    A long poll already waiting is answered once the queueing is done, not when it was asked.
    """
    return {uid: max(answers.served[uid], queued) for uid in sent if uid in answers.served}


def latencies_ms(sent: dict[int, int], served: dict[int, float], answers: Answers) -> list[float]:
    """Served -> last reply, the k-th photo served in a chat paired with its k-th answer."""
    starts: dict[int, list[float]] = defaultdict(list)
    for uid, at in served.items():
        starts[sent[uid]].append(at)
    out = []
    for user, begun in starts.items():
        ends = sorted(at for at, _ in answers.done[user])
        out += [(end - start) * 1e3 for start, end in zip(sorted(begun), ends, strict=False)]
    return out


# --- the database


async def database_in_use(url: str) -> bool:
    """Whether the database already holds processed updates (their ids would collide)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            try:
                count = select(func.count()).select_from(ProcessedUpdate)
                return bool((await conn.execute(count)).scalar_one())
            except SQLAlchemyError:  # not migrated yet
                return False
    except (OSError, SQLAlchemyError) as e:
        raise LoadError(f"cannot reach the database: {type(e).__name__}") from e
    finally:
        await engine.dispose()


async def rows_per_person(url: str, key: str, users: list[int]) -> dict[int, int]:
    """Screening rows per person, found by the pseudonym the bot keyed with `key`."""
    names = Pseudonymizer(KEY_ID, key.encode())
    by_pseudonym = {names.pseudonym(user).value: user for user in users}
    query = (
        select(Subject.pseudonym, func.count(Screening.id))
        .join(Screening, Screening.subject_id == Subject.id)
        .where(Subject.pseudonym.in_(by_pseudonym))
        .group_by(Subject.pseudonym)
    )
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {by_pseudonym[p]: int(n) for p, n in await conn.execute(query)}
    finally:
        await engine.dispose()


# --- the run


@dataclass
class Outcome:
    sequential: float = 0.0  # pipeline photos/s
    threaded: float = 0.0
    cold_start_s: float = 0.0
    answered: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    extra: int = 0  # answers beyond one per photo
    window_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rows: int = 0
    rows_match: bool = False
    per_person_results: dict[int, int] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    rss_source: str = ""
    bot_status: int | None = None
    problems: Counter[str] = field(default_factory=Counter)


async def measure_bot(
    args: Any, tmp: Path, url: str, weights: Path, photos: list[bytes], out: Outcome,
    procs: list[subprocess.Popen[bytes]], deadline: Deadline,
) -> None:  # fmt: skip
    """Start the stand-in and the bot, enrol people, send the burst, check every answer."""
    key = secrets.token_urlsafe(32)  # 43 characters
    users = [FIRST_USER + i for i in range(args.people)]
    warm_user = FIRST_USER + args.people
    fake = FakeTelegram()
    await fake.start()
    try:
        log = (tmp / "bot.log").open("wb")
        with log:
            launched = time.monotonic()
            proc = subprocess.Popen(
                bot_command(), env=bot_env(fake, url, key, weights, tmp, args), cwd=tmp,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            procs.append(proc)
            peak = [0.0]
            sampler = asyncio.create_task(sample_rss(proc.pid, peak))
            try:
                await run_chats(args, fake, proc, photos, users, warm_user, out, deadline, launched)
                if (hwm := tree_hwm_mb(proc.pid)) is not None:
                    out.peak_rss_mb, out.rss_source = hwm, "VmHWM, with its inference processes"
                elif peak[0]:
                    out.peak_rss_mb, out.rss_source = peak[0], "psutil, sampled every 0.2 s"
            except LoadError:
                _show_log_tail(tmp / "bot.log")
                raise
            finally:
                sampler.cancel()
                await stop_bot(proc)
                out.bot_status = proc.returncode
                out.problems = log_problems(tmp / "bot.log")
    finally:
        await fake.stop()
    per_person = await rows_per_person(url, key, users)
    out.rows = sum(per_person.values())
    out.rows_match = all(per_person.get(u, 0) == out.per_person_results.get(u, 0) for u in users)


async def run_chats(
    args: Any, fake: FakeTelegram, proc: subprocess.Popen[bytes], photos: list[bytes],
    users: list[int], warm_user: int, out: Outcome, deadline: Deadline, launched: float,
) -> None:  # fmt: skip
    ready = await wait_ready(fake, proc, deadline.left(RESERVE_S))
    out.cold_start_s = ready - launched
    step = min(120.0, deadline.left(RESERVE_S))
    await while_alive(proc, enrol_all(fake, [*users, warm_user], step), deadline.left(RESERVE_S))
    warm = Answers(fake, {warm_user}, len(fake.calls))
    fake.send_photo(warm_user, photos[0], **WHO)
    if not await warm.wait(1, proc, min(120.0, deadline.left(RESERVE_S))):
        raise LoadError("the warm-up photo got no answer")
    answers = Answers(fake, set(users), len(fake.calls))
    sent, queued = push_burst(fake, users, photos, args.photos)
    await answers.wait(args.photos, proc, deadline.left(RESERVE_S))
    await asyncio.sleep(0.5)  # answers beyond one per photo would show up here
    answers.read()
    results: dict[int, int] = {}
    for user in users:
        done = answers.done[user]
        out.answered += min(len(done), args.photos)
        out.extra += max(len(done) - args.photos, 0)
        out.kinds.update(kind for _, kind in done)
        results[user] = sum(kind == "result" for _, kind in done)
    out.per_person_results = results
    served = served_at(sent, queued, answers)
    ends = [at for user in users for at, _ in answers.done[user]]
    if served and ends:
        out.window_s = max(ends) - min(served.values())
    out.latencies = latencies_ms(sent, served, answers)


def log_problems(path: Path) -> Counter[str]:
    """The bot's WARNING and ERROR lines (pseudonymous by design), without time, counted."""
    lines: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 3)  # date, time, level, "logger: message"
            if len(parts) == 4 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
                lines[f"{parts[2]} {parts[3]}"] += 1
    return lines


def _show_log_tail(path: Path, lines: int = 30) -> None:
    with contextlib.suppress(OSError):
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        print("--- the bot's log, last lines:", *tail, sep="\n", file=sys.stderr)


async def run(args: Any, tmp: Path, procs: list[subprocess.Popen[bytes]]) -> Outcome:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)  # clean up on kill, as on Ctrl-C
    deadline = Deadline(time.monotonic() + args.timeout)
    url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'load.db'}"
    if args.database_url and await database_in_use(url):
        raise LoadError("--database-url must be a fresh database (update ids would collide)")
    weights, args.weights_label = weights_for(args.weights, tmp)
    photos, args.photos_label = phone_photos(args.distinct)
    burst = [photos[i % len(photos)] for i in range(args.people * args.photos)]
    out = Outcome()
    out.sequential = await asyncio.to_thread(pipeline_sequential, weights, burst, deadline)
    out.threaded = await asyncio.wait_for(
        pipeline_threads(weights, burst, args.workers, args.processes), deadline.left(RESERVE_S)
    )
    await measure_bot(args, tmp, url, weights, photos, out, procs, deadline)
    return out


# --- report


def _pct(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q):.0f}" if values else "n/a"


def report(args: Any, out: Outcome, load_before: float) -> tuple[str, bool]:
    """The Markdown table and whether the bar is met."""
    total = args.people * args.photos
    results = out.kinds["result"]
    screened = results + out.kinds["picture refused"]
    throughput = screened / out.window_s if out.window_s else 0.0
    ratio = throughput / out.threaded if out.threaded else 0.0
    all_answered = out.answered == total and not out.extra
    rows_ok = out.rows == results and out.rows_match
    kinds = ", ".join(f"{kind} {n}" for kind, n in out.kinds.most_common()) or "none"
    if out.answered < total:
        kinds += f", no answer {total - out.answered}"
    if out.extra:
        kinds += f", beyond one per photo {out.extra}"
    rss = f"{out.peak_rss_mb:.0f} ({out.rss_source})" if out.peak_rss_mb else "n/a"
    backend = make_url(args.database_url or "sqlite://").get_backend_name()
    yes = {True: "yes", False: "no"}
    errors = sum(n for line, n in out.problems.items() if not line.startswith("WARNING"))
    warnings = sum(n for line, n in out.problems.items() if line.startswith("WARNING"))
    rows = [
        ("photos answered", f"{out.answered} / {total}", f"{total} / {total}", yes[all_answered]),
        ("answers by kind", kinds, "", ""),
        (
            "database rows for results",
            f"{out.rows} / {results}" + ("" if out.rows_match else " (not each person's own)"),
            "one per result",
            yes[rows_ok],
        ),
        (
            "bot throughput, photos screened / s",
            f"{throughput:.2f}",
            f">= {BAR} x pipeline",
            yes[ratio >= BAR],
        ),
        (
            f"pipeline only, the bot's pool of {args.workers}, photos / s",
            f"{out.threaded:.2f}",
            "",
            "",
        ),
        ("pipeline only, sequential, photos / s", f"{out.sequential:.2f}", "", ""),
        ("bot / pipeline (same pool)", f"{ratio:.2f}", f">= {BAR}", yes[ratio >= BAR]),
        (
            "latency p50 / p95 / p99, ms",
            " / ".join(_pct(out.latencies, q) for q in (50, 95, 99)),
            "",
            "",
        ),
        ("burst: first photo served to last answer, s", f"{out.window_s:.1f}", "", ""),
        ("peak RSS of the bot process, MB", rss, "", ""),
        ("bot cold start to ready, s", f"{out.cold_start_s:.1f}", "", ""),
        (
            "bot log: errors / warnings (lines on stderr)",
            f"{errors} / {warnings}",
            "0 errors",
            yes[not errors],
        ),
        ("bot exit status after SIGINT", str(out.bot_status), "0", yes[out.bot_status == 0]),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {date.today()}; load average {load_before:.1f} at the "
        f"start, {load:.1f} at the end",
        f"Run: {args.people} people x {args.photos} photos at once; bot: {args.workers} inference "
        f"{'process' if args.processes else 'thread'}(s), queue {args.queue}, {backend}; "
        f"photos: {args.photos_label}; "
        f"weights: {args.weights_label}",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    return "\n".join(lines), all_answered and rows_ok and ratio >= BAR and not errors


def _bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not in {low}-{high}")
        return value

    return parse


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )  # fmt: skip
    p.add_argument("--people", type=_bounded(1, 500), default=50, help="1-500")
    p.add_argument("--photos", type=_bounded(1, 20), default=4, help="per person, 1-20")
    p.add_argument("--weights", type=Path, default=WEIGHTS, help="weights folder (ANEMIA_WEIGHTS)")
    p.add_argument("--workers", type=_bounded(1, 16),
                   default=int(os.environ.get("INFERENCE_WORKERS", "1")),
                   help="the bot's INFERENCE_WORKERS and the pipeline's threads, 1-16")  # fmt: skip
    p.add_argument("--in-threads", dest="processes", action="store_false",
                   help="screen in threads, not processes (INFERENCE_PROCESSES)")  # fmt: skip
    p.add_argument("--queue", type=_bounded(1, 10_000), default=None,
                   help="the bot's INFERENCE_QUEUE (default: the whole burst)")  # fmt: skip
    p.add_argument(
        "--database-url",
        default=None,
        help="a fresh PostgreSQL database (default: SQLite in a temporary folder)",
    )
    p.add_argument("--distinct", type=_bounded(1, 256), default=16,
                   help="distinct photos, used in turn, 1-256")  # fmt: skip
    p.add_argument("--timeout", type=float, default=900.0, help="for the whole run, s")
    args = p.parse_args(argv)
    if args.queue is None:
        args.queue = args.people * args.photos
    if args.timeout <= RESERVE_S:
        p.error(f"--timeout must be over {RESERVE_S:.0f} s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with _tmpdir() as tmp:
            try:
                out = asyncio.run(asyncio.wait_for(run(args, tmp, procs), args.timeout + 60))
            finally:
                for proc in procs:  # nothing left running, even when interrupted
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait(timeout=10)
    except (LoadError, TimeoutError) as e:
        print(f"bench.load: {e or 'time ran out'}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench.load: interrupted; the bot and the temporary files are gone", file=sys.stderr)
        return 130
    table, met = report(args, out, load_before)
    print(table)
    for line, n in out.problems.most_common(10):
        print(f"bot log, {n}x: {line}", file=sys.stderr)
    return 0 if met else 1


@contextlib.contextmanager
def _tmpdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="anemia-load-") as name:
        yield Path(name)


if __name__ == "__main__":
    sys.exit(main())
