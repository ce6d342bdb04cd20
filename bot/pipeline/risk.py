"""WHO anaemia risk for an Hb estimate: the person's group, its cut-off, and the severity band.

Source: World Health Organization (2024). "Guideline on haemoglobin cutoffs to define anaemia in
individuals and populations". Geneva: WHO. https://www.who.int/publications/i/item/9789240088542
The cut-offs are for sea level and non-smokers. We never ask about smoking, so no smoking
adjustment is made. A programme above 1000 m sets its elevation (`Person.altitude_m`, from the
ALTITUDE_M setting), which raises every cut-off and band by `ELEVATION_G_L`; at 0 (the default)
none is made.

Every number lives in one table, `GROUPS`, used by the bot, the CLI and the training figures.
`group_for` picks a row from what we know of the person, and `classify` places an estimate and
its interval, rounded as people see them, in that row's bands. All Hb values are in g/dL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Category = Literal["none", "mild", "moderate", "severe"]
# index = how many band floors the Hb is below (see `category_of`)
SEVERITY: tuple[Category, ...] = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class Person:
    """What we know of the person in the photo; None means unknown."""

    age_months: float | None = None
    sex: Literal["f", "m"] | None = None
    pregnant: bool = False
    trimester: Literal[1, 2, 3] | None = None
    altitude_m: float = 0.0  # elevation of residence, metres above sea level

    def __post_init__(self) -> None:
        age = self.age_months
        if age is not None and not (math.isfinite(age) and age >= 0):
            raise ValueError(f"age_months must be a finite number >= 0, got {age!r}")
        if not math.isfinite(self.altitude_m):
            raise ValueError(f"altitude_m must be a finite number, got {self.altitude_m!r}")
        if self.sex not in ("f", "m", None):
            raise ValueError(f"sex must be 'f', 'm' or None, got {self.sex!r}")
        if self.trimester not in (1, 2, 3, None):
            raise ValueError(f"trimester must be 1, 2, 3 or None, got {self.trimester!r}")
        if self.trimester is not None and not self.pregnant:
            raise ValueError("a trimester was given but pregnant is False")
        if self.pregnant and self.sex == "m":
            raise ValueError("pregnant with sex 'm'")


@dataclass(frozen=True)
class Group:
    """One row of the WHO table (its name for people: `group.<key>` in bot/texts)."""

    # (threshold, moderate_below, severe_below), g/dL: anaemia if Hb < threshold; moderate if
    # Hb < moderate_below; severe if Hb < severe_below. So mild is [moderate_below, threshold).
    bands: tuple[float, float, float]
    assumed: bool = False  # the row stands in for a group WHO has no cut-off for, or a guess


# WHO 2024 cut-offs and severity bands: the guideline's Table 1 (printed in g/L; here g/dL).
# The guideline sets a new cut-off for children 6-23 months (105 g/L; before, 110 g/L for all of
# 6-59 months), keeps the existing 105 g/L for the second trimester of pregnancy, and keeps the
# way severity is graded; every other row has the same values as WHO's 2011 table
# (WHO/NMH/NHD/MNM/11.1). For the two 105 g/L rows, mild is 95-104 g/L, moderate 70-94 g/L,
# severe < 70 g/L. Those two rows' bands are our reading of Table 1: the sources we could search
# quote only the cut-offs, not the bands, so they were not checked against the table itself.
_CHILD_6_23M = (10.5, 9.5, 7.0)  # mild 9.5-10.4, moderate 7.0-9.4, severe < 7.0
_CHILD_24_59M = (11.0, 10.0, 7.0)  # mild 10.0-10.9, moderate 7.0-9.9, severe < 7.0
_CHILD_5_11Y = (11.5, 11.0, 8.0)  # mild 11.0-11.4, moderate 8.0-10.9, severe < 8.0
_WOMAN = (12.0, 11.0, 8.0)  # also 12-14 years: mild 11.0-11.9, moderate 8.0-10.9, severe < 8.0
_MAN = (13.0, 11.0, 8.0)  # mild 11.0-12.9, moderate 8.0-10.9, severe < 8.0
_PREGNANT_T13 = (11.0, 10.0, 7.0)  # first and third trimesters: mild 10.0-10.9, moderate 7.0-9.9
_PREGNANT_T2 = (10.5, 9.5, 7.0)  # second trimester: mild 9.5-10.4, moderate 7.0-9.4, severe < 7.0

GROUPS: dict[str, Group] = {
    "child_6_23m": Group(_CHILD_6_23M),
    "child_24_59m": Group(_CHILD_24_59M),
    "child_5_11y": Group(_CHILD_5_11Y),
    "child_12_14y": Group(_WOMAN),
    "woman": Group(_WOMAN),  # non-pregnant, 15 years and over
    "man": Group(_MAN),  # 15 years and over
    "pregnant_t1": Group(_PREGNANT_T13),
    "pregnant_t2": Group(_PREGNANT_T2),
    "pregnant_t3": Group(_PREGNANT_T13),
    # Rows below are stand-ins (assumed=True); `group.<key>` in bot/texts tells people so.
    # WHO gives no cut-off under 6 months; the nearest group's values are the least bad guess.
    "infant_under_6m": Group(_CHILD_6_23M, True),
    "adult_sex_unknown": Group(_WOMAN, True),  # sex unknown: the women's values
    "pregnant": Group(_PREGNANT_T13, True),  # trimester unknown: the 1st and 3rd trimesters'
    # The models were trained on CP-AnemiC: Ghanaian children 6-59 months.
    "unknown": Group(_CHILD_24_59M, True),  # age unknown: the values for 24-59 months
}

# Elevation: (lowest elevation in metres, g/L added to every cut-off and band floor), lowest
# first; below the first row nothing is added. WHO adjusts for the elevation of residence by
# subtracting these amounts from a measured Hb, which is the same as adding them to the
# cut-offs; we add them to the cut-offs, so the estimate shown stays the model's own.
# Sought: WHO (2024), "Guideline on haemoglobin cutoffs to define anaemia in individuals and
# populations" (https://www.who.int/publications/i/item/9789240088542), its elevation
# adjustment table (g/L by elevation band). NOT CONFIRMED: no source we could search quotes that
# table's values. The values below are those of WHO's earlier table (WHO/UNICEF/UNU 2001, "Iron
# deficiency anaemia: assessment, prevention and control"), as the public R package micronutr
# encodes them (get_altitude_correction: bands of 500 m from 1000 m, right end open). Studies
# behind the 2024 guideline (Sharma et al. 2019, doi 10.1111/nyas.14167; Kanu et al. 2023, doi
# 10.1016/j.ajcnut.2023.04.014) found these too small at 500-2500 m and too large above 3000 m,
# so the 2024 rows probably differ: check them against the guideline before relying on them.
ELEVATION_G_L: tuple[tuple[float, int], ...] = (
    (1000.0, 2),
    (1500.0, 5),
    (2000.0, 8),
    (2500.0, 13),
    (3000.0, 19),
    (3500.0, 27),
    (4000.0, 35),
    (4500.0, 45),
)
SHOWN_DECIMALS = 1  # Hb is shown to 0.1 g/dL; what is shown is what is classified


def elevation_adjustment(altitude_m: float) -> float:
    """g/dL added to every cut-off at this elevation of residence (metres)."""
    rows = [g_l for lowest, g_l in ELEVATION_G_L if altitude_m >= lowest]
    return rows[-1] / 10 if rows else 0.0


def adjusted(bands: tuple[float, float, float], altitude_m: float) -> tuple[float, float, float]:
    """A row's (threshold, moderate_below, severe_below) at this elevation, g/dL."""
    add = elevation_adjustment(altitude_m)
    threshold, moderate, severe = (round(b + add, SHOWN_DECIMALS) for b in bands)
    return threshold, moderate, severe


