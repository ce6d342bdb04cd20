"""`python -m bench`: one Markdown table of the pipeline's speed, cold start and memory.

Kept current in docs/BENCHMARKS.md with the machine and date. The bot's end-to-end figures
come from `python -m bench.bot_latency`, storage's from `python -m bench.storage_followups`.
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time
from datetime import date

from bench.pipeline import photo_jpeg, stages, table
from bot.screening import Screener

COLD = "from bot.screening import Screener; Screener(); print('ready')"


def cold_start() -> tuple[float, float]:
    """(seconds from a fresh interpreter to a warmed-up Screener, its peak RSS in MB)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)
    seconds = time.perf_counter() - t
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    return seconds, rss_kb / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=50)
    a = p.parse_args()
    seconds, rss = cold_start()
    results = stages(Screener(), photo_jpeg(), a.repeats)
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {platform.machine()}, {platform.python_version()}, {date.today()}\n")
    print(table(results))
    print(f"| cold start to ready (s) | {seconds:.1f} | |")
    print(f"| peak RSS, cold start process (MB) | {rss:.0f} | |")
    print(f"| peak RSS, this benchmark process (MB) | {own_rss:.0f} | |")


if __name__ == "__main__":
    main()
