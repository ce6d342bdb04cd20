"""Load: N people send M photos each at once to the bot, which runs as its own process
(`anemia-bot`, long polling) against the stand-in Bot API server in this process.

    python -m bench.load [--people 50] [--photos 4] [--weights DIR] [--workers W]
                         [--queue Q] [--database-url URL] [--timeout S]

Each person goes through /start, consent and the profile (a child of 24-59 months); one more
person sends a warm-up photo; then all N x M photos are queued at once. The photos are
CP-AnemiC cut-outs composed into phone-like 1280x960 JPEG scenes
(`bot.training.data.compose`), or the sample cut-out where the data set is missing. In the
same run the pipeline alone
(`Screener.screen` in this process on the same photos, sequentially and with as many threads as
the bot has inference workers), before and after the bot's run because the machine's speed
drifts, gives the throughput to compare with: the faster of the two means.

Latency: from the getUpdates answer that carried the photo (the stand-in stamps calls with
time.monotonic()) to the photo's last reply. Replies do not say which photo they answer, so
within a chat the k-th photo served is paired with the k-th answer. Throughput: photos screened
(a result or a refusal of the picture) per second, first photo served to last answer.

Prints one Markdown table (the bot's WARNING/ERROR log lines, pseudonymous, on stderr). The
target (50 x 4 on a 2-core machine): every photo answered (a result, or a refusal or
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
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import fleet
from bench.baseline import phone_photos, pipeline_sequential, pipeline_threads, weights_for
from bench.botproc import (
    RESERVE_S,
    Deadline,
    LoadError,
    while_alive,
)
from bench.chats import FIRST_USER, WHO, Answers, enrol_all, latencies_ms, push_burst, served_at
from bench.load_report import Outcome, report
from bench.records import database_in_use, rows_per_person
from bot.pipeline.screening import Screener
from model import WEIGHTS
from testbed.telegram import FakeTelegram

# --- the run


async def measure_bot(
    args: Any,
    tmp: Path,
    url: str,
    weights: Path,
    photos: list[bytes],
    out: Outcome,
    procs: list[subprocess.Popen[bytes]],
    deadline: Deadline,
) -> None:
    """Start the stand-in and the bot, enrol people, send the burst, check every answer."""
    key = secrets.token_urlsafe(32)  # 43 characters
    users = [FIRST_USER + i for i in range(args.people)]
    warm_user = FIRST_USER + args.people
    fake = FakeTelegram()
    await fake.start()
    try:
        launched = time.monotonic()
        bots = fleet.start(args.replicas, fake, url, key, weights, tmp, args)
        procs += bots.procs
        try:
            await run_chats(args, fake, bots, photos, users, warm_user, out, deadline, launched)
            if (hwm := bots.hwm_mb()) is not None:
                out.peak_rss_mb, out.rss_source = hwm, "VmHWM, with its inference processes"
        except LoadError:
            bots.show_tails()
            raise
        finally:
            await bots.stop()
            out.bot_status = bots.returncode
            out.problems = bots.problems()
            out.undelivered = len(fake.push_failures)
    finally:
        await fake.stop()
    per_person = await rows_per_person(url, key, users)
    out.rows = sum(per_person.values())
    out.rows_match = all(per_person.get(u, 0) == out.per_person_results.get(u, 0) for u in users)


async def run_chats(
    args: Any,
    fake: FakeTelegram,
    proc: fleet.Fleet,
    photos: list[bytes],
    users: list[int],
    warm_user: int,
    out: Outcome,
    deadline: Deadline,
    launched: float,
) -> None:
    ready = await fleet.ready(proc, fake, deadline.left(RESERVE_S))
    out.cold_start_s = ready - launched
    step = min(120.0, deadline.left(RESERVE_S))
    await while_alive(proc, enrol_all(fake, [*users, warm_user], step), deadline.left(RESERVE_S))
    await one_at_a_time(fake, proc, warm_user, photos[:1], deadline)  # warm-up
    out.single = await one_at_a_time(fake, proc, warm_user, photos[1 : 1 + args.singles], deadline)
    answers = Answers(fake, set(users), len(fake.calls))
    before = proc.cpu_s()
    sent, queued = push_burst(fake, users, photos, args.photos)
    ours = time.process_time()  # after queueing (its thumbnails): serving and waiting only
    await answers.wait(args.photos, proc, deadline.left(RESERVE_S))
    burst = args.people * args.photos
    out.stand_in_cpu_ms = (time.process_time() - ours) * 1e3 / burst
    if before is not None and (after := proc.cpu_s()) is not None:
        out.bot_cpu_ms = (after - before) * 1e3 / burst
    await asyncio.sleep(0.5)  # answers beyond one per photo would show up here
    answers.read()
    tally(args, users, answers, out)
    served = served_at(sent, queued, answers)
    ends = [at for user in users for at, _ in answers.done[user]]
    if served and ends:
        out.window_s = max(ends) - min(served.values())
    out.latencies = latencies_ms(sent, served, answers)


async def one_at_a_time(
    fake: FakeTelegram,
    proc: fleet.Fleet,
    user: int,
    photos: list[bytes],
    deadline: Deadline,
) -> list[float]:
    """End-to-end ms of each photo sent alone, the next only after the last reply."""
    times = []
    for photo in photos:
        answers = Answers(fake, {user}, len(fake.calls))
        sent = {fake.send_photo(user, photo, **WHO): user}
        queued = time.monotonic()
        if not await answers.wait(1, proc, min(120.0, deadline.left(RESERVE_S))):
            raise LoadError("a photo sent alone got no answer")
        times += latencies_ms(sent, served_at(sent, queued, answers), answers)
    return times


def tally(args: Any, users: list[int], answers: Answers, out: Outcome) -> None:
    """Answers per person: how many, of which kind, beyond one per photo."""
    results: dict[int, int] = {}
    for user in users:
        done = answers.done[user]
        out.answered += min(len(done), args.photos)
        out.extra += max(len(done) - args.photos, 0)
        out.kinds.update(kind for _, kind in done)
        results[user] = sum(kind == "result" for _, kind in done)
    out.per_person_results = results


async def run(args: Any, tmp: Path, procs: list[subprocess.Popen[bytes]]) -> Outcome:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)  # clean up on kill, as on Ctrl-C
    deadline = Deadline(time.monotonic() + args.timeout)
    url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'load.db'}"
    if args.replicas > 1 and not url.startswith("postgresql"):
        raise LoadError("--replicas needs --database-url on PostgreSQL (they share it)")
    if args.database_url and await database_in_use(url):
        raise LoadError("--database-url must be a fresh database (update ids would collide)")
    weights, args.weights_label = weights_for(args.weights, tmp)
    photos, args.photos_label = phone_photos(args.distinct)
    burst = [photos[i % len(photos)] for i in range(args.people * args.photos)]
    out = Outcome()
    screener = await asyncio.to_thread(Screener, weights)  # loaded once for both runs
    await pipeline_alone(args, screener, weights, burst, out, deadline)
    await measure_bot(args, tmp, url, weights, photos, out, procs, deadline)
    await pipeline_alone(args, screener, weights, burst, out, deadline)  # the VM's speed drifts
    return out


async def pipeline_alone(
    args: Any,
    screener: Screener,
    weights: Path,
    burst: list[bytes],
    out: Outcome,
    deadline: Deadline,
) -> None:
    """Add one pipeline-only figure of each kind: sequential, and through the bot's pool."""
    out.sequential.append(await asyncio.to_thread(pipeline_sequential, screener, burst, deadline))
    pooled = pipeline_threads(weights, burst, args.workers, args.processes)
    out.threaded.append(await asyncio.wait_for(pooled, deadline.left(RESERVE_S)))


