"""WHO 2024 risk table: every cut-off and severity boundary, group choice, straddles, fallbacks.

The expected numbers come from `tests/bot/pipeline/who_2024_table.py`, the guideline's Table 1
written out by hand in g/L, never from the constants in `bot.pipeline.risk`.
"""

from __future__ import annotations

import pytest

from bot.pipeline.risk import GROUPS, Person, category_of, classify, group_for, shown
from bot.texts.i18n import has, t
from tests.bot.pipeline.who_2024_table import WHO_2024_TABLE_1

CHILD_9M = Person(age_months=9)
CHILD_3Y = Person(age_months=36)
CHILD_8Y = Person(age_months=96)
CHILD_13Y = Person(age_months=156, sex="m")
WOMAN = Person(age_months=30 * 12, sex="f")
MAN = Person(age_months=30 * 12, sex="m")
T1 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=1)
T2 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=2)
T3 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=3)

# group key -> (the WHO Table 1 row it must follow, someone `group_for` puts in the group)
WHO_ROW: dict[str, tuple[str, Person]] = {
    "child_6_23m": ("Children 6-23 months", CHILD_9M),
    "child_24_59m": ("Children 24-59 months", CHILD_3Y),
    "child_5_11y": ("Children 5-11 years", CHILD_8Y),
    "child_12_14y": ("Children 12-14 years", CHILD_13Y),
    "woman": ("Non-pregnant women 15 years and over", WOMAN),
    "man": ("Men 15 years and over", MAN),
    "pregnant_t1": ("Pregnant women, first trimester", T1),
    "pregnant_t2": ("Pregnant women, second trimester", T2),
    "pregnant_t3": ("Pregnant women, third trimester", T3),
    # stand-ins: the row their label names
    "infant_under_6m": ("Children 6-23 months", Person(age_months=3)),
    "adult_sex_unknown": ("Non-pregnant women 15 years and over", Person(age_months=30 * 12)),
    "pregnant": ("Pregnant women, first trimester", Person(sex="f", pregnant=True)),
    "unknown": ("Children 24-59 months", Person()),
}
# stand-in key -> the words in its label that name the WHO row it uses
STAND_IN_NAMES = {
    "infant_under_6m": "values for 6-23 months used",
    "adult_sex_unknown": "values for women used",
    "pregnant": "first and third trimester values used",
    "unknown": "values for children 24-59 months used",
}


def table_cases(row: tuple[int, tuple[int, int], tuple[int, int], int]) -> list[tuple[float, str]]:
    """(Hb in g/L, category) as Table 1 prints them: at each cut-off, 1 g/L (0.1 g/dL) below
    it, the ends of each printed range, and 0.1 g/L below each cut-off (anaemia is Hb *below*)."""
    threshold, (mild_low, mild_high), (moderate_low, moderate_high), severe_below = row
    return [
        (threshold, "none"),
        (threshold - 0.1, "mild"),
        (mild_high, "mild"),
        (mild_low, "mild"),
        (mild_low - 0.1, "moderate"),
        (moderate_high, "moderate"),
        (moderate_low, "moderate"),
        (severe_below - 0.1, "severe"),
        (severe_below - 1, "severe"),
        (severe_below - 40, "severe"),
    ]


def test_table_transcription_is_consistent():
    """Each printed range ends 1 g/L below the next cut-off; severe starts where moderate ends."""
    for population, (threshold, mild, moderate, severe_below) in WHO_2024_TABLE_1.items():
        assert mild[1] == threshold - 1, population
        assert moderate[1] == mild[0] - 1, population
        assert moderate[0] == severe_below, population


def test_every_group_follows_a_who_row():
    assert set(WHO_ROW) == set(GROUPS)
    assert {row for row, _ in WHO_ROW.values()} == set(WHO_2024_TABLE_1)
    assert {key for key, g in GROUPS.items() if g.assumed} == set(STAND_IN_NAMES)
    for key, words in STAND_IN_NAMES.items():
        assert words in t("en", f"group.{key}"), key  # people are told which values stand in


@pytest.mark.parametrize(
    ("group", "hb_g_l", "category"),
    [
        (group, hb, category)
        for group, (row, _) in WHO_ROW.items()
        for hb, category in table_cases(WHO_2024_TABLE_1[row])
    ],
)
def test_categories_follow_who_table_1(group, hb_g_l, category):
    hb = hb_g_l / 10  # g/L -> g/dL
    assert category_of(hb, GROUPS[group].bands) == category
    person = WHO_ROW[group][1]
    risk = classify(hb, (hb, hb), person)
    # what is shown is what is classified: 0.1 g/L below a cut-off is shown as the cut-off
    assert (risk.group, risk.category) == (group, category_of(shown(hb), GROUPS[group].bands))
    if hb_g_l == int(hb_g_l):  # every value Table 1 prints is shown as itself
        assert risk.category == category
    assert risk.threshold == WHO_2024_TABLE_1[WHO_ROW[group][0]][0] / 10


