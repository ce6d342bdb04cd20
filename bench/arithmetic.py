"""How close the served networks run to the machine's arithmetic speed.

For each exported program (`model/weights/*.export`): its floating-point operations per call
(XLA's cost analysis of the compiled program, as served: `model.exported.compiled`), its median
time per call and the rate that makes. Beside them, the rate of a square float32 matrix
product compiled by the same XLA: the best shape for the machine's vector units, so the
highest rate a network's arithmetic can be expected to reach here. A network at that rate
would take `floor` ms.

    python -m bench.arithmetic [--repeats 60]

Run on an idle machine; pin it to one core (`taskset -c 0`) to see one core's rates.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from model import WEIGHTS, exported

PROGRAMS = ("unet", "ensemble", "adult")
MATMUL = 1024  # side of the square product: large enough to run at the machine's full rate


def median_s(fn: Callable[[], Any], repeats: int) -> float:
    """Median seconds of `fn()` (its result waited for), after two warm-up calls."""
    for _ in range(2):
        jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def matmul_rate(repeats: int, side: int = MATMUL) -> float:
    """GFLOP/s of a (side x side) float32 matrix product."""
    a = jnp.ones((side, side), jnp.float32)
    product = jax.jit(lambda m: m @ m).lower(a).compile()
    return 2 * side**3 / median_s(lambda: product(a), repeats) / 1e9


def flops(model: exported.Model) -> float:
    """Floating-point operations of one call, by XLA's cost analysis of the served program."""
    cost = model._run.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list in older jaxlibs
    return float(cost["flops"])


def rows(repeats: int) -> list[str]:
    """Markdown rows: each program's GFLOP, ms, GFLOP/s and ms at the matrix product's rate."""
    peak = matmul_rate(repeats)
    out = [
        "| program | input | GFLOP a call | median ms | GFLOP/s | ms at the product's rate |",
        "|---|---|---|---|---|---|",
    ]
    for name in PROGRAMS:
        model = exported.load(WEIGHTS, name)
        if model is None:
            continue
        inputs = [np.zeros(a.shape, a.dtype) for a in model.program.in_avals]
        gflop = flops(model) / 1e9
        ms = median_s(functools.partial(model, *inputs), repeats) * 1000
        size = "x".join(map(str, model.program.in_avals[0].shape))
        out.append(
            f"| {name} | {size} | {gflop:.3f} | {ms:.2f} | {gflop / ms * 1000:.0f} | "
            f"{gflop / peak * 1000:.2f} |"
        )
    out.append(f"| {MATMUL}x{MATMUL} float32 matrix product | | | | {peak:.0f} | |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.arithmetic", description=__doc__)
    p.add_argument("--repeats", type=int, default=60)
    args = p.parse_args(argv)
    print("\n".join(rows(args.repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