# --- report


def _bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not in {low}-{high}")
        return value

    return parse


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--people", type=_bounded(1, 500), default=50, help="1-500")
    p.add_argument("--photos", type=_bounded(1, 20), default=4, help="per person, 1-20")
    p.add_argument("--weights", type=Path, default=WEIGHTS, help="weights folder (ANEMIA_WEIGHTS)")
    p.add_argument(
        "--workers",
        type=_bounded(1, 16),
        default=int(os.environ.get("INFERENCE_WORKERS", "1")),
        help="the bot's INFERENCE_WORKERS and the pipeline's threads, 1-16",
    )
    p.add_argument(
        "--in-threads",
        dest="processes",
        action="store_false",
        help="screen in threads, not processes (INFERENCE_PROCESSES)",
    )
    p.add_argument(
        "--queue",
        type=_bounded(1, 10_000),
        default=None,
        help="the bot's INFERENCE_QUEUE (default: the whole burst)",
    )
    p.add_argument(
        "--database-url",
        default=None,
        help="a fresh PostgreSQL database (default: SQLite in a temporary folder)",
    )
    p.add_argument(
        "--singles",
        type=_bounded(1, 100),
        default=10,
        help="photos sent one at a time before the burst, 1-100",
    )
    p.add_argument(
        "--distinct", type=_bounded(1, 256), default=16, help="distinct photos, used in turn, 1-256"
    )
    p.add_argument(
        "--replicas",
        type=_bounded(1, 4),
        default=1,
        help="bot processes, 1-4: more than one serve webhooks fed in turn by the "
        "stand-in (needs --database-url on PostgreSQL)",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="for the whole run, s")
    args = p.parse_args(argv)
    if args.queue is None:
        args.queue = args.people * args.photos
    if args.timeout <= RESERVE_S:
        p.error(f"--timeout must be over {RESERVE_S:.0f} s")
    return args


def measure(args: argparse.Namespace) -> Outcome:
    """The whole run; raises LoadError (or TimeoutError) when it could not be made."""
    procs: list[subprocess.Popen[bytes]] = []
    with _tmpdir() as tmp:
        try:
            return asyncio.run(asyncio.wait_for(run(args, tmp, procs), args.timeout + 60))
        finally:
            for proc in procs:  # nothing left running, even when interrupted
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    try:
        out = measure(args)
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
