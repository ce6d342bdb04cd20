"""The inference process's start, this checkout against another (e.g. `git worktree add ../base
21c369b`), taking turns so that both see the same load of a shared machine: `Screener()` in a
fresh interpreter (its wall time and resident memory, measured inside it) and one
`anemia-screen predict` of a whole photo as a whole process. Compiled programs come from the
disk cache: a first round that fills it is not counted. Prints every round, then medians.
Run: python -m bench.startup OTHER_TREE [--rounds 5] [--photo PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.baseline import REAL

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, resource, sys, time
t = time.perf_counter()
from bot.pipeline.screening import Screener
Screener()
seconds = time.perf_counter() - t
rss = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20
print(json.dumps({"s": seconds, "rss_mb": rss, "flax": "flax" in sys.modules}))
"""


def _run(tree: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def screener(tree: Path, cwd: Path) -> dict[str, float]:
    """`Screener()` in a fresh interpreter: seconds, RSS in MB, whether Flax was imported."""
    out: dict[str, float] = json.loads(_run(tree, [sys.executable, "-c", PROBE], cwd).stdout)
    return out


def predict(tree: Path, photo: Path, cwd: Path) -> tuple[float, str]:
    """Seconds of one `predict` as a whole process (it writes its pictures into `cwd`), and
    what it printed."""
    argv = [sys.executable, "-m", "bot.cli.main", "predict", str(photo)]
    t = time.perf_counter()
    done = _run(tree, [*argv, "--age-months", "360", "--sex", "f"], cwd)
    return time.perf_counter() - t, done.stdout


def one_round(trees: dict[str, Path], photo: Path, cwd: Path) -> dict[str, dict[str, float]]:
    """Each tree in turn: its `Screener()` figures and its `predict` seconds."""
    got, said = {}, {}
    for name, tree in trees.items():
        got[name] = screener(tree, cwd)
        got[name]["predict_s"], said[name] = predict(tree, photo, cwd)
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in got[name].items()))
    print(f"  predict printed the same words: {len(set(said.values())) == 1}", flush=True)
    return got


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("other", type=Path)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--photo", type=Path, default=REAL / "India_006.jpg")
    args = p.parse_args()
    trees = {"other": args.other.resolve(), "this": ROOT}
    rounds = []
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds + 1):  # round 0 fills the disk cache: not counted
            print(f"round {r} load {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            rounds.append(one_round(trees, args.photo, Path(scratch)))
    for name in trees:
        keys = ("s", "rss_mb", "predict_s")
        medians = {k: float(np.median([r[name][k] for r in rounds[1:]])) for k in keys}
        print(name, "medians:", ", ".join(f"{k} {v:.2f}" for k, v in medians.items()))


if __name__ == "__main__":
    main()
