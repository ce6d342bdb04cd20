"""`python -m bench`: one Markdown table of speed and memory, kept in docs/BENCHMARKS.md.

Pipeline stages run in this process on a 1280x960 JPEG phone photo (bench.pipeline). The bot's
figures come from a load run (bench.load): the bot as its own process against the stand-in Bot
API server, photos sent one at a time, then N people x M photos at once. Memory: the peak of
one screening of the costliest inputs the decoder accepts beside an ordinary photo's
(bench.memory). `--only` runs some of these parts. Storage's query benchmark is separate
(`python -m bench.storage_followups`).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

import numpy as np

from bench import load, memory
from bench.baseline import real_photos
from bench.botproc import LoadError
from bench.load_report import BAR, Outcome, pct
from bench.pipeline import stages, usable
from bot.pipeline.screening import Screener

COLD = "from bot.pipeline.screening import Screener; Screener(); print('ready')"
# targets on a 2-core machine
PIPELINE_MS = 150.0  # the whole pipeline's median, ms
COLD_START_S = 5.0  # a fresh interpreter to a warmed-up Screener (or the bot ready), s
RSS_MB = 600.0  # peak resident memory, the pipeline alone or the bot with its workers, MB
# the rows PIPELINE_MS holds: an untagged phone photo (a colour-tagged one also pays conversion)
WHOLE = ("whole pipeline (child)", "whole pipeline (adult)")


def cold_start() -> tuple[float, float]:
    """(seconds from a fresh interpreter to a warmed-up Screener, its peak RSS in MB)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)
    seconds = time.perf_counter() - t
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    return seconds, rss_kb / 1024


def _row(name: str, mid: str, p95: str = "", target: str = "", met: bool | None = None) -> str:
    return (
        f"| {name} | {mid} | {p95} | {target} | {'' if met is None else 'yes' if met else 'no'} |"
    )


def pipeline_rows(results: dict[str, list[float]]) -> list[str]:
    rows = []
    for name, ms in results.items():
        median, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        whole = name in WHOLE
        rows.append(
            _row(
                f"{name}, ms",
                f"{median:.1f}",
                f"{p95:.1f}",
                f"<= {PIPELINE_MS:.0f}" if whole else "",
                median <= PIPELINE_MS if whole else None,
            )
        )
    return rows


def bot_rows(args: argparse.Namespace, out: Outcome) -> list[str]:
    total = args.people * args.photos
    rate = out.throughput
    rss = out.peak_rss_mb or 0.0
    burst = f"{args.people} x {args.photos}"
    return [
        _row("bot end to end, photos one at a time, ms", pct(out.single, 50), pct(out.single, 95)),
        _row(
            f"bot end to end, {burst} at once, ms", pct(out.latencies, 50), pct(out.latencies, 95)
        ),
        _row(
            f"bot throughput, {burst} at once, photos/s",
            f"{rate:.1f}",
            "",
            f">= {BAR} x pipeline alone ({out.pipeline_alone:.1f})",
            rate >= BAR * out.pipeline_alone,
        ),
        _row("photos answered", f"{out.answered} / {total}", "", "all", out.answered == total),
        _row(
            "peak RSS, bot with its inference processes, MB",
            f"{rss:.0f}",
            "",
            f"<= {RSS_MB:.0f}",
            0 < rss <= RSS_MB,
        ),
        _row(
            "cold start to ready, bot, s",
            f"{out.cold_start_s:.1f}",
            "",
            f"<= {COLD_START_S:.0f}",
            out.cold_start_s <= COLD_START_S,
        ),
    ]


PARTS = ("speed", "memory")  # speed: the pipeline's stages and the bot's load run


def memory_rows() -> list[str]:
    """The peak memory of each costliest accepted input beside an ordinary photo's."""
    rows = memory.measure(list(memory.INPUTS))
    return [*memory.table(rows), "", memory.verdict(rows)]


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--repeats", type=int, default=50, help="runs per pipeline stage")
    p.add_argument("--people", type=int, default=50)
    p.add_argument("--photos", type=int, default=4, help="per person, sent at once")
    p.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, help="these parts only")
    a = p.parse_args()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
    machine += f"{platform.python_version()}, {now}"
    if "speed" not in a.only:
        print(f"{machine}\n")
        print("\n".join(memory_rows()))
        return 0
    seconds, rss = cold_start()
    photos, what = real_photos(16)
    screener = Screener()
    results = stages(screener, usable(screener, photos), a.repeats)
    load_args = load.parse(["--people", str(a.people), "--photos", str(a.photos)])
    try:
        out = load.measure(load_args)
    except (LoadError, TimeoutError) as e:
        print(f"bench: the load run could not be made: {e}", file=sys.stderr)
        return 2
    print(f"{machine}; pipeline on {what}\n")
    print("| measure | median | p95 | target | met |\n|---|---|---|---|---|")
    print("\n".join(pipeline_rows(results)))
    print(
        _row(
            "cold start to ready, pipeline alone, s",
            f"{seconds:.1f}",
            "",
            f"<= {COLD_START_S:.0f}",
            seconds <= COLD_START_S,
        )
    )
    print(_row("peak RSS, pipeline alone, MB", f"{rss:.0f}", "", f"<= {RSS_MB:.0f}", rss <= RSS_MB))
    print("\n".join(bot_rows(load_args, out)))
    if "memory" in a.only:
        print("\n" + "\n".join(memory_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