# (lowest age in months, group), youngest first; "adult" is resolved by sex below
AGE_GROUPS: tuple[tuple[float, str], ...] = (
    (0.0, "infant_under_6m"),
    (6.0, "child_6_23m"),
    (24.0, "child_24_59m"),
    (60.0, "child_5_11y"),
    (144.0, "child_12_14y"),
    (180.0, "adult"),
)
ADULT_BY_SEX: dict[str | None, str] = {"f": "woman", "m": "man", None: "adult_sex_unknown"}
PREGNANT_BY_TRIMESTER: dict[int | None, str] = {
    1: "pregnant_t1",
    2: "pregnant_t2",
    3: "pregnant_t3",
    None: "pregnant",
}


@dataclass(frozen=True)
class Risk:
    """Where an Hb estimate and its interval fall in the person's WHO group."""

    group: str  # a key of GROUPS
    threshold: float  # anaemia if Hb is below this, g/dL
    category: Category  # of the point estimate
    bands: tuple[float, float, float]  # (threshold, moderate_below, severe_below), see Group
    straddles: bool  # the interval has Hb both below and at/above the anaemia threshold
    assumed: bool  # the group is a stand-in: age, sex or trimester unknown, or age under 6 months
    # every category the interval touches, from its low end to its high end; more than one
    # means it crosses a severity boundary (which ones: the neighbouring pairs)
    interval_categories: tuple[Category, ...] = ()
    altitude_m: float = 0.0  # the elevation whose adjustment the cut-off and bands include


