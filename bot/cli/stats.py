"""`anemia-screen stats`: the screening log's field statistics, with accuracy against lab Hb
per population and model version beside a line on age and sex alone, and the Bland-Altman
picture (`--plot`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from bot.cli import screening_log
from bot.cli.screening_log import RecordsError
from bot.services.field_baseline import FieldBaseline, field_baselines
from model import demographics
from storage.stats import FieldStats, GroupAccuracy


def parse_since(text: str | None) -> datetime | None:
    """`--since` as an aware UTC datetime; None when not given."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RecordsError(f"--since must be a date, YYYY-MM-DD; got {text!r}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


async def stats(args: argparse.Namespace) -> int:
    """Print the statistics (and write the picture with `--plot`)."""
    since = parse_since(args.since)
    async with screening_log.open_records() as sessions:
        result = await screening_log.stats(sessions, since=since)
    text = json.dumps(stats_object(result), indent=2) if args.format == "json" else None
    print(text or "\n".join(stats_lines(result)))
    if args.plot is not None:
        if not result.pairs:
            raise RecordsError("no lab Hb recorded yet: nothing to plot")
        from bot.services.chart import (
            lab_agreement_png,  # matplotlib: only when a plot is asked for
        )

        try:
            args.plot.write_bytes(lab_agreement_png(result.pairs))
        except OSError as e:
            raise RecordsError(f"cannot write {args.plot}: {e.strerror}") from None
        print(f"Bland-Altman picture: {args.plot}", file=sys.stderr)
    return 0


def stats_object(s: FieldStats) -> dict[str, object]:
    """The statistics as a JSON-able object."""
    acc = s.accuracy
    return {
        "screenings": s.screenings,
        "subjects": s.subjects,
        "unreliable": s.unreliable,
        "risk_mix": s.risk_mix,
        "followups": {"opened": s.followups_opened, **s.followups, "completion": s.completion},
        "lab_comparison": None
        if acc is None
        else {
            "n": acc.n,
            "mae_g_dl": round(acc.mae, 3),
            "bias_g_dl": round(acc.bias, 3),  # estimate - lab
            "interval_coverage": round(acc.interval_coverage, 3),
        },
        "by_model": [group_object(g) for g in s.by_model],
        "demographics_baseline": [
            {
                "population": b.population,
                "n": b.n,
                "mae_photo_g_dl": round(b.mae_photo, 3),
                "mae_age_sex_line_g_dl": round(b.mae_line, 3),  # leave-one-out, same cases
                "photo_clearly_better": b.photo_adds,
            }
            for b in field_baselines(s.pairs)
        ],
    }


def _r3(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def group_object(g: GroupAccuracy) -> dict[str, object]:
    """One population and model version against lab Hb, g/dL."""
    return {
        "population": g.population,
        "model_version": g.model_version,
        "n": g.n,
        "mae_g_dl": _r3(g.mae),
        "bias_g_dl": _r3(g.bias),
        "limits_of_agreement_g_dl": [_r3(g.loa[0]), _r3(g.loa[1])],
        "interval_coverage": _r3(g.interval_coverage),
        "sensitivity_who": _r3(g.sensitivity),
        "specificity_who": _r3(g.specificity),
    }


def _share(part: int, whole: int) -> str:
    return f"{part} ({part / whole:.0%})" if whole else str(part)


def stats_lines(s: FieldStats) -> list[str]:
    """The statistics in plain lines for a terminal."""
    n = s.screenings
    mix = ", ".join(f"{risk} {_share(count, n)}" for risk, count in s.risk_mix.items())
    statuses = ", ".join(f"{status} {count}" for status, count in s.followups.items())
    done = "" if s.completion is None else f"; completion {s.completion:.0%}"
    lines = [
        f"screenings: {n} of {s.subjects} people, {_share(s.unreliable, n)} unreliable",
        f"risk: {mix}",
        f"follow-ups: {s.followups_opened} opened; {statuses}{done}",
    ]
    acc = s.accuracy
    if acc is None:
        return [*lines, "lab Hb: none recorded yet, so no field accuracy"]
    return [
        *lines,
        f"lab Hb recorded for {acc.n}: MAE {acc.mae:.2f} g/dL, bias {acc.bias:+.2f} g/dL "
        f"(estimate - lab), {acc.interval_coverage:.0%} inside the screening interval",
        *(group_line(g) for g in s.by_model),
        *(line for b in field_baselines(s.pairs) for line in baseline_lines(b)),
        "(lab values come mostly from flagged screenings, so they describe those, not everyone)",
    ]


def baseline_lines(b: FieldBaseline) -> list[str]:
    """The photo against age and sex alone on one population's lab-confirmed cases."""
    lines = [
        f"  {b.population}: without the photo, a line on age and sex alone (each case fitted "
        f"on the others) errs {b.mae_line:.2f} g/dL on these {b.n} cases; the photo "
        f"{b.mae_photo:.2f} g/dL"
    ]
    if not b.photo_adds:
        lines.append(
            f"  {b.population}: here the photo is NOT clearly better than age and sex alone "
            f"(its error is not {demographics.CLEAR_MAE:.2f} g/dL lower): give its estimates "
            "little weight; the blood test decides"
        )
    return lines


def group_line(g: GroupAccuracy) -> str:
    """One population and model version against lab Hb, for a terminal."""
    return (
        f"  {g.population}, {g.model_version}: n {g.n}, MAE {g.mae:.2f}, bias {g.bias:+.2f}, "
        f"limits of agreement {g.loa[0]:+.2f} to {g.loa[1]:+.2f} g/dL, "
        f"{_pct(g.interval_coverage)} inside the interval; at the WHO cut-off sensitivity "
        f"{_pct(g.sensitivity)}, specificity {_pct(g.specificity)}"
    )
