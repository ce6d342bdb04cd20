"""What a load run measured, its Markdown table, and whether it meets the bar."""

from __future__ import annotations

import os
import platform
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.engine import make_url

BAR = 0.8  # bot throughput / pipeline-only throughput (the faster mean: sequential or pooled)


@dataclass
class Outcome:
    sequential: list[float] = field(default_factory=list)  # pipeline photos/s, before and after
    threaded: list[float] = field(default_factory=list)  # the same through the bot's own pool
    cold_start_s: float = 0.0
    answered: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    extra: int = 0  # answers beyond one per photo
    window_s: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms, under the burst
    single: list[float] = field(default_factory=list)  # ms, photos sent one at a time
    bot_cpu_ms: float | None = None  # the bot's own process (not its workers) per burst photo
    stand_in_cpu_ms: float | None = None  # this process (stand-in Bot API, driver) per photo
    rows: int = 0
    rows_match: bool = False
    per_person_results: dict[int, int] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    rss_source: str = ""
    bot_status: int | None = None
    problems: Counter[str] = field(default_factory=Counter)
    undelivered: int = 0  # replicas: updates no replica answered with 2xx in every try

    @property
    def throughput(self) -> float:
        """Photos screened (a result or a refused picture) per second of the burst."""
        screened = self.kinds["result"] + self.kinds["picture refused"]
        return screened / self.window_s if self.window_s else 0.0

    @property
    def pipeline_alone(self) -> float:
        """What the bot is held to: the faster of the two pipeline-only figures (photos/s)."""
        return max(_mean(self.sequential), _mean(self.threaded))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def runs(values: list[float]) -> str:
    """Pipeline-only figures measured before and after the bot, and their mean."""
    each = " / ".join(f"{v:.2f}" for v in values)
    return f"{each} (mean {_mean(values):.2f})" if len(values) > 1 else each


def _replicas(n: int) -> str:
    return "one process, long polling" if n == 1 else f"{n} webhook replicas fed in turn"


def pct(values: list[float], q: float) -> str:
    """The q-th percentile, rounded to a whole number, or n/a for no values."""
    return f"{np.percentile(values, q):.0f}" if values else "n/a"


def report(args: Any, out: Outcome, load_before: float) -> tuple[str, bool]:
    """The Markdown table and whether the bar is met."""
    total = args.people * args.photos
    results = out.kinds["result"]
    throughput = out.throughput
    ratio = throughput / out.pipeline_alone if out.pipeline_alone else 0.0
    all_answered = out.answered == total and not out.extra and not out.undelivered
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
        ("updates no replica took", str(out.undelivered), "0", yes[not out.undelivered]),
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
            f"pipeline only, the bot's pool of {args.workers}, before / after the bot, photos / s",
            runs(out.threaded),
            "",
            "",
        ),
        (
            "pipeline only, sequential, before / after the bot, photos / s",
            runs(out.sequential),
            "",
            "",
        ),
        ("bot / the faster pipeline-only mean", f"{ratio:.2f}", f">= {BAR}", yes[ratio >= BAR]),
        (
            f"latency, {len(out.single)} photos one at a time, p50 / p95, ms",
            " / ".join(pct(out.single, q) for q in (50, 95)),
            "",
            "",
        ),
        (
            "latency under the burst, p50 / p95 / p99, ms",
            " / ".join(pct(out.latencies, q) for q in (50, 95, 99)),
            "",
            "",
        ),
        ("burst: first photo served to last answer, s", f"{out.window_s:.1f}", "", ""),
        (
            "bot process CPU per photo in the burst (not its inference), ms",
            f"{out.bot_cpu_ms:.1f}" if out.bot_cpu_ms is not None else "n/a",
            "",
            "",
        ),
        (
            "benchmark process CPU per photo in the burst (stand-in Bot API and driver), ms",
            f"{out.stand_in_cpu_ms:.1f}" if out.stand_in_cpu_ms is not None else "n/a",
            "",
            "",
        ),
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
        f"Run: {args.people} people x {args.photos} photos at once; bot: "
        f"{_replicas(args.replicas)}, each with {args.workers} inference "
        f"{'process' if args.processes else 'thread'}(s), queue {args.queue}, {backend}; "
        f"photos: {args.photos_label}; "
        f"weights: {args.weights_label}",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    return "\n".join(lines), all_answered and rows_ok and ratio >= BAR and not errors
