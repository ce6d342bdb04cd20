"""The whole pipeline of this checkout against another one (e.g. `git worktree add ../base
c5e034f`), side by side in one run: each tree screens in a process of its own, and the two take
turns, a pass over the photos each, so that both see the same load of a shared machine.

Each process loads its own tree's Screener (and so its own weights) and screens the photos
(those this tree's gates accept, as bench.pipeline times them) for a child and for an adult,
one after another, after a warm-up pass. Prints medians and p95 in ms, the number of timed
screenings, and how many times faster this tree is.
Run: python -m bench.side_by_side OTHER_TREE [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.baseline import REAL

ROOT = Path(__file__).resolve().parents[1]
WHOLE = ("whole pipeline (child)", "whole pipeline (adult)")

# the worker uses only the pipeline's public API, which both trees have
WORKER = """
import json, sys, time
from pathlib import Path
from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
people = {"child": Person(36.0), "adult": Person(360.0, "f")}
photos = [Path(p).read_bytes() for p in json.loads(sys.argv[1])]
screener = Screener()
def one(data, who):
    t, cpu = time.perf_counter(), time.process_time()
    try:
        screener.screen(data, people[who])
    except ImageRejected:
        return None
    return (time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000
for who in people:
    [one(d, who) for d in photos]
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps([one(d, line.strip()) for d in photos]), flush=True)
"""


def start(tree: Path, photos: list[str]) -> subprocess.Popen[str]:
    """A process screening with `tree`'s code, ready once it has warmed up."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(photos)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"bench: the pipeline of {tree} did not start")
    return proc


Timing = tuple[float, float] | None  # (wall ms, CPU ms of all the process's threads)


def one_pass(proc: subprocess.Popen[str], who: str) -> list[Timing]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(who + "\n")
    proc.stdin.flush()
    return [None if t is None else (t[0], t[1]) for t in json.loads(proc.stdout.readline())]


def measure(trees: list[Path], photos: list[str], rounds: int) -> dict[Path, dict[str, list]]:
    """{tree: {"child"|"adult": [ms per screening]}}, taking turns pass by pass."""
    procs = [start(tree, photos) for tree in trees]
    times: dict[Path, dict[str, list]] = {t: {"child": [], "adult": []} for t in trees}
    try:
        for r in range(rounds):
            order = list(zip(trees, procs, strict=True))
            for tree, proc in order if r % 2 == 0 else order[::-1]:
                for who in ("child", "adult"):
                    times[tree][who].append(one_pass(proc, who))
    finally:
        for proc in procs:
            proc.kill()
    return times


def screened(passes: list[list[Timing]], which: int) -> list[float]:
    """Wall (0) or CPU (1) ms of every screening that gave a result."""
    return [t[which] for p in passes for t in p if t is not None]


def table(times: dict[Path, dict[str, list]], this: Path, other: Path) -> list[str]:
    rows = [
        "| measure | tree | n | median ms | p95 ms | CPU ms, median | times faster (CPU) |",
        "|" + "---|" * 7,
    ]
    for who, name in zip(("child", "adult"), WHOLE, strict=True):
        wall = {t: screened(times[t][who], 0) for t in (other, this)}
        cpu = {t: float(np.median(screened(times[t][who], 1))) for t in (other, this)}
        mid = {t: float(np.median(wall[t])) for t in (other, this)}
        for tree in (other, this):
            label = "this" if tree == this else str(tree)
            faster = f"{mid[other] / mid[this]:.2f} ({cpu[other] / cpu[this]:.2f})"
            rows.append(
                f"| {name}, ms | {label} | {len(wall[tree])} | {mid[tree]:.1f} "
                f"| {np.percentile(wall[tree], 95):.1f} | {cpu[tree]:.1f} "
                f"| {faster if tree == this else ''} |"
            )
    return rows


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__)
    p.add_argument("other", type=Path, help="the other checkout's root")
    p.add_argument("--rounds", type=int, default=10, help="passes over the photos per tree")
    p.add_argument("--photos", type=int, default=16)
    a = p.parse_args()
    photos = [str(f) for f in sorted(REAL.glob("*.jpg"))[: a.photos]]
    if not photos:
        raise SystemExit(f"bench: no photos in {REAL}")
    this, other = ROOT, a.other.resolve()
    times = measure([this, other], photos, a.rounds)
    print(f"{len(photos)} Eyes-defy whole-eye photos, {a.rounds} passes each, taking turns\n")
    print("\n".join(table(times, this, other)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