@pytest.mark.parametrize(
    ("person", "group", "assumed"),
    [
        (Person(age_months=0), "infant_under_6m", True),
        (Person(age_months=5.9), "infant_under_6m", True),
        (Person(age_months=6), "child_6_23m", False),
        (Person(age_months=23.9), "child_6_23m", False),
        (Person(age_months=24), "child_24_59m", False),
        (Person(age_months=59.9, sex="f"), "child_24_59m", False),
        (Person(age_months=60), "child_5_11y", False),
        (Person(age_months=143.9), "child_5_11y", False),
        (Person(age_months=144), "child_12_14y", False),
        (Person(age_months=179.9, sex="m"), "child_12_14y", False),
        (Person(age_months=180, sex="f"), "woman", False),
        (Person(age_months=180, sex="m"), "man", False),
        (Person(age_months=900, sex="m"), "man", False),
        (T1, "pregnant_t1", False),
        (T2, "pregnant_t2", False),
        (T3, "pregnant_t3", False),
        # fallbacks
        (Person(age_months=180), "adult_sex_unknown", True),
        (Person(sex="m"), "unknown", True),
        (Person(), "unknown", True),
        (Person(pregnant=True), "pregnant", True),
        (Person(age_months=200, sex="f", pregnant=True), "pregnant", True),
        # pregnancy decides at any age, even 12-14 years
        (Person(age_months=168, pregnant=True, trimester=2), "pregnant_t2", False),
    ],
)
def test_group_choice(person, group, assumed):
    risk = classify(12.5, (12.0, 13.0), person)
    assert (risk.group, risk.assumed) == (group, assumed)
    assert group_for(person) == group
    assert risk.threshold == WHO_2024_TABLE_1[WHO_ROW[group][0]][0] / 10
    assert risk.bands == GROUPS[group].bands


def test_table_is_well_formed():
    for key, row in GROUPS.items():
        threshold, moderate_below, severe_below = row.bands
        assert threshold > moderate_below > severe_below > 0, key
        assert has(f"group.{key}"), key


@pytest.mark.parametrize(
    ("interval", "straddles", "spanned"),
    [
        ((10.2, 11.5), True, ("mild", "none")),
        ((10.5, 11.0), True, ("mild", "none")),  # high end exactly at the threshold
        ((10.5, 10.9), False, ("mild",)),
        ((10.5, 10.96), True, ("mild", "none")),  # shown as 11.0: it reaches the threshold
        ((11.0, 12.0), False, ("none",)),
        ((6.0, 12.0), True, ("severe", "moderate", "mild", "none")),
        ((6.5, 9.0), False, ("severe", "moderate")),  # crosses a severity boundary only
        ((9.5, 10.5), False, ("moderate", "mild")),
        ((8.0, 8.0), False, ("moderate",)),
    ],
)
def test_straddles_and_interval_categories(interval, straddles, spanned):
    risk = classify(sum(interval) / 2, interval, CHILD_3Y)
    assert risk.straddles is straddles
    assert risk.interval_categories == spanned


@pytest.mark.parametrize(("hb", "category"), [(10.96, "none"), (10.94, "mild"), (9.96, "mild")])
def test_the_shown_estimate_is_the_one_classified(hb, category):
    # 10.96 is shown as "11.0 g/dL" and 11.0 is not below the 11.0 cut-off: never "11.0 ...
    # mild anaemia"; 9.96 is shown as 10.0, the floor of mild at 24-59 months
    risk = classify(hb, (hb - 1.5, hb + 1.5), CHILD_3Y)
    assert risk.category == category == category_of(shown(hb), risk.bands)


def test_category_is_of_the_point_estimate():
    risk = classify(10.8, (9.5, 12.1), WOMAN)
    assert (risk.category, risk.straddles) == ("moderate", True)
    assert risk.interval_categories == ("moderate", "mild", "none")


@pytest.mark.parametrize(
    ("hb", "interval"),
    [(11.0, (12.0, 10.0)), (float("nan"), (10.0, 12.0)), (11.0, (float("-inf"), 12.0))],
)
def test_bad_numbers_raise(hb, interval):
    with pytest.raises(ValueError):
        classify(hb, interval, CHILD_3Y)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"age_months": -1},
        {"age_months": float("nan")},
        {"sex": "x"},
        {"trimester": 2},  # trimester without pregnancy
        {"pregnant": True, "trimester": 4},
        {"pregnant": True, "sex": "m"},
    ],
)
def test_impossible_people_raise(kwargs):
    with pytest.raises(ValueError):
        Person(**kwargs)
