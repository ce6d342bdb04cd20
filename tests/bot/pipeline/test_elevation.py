"""ALTITUDE_M: WHO's elevation adjustment raises every cut-off and band, for everyone.

The expected numbers come from `tests/bot/pipeline/who_2024_table.py`, written out by hand in
g/L, never from the constants in `bot.pipeline.risk`.
"""

from __future__ import annotations

import pytest

from bot.pipeline.risk import GROUPS, Person, classify, cutoff, elevation_adjustment
from tests.bot.pipeline.test_risk import WHO_ROW
from tests.bot.pipeline.who_2024_table import WHO_2024_TABLE_1, WHO_ELEVATION_G_L


def band_edges() -> list[tuple[float, float]]:
    """(metres, g/L) at both ends of every band, and just below the first."""
    cases: list[tuple[float, float]] = [(-100.0, 0), (0.0, 0), (999.0, 0), (999.9, 0)]
    for low, high, g_l in WHO_ELEVATION_G_L:
        cases += [(float(low), g_l), (float(high if high is not None else 6000), g_l)]
    return cases


@pytest.mark.parametrize(("metres", "g_l"), band_edges())
def test_adjustment_at_each_band_edge(metres: float, g_l: int) -> None:
    assert elevation_adjustment(metres) == pytest.approx(g_l / 10)


@pytest.mark.parametrize("group", sorted(GROUPS))
@pytest.mark.parametrize(("metres", "g_l"), [(999.0, 0), (1000.0, 2), (2499.0, 8), (4500.0, 45)])
def test_every_cut_off_and_band_of_every_group_is_raised(group: str, metres: float, g_l: int):
    row, someone = WHO_ROW[group]
    threshold, (mild_low, _), _, severe_below = WHO_2024_TABLE_1[row]
    person = Person(
        someone.age_months, someone.sex, someone.pregnant, someone.trimester, altitude_m=metres
    )
    risk = classify(12.0, (11.0, 13.0), person)
    expected = tuple((v + g_l) / 10 for v in (threshold, mild_low, severe_below))
    assert risk.bands == pytest.approx(expected) and risk.threshold == risk.bands[0]
    assert risk.altitude_m == metres


def test_an_estimate_at_the_sea_level_cut_off_is_anaemic_at_2000_m() -> None:
    # a child of 3 years at 11.2 g/dL: no anaemia at sea level (< 11.0), mild at 2000 m (< 11.8)
    sea, high = (classify(11.2, (10.0, 12.4), Person(36.0, altitude_m=m)) for m in (0.0, 2000.0))
    assert (sea.threshold, sea.category) == (11.0, "none")
    assert (high.threshold, high.category, high.straddles) == (11.8, "mild", True)
    assert cutoff(360.0, "m", altitude_m=3000.0) == pytest.approx(14.9)  # men: 130 + 19 g/L
    assert cutoff(360.0, "m") == 13.0


def test_a_person_needs_a_finite_elevation() -> None:
    with pytest.raises(ValueError):
        Person(36.0, altitude_m=float("nan"))
