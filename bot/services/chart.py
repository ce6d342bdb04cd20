"""Charts as PNG bytes: the /history trend (estimates, intervals, the anaemia cut-off) and the
Bland-Altman picture of estimates against lab Hb for /stats and `anemia-screen stats --plot`."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from bot.texts.numbers import day_month, decimal
from storage.stats import Pair

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float, height: float) -> Figure:
    """A figure without pyplot's global state (thread-safe). Matplotlib is imported here, on
    the first chart, not when the bot starts: it is about 30 MB and half a second of a start
    that most runs never need."""
    from matplotlib.figure import Figure  # the Agg canvas by default: no display needed

    return Figure(figsize=(width, height), dpi=100)


@cache
def _glyphs() -> frozenset[int]:
    """The code points the charts' font can draw (DejaVu Sans, bundled with matplotlib: Latin,
    Greek, Cyrillic and more, but no Devanagari or Japanese)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties())
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str) -> bool:
    """Whether the font has every character of `text` (else it would show empty boxes)."""
    glyphs = _glyphs()
    return all(ord(c) in glyphs for c in text if not c.isspace())


def day_labels(lang: str, times: Sequence[datetime]) -> list[str]:
    """Each date's day and month as the language writes them ("7 déc."), or in digits in the
    locale's order ("7/12") where the font lacks the month names' script."""
    named = [day_month(lang, t) for t in times]
    return named if all(map(drawable, named)) else [day_month(lang, t, numeric=True) for t in times]


def trend_png(
    times: Sequence[datetime],
    hb: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    threshold: float,
    lang: str = "en",
) -> bytes:
    """A small line chart of Hb (g/dL) over time with the interval band and the cut-off, its
    dates and numbers written as `lang` writes them."""
    from matplotlib.ticker import FuncFormatter

    fig = _figure(5, 3)
    ax = fig.add_subplot()
    x = list(range(len(hb)))  # evenly spaced: screenings of one day would pile up on a time axis
    ax.fill_between(x, low, high, alpha=0.25, color="tab:red", linewidth=0)
    ax.plot(x, hb, marker="o", color="tab:red")
    ax.axhline(threshold, linestyle="--", color="grey")
    ax.set_xticks(x, day_labels(lang, times), fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: decimal(lang, v)))
    ax.set_ylabel("Hb (g/dL)")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def bland_altman_png(groups: dict[str, tuple[Sequence[float], Sequence[float]]]) -> bytes:
    """Difference (estimate - lab) against the mean of the two, g/dL, one colour per group
    ({label: (estimates, labs)}), with each group's bias and 95% limits of agreement."""
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    for i, (label, (est, lab)) in enumerate(groups.items()):
        colour = f"C{i}"
        mean = [(e + b) / 2 for e, b in zip(est, lab, strict=True)]
        diff = [e - b for e, b in zip(est, lab, strict=True)]
        ax.scatter(mean, diff, s=14, color=colour, label=f"{label} (n={len(diff)})")
        bias = sum(diff) / len(diff)
        sd = (sum((d - bias) ** 2 for d in diff) / max(len(diff) - 1, 1)) ** 0.5
        for y, style in ((bias, "-"), (bias - 1.96 * sd, "--"), (bias + 1.96 * sd, "--")):
            ax.axhline(y, color=colour, linestyle=style, linewidth=1)
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.set(xlabel="Mean of estimate and lab Hb (g/dL)", ylabel="Estimate - lab Hb (g/dL)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def lab_agreement_png(pairs: Sequence[Pair]) -> bytes:
    """The Bland-Altman picture of screenings against their lab Hb, one colour per population
    and model version."""
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for p in pairs:
        est, lab = groups.setdefault(f"{p.population}, {p.model_version}", ([], []))
        est.append(p.estimate)
        lab.append(p.lab)
    return bland_altman_png(groups)  # type: ignore[arg-type]