# a group stands for an age when only the group is known (the model takes months as input)
GROUP_MONTHS = {
    "infant_under_6m": 3.0,
    "child_6_23m": 12.0,
    "child_24_59m": 36.0,
    "child_5_11y": 96.0,
    "child_12_14y": 156.0,
    "adult": 360.0,
}


def group_for(person: Person) -> str:
    """The GROUPS key for a person. Pregnancy decides first, at any age; then age; then sex."""
    if person.pregnant:
        return PREGNANT_BY_TRIMESTER[person.trimester]
    if person.age_months is None:
        return "unknown"
    group = [g for lowest, g in AGE_GROUPS if person.age_months >= lowest][-1]
    return ADULT_BY_SEX[person.sex] if group == "adult" else group


def cutoff(
    age_months: float | None, sex: Literal["f", "m"] | None = None, altitude_m: float = 0.0
) -> float:
    """The anaemia cut-off (g/dL) of a non-pregnant person of this age and sex."""
    person = Person(age_months=age_months, sex=sex, altitude_m=altitude_m)
    return adjusted(GROUPS[group_for(person)].bands, altitude_m)[0]


def category_of(hb: float, bands: tuple[float, float, float]) -> Category:
    """WHO severity of one Hb value: count the band floors it is below."""
    return SEVERITY[sum(hb < floor for floor in bands)]


def interval_categories(
    low: float, high: float, bands: tuple[float, float, float]
) -> tuple[Category, ...]:
    """Categories touched by [low, high], from the low (most severe) end to the high end."""
    worst, best = SEVERITY.index(category_of(low, bands)), SEVERITY.index(category_of(high, bands))
    return SEVERITY[best : worst + 1][::-1]


def shown(hb: float) -> float:
    """An Hb value as people see it (0.1 g/dL)."""
    return round(hb, SHOWN_DECIMALS)


def classify(hb: float, interval: tuple[float, float], person: Person) -> Risk:
    """The WHO group, category and straddle flag for an Hb estimate (g/dL) and its interval,
    each rounded as it is shown first: 10.96 is shown as 11.0, so it is judged as 11.0."""
    if not all(math.isfinite(v) for v in (hb, *interval)):
        raise ValueError(f"Hb and interval must be finite, got {hb!r}, {interval!r}")
    hb, low, high = shown(hb), shown(interval[0]), shown(interval[1])
    if low > high:
        raise ValueError(f"interval low end {low} is above its high end {high}")
    key = group_for(person)
    row = GROUPS[key]
    bands = adjusted(row.bands, person.altitude_m)
    spanned = interval_categories(low, high, bands)
    return Risk(
        group=key,
        threshold=bands[0],
        category=category_of(hb, bands),
        bands=bands,
        straddles=spanned[0] != "none" and spanned[-1] == "none",
        assumed=row.assumed,
        interval_categories=spanned,
        altitude_m=person.altitude_m,
    )
