"""The /history trend chart: estimates with their intervals and the anaemia cut-off, as a PNG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display; and pyplot's global state is avoided below (thread-safe)
from matplotlib.figure import Figure


def trend_png(
    times: Sequence[datetime],
    hb: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    threshold: float,
) -> bytes:
    """A small line chart of Hb (g/dL) over time with the interval band and the cut-off."""
    fig = Figure(figsize=(5, 3), dpi=100)
    ax = fig.add_subplot()
    x = list(range(len(hb)))  # evenly spaced: screenings of one day would pile up on a time axis
    ax.fill_between(x, low, high, alpha=0.25, color="tab:red", linewidth=0)
    ax.plot(x, hb, marker="o", color="tab:red")
    ax.axhline(threshold, linestyle="--", color="grey")
    ax.set_xticks(x, [t.strftime("%m-%d") for t in times], fontsize=8)
    ax.set_ylabel("Hb (g/dL)")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
