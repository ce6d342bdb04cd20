"""WHO 2024 risk table: every cut-off and severity boundary, group choice, straddles, fallbacks."""

from __future__ import annotations

import pytest

from bot.risk import GROUPS, Person, classify, group_for

CHILD_9M = Person(age_months=9)
CHILD_3Y = Person(age_months=36)
CHILD_8Y = Person(age_months=96)
CHILD_13Y = Person(age_months=156, sex="m")
WOMAN = Person(age_months=30 * 12, sex="f")
MAN = Person(age_months=30 * 12, sex="m")
T1 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=1)
T2 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=2)
T3 = Person(age_months=25 * 12, sex="f", pregnant=True, trimester=3)

# (person, Hb just below a floor, the floor, category below, category at the floor)
BOUNDARIES = [
    # children 6-23 months: anaemia < 10.5, moderate < 10.0, severe < 7.0
    (CHILD_9M, 10.49, 10.5, "mild", "none"),
    (CHILD_9M, 9.99, 10.0, "moderate", "mild"),
    (CHILD_9M, 6.99, 7.0, "severe", "moderate"),
    # children 24-59 months: < 11.0, < 10.0, < 7.0
    (CHILD_3Y, 10.99, 11.0, "mild", "none"),
    (CHILD_3Y, 9.99, 10.0, "moderate", "mild"),
    (CHILD_3Y, 6.99, 7.0, "severe", "moderate"),
    # children 5-11 years: < 11.5, < 11.0, < 8.0
    (CHILD_8Y, 11.49, 11.5, "mild", "none"),
    (CHILD_8Y, 10.99, 11.0, "moderate", "mild"),
    (CHILD_8Y, 7.99, 8.0, "severe", "moderate"),
    # children 12-14 years: < 12.0, < 11.0, < 8.0
    (CHILD_13Y, 11.99, 12.0, "mild", "none"),
    (CHILD_13Y, 10.99, 11.0, "moderate", "mild"),
    (CHILD_13Y, 7.99, 8.0, "severe", "moderate"),
    # non-pregnant women: < 12.0, < 11.0, < 8.0
    (WOMAN, 11.99, 12.0, "mild", "none"),
    (WOMAN, 10.99, 11.0, "moderate", "mild"),
    (WOMAN, 7.99, 8.0, "severe", "moderate"),
    # men: < 13.0, < 11.0, < 8.0
    (MAN, 12.99, 13.0, "mild", "none"),
    (MAN, 10.99, 11.0, "moderate", "mild"),
    (MAN, 7.99, 8.0, "severe", "moderate"),
    # pregnancy, first and third trimesters: < 11.0, < 10.0, < 7.0
    (T1, 10.99, 11.0, "mild", "none"),
    (T1, 9.99, 10.0, "moderate", "mild"),
    (T1, 6.99, 7.0, "severe", "moderate"),
    (T3, 10.99, 11.0, "mild", "none"),
    (T3, 9.99, 10.0, "moderate", "mild"),
    (T3, 6.99, 7.0, "severe", "moderate"),
    # pregnancy, second trimester: < 10.5, < 10.0, < 7.0
    (T2, 10.49, 10.5, "mild", "none"),
    (T2, 9.99, 10.0, "moderate", "mild"),
    (T2, 6.99, 7.0, "severe", "moderate"),
]


@pytest.mark.parametrize(("person", "below", "floor", "cat_below", "cat_at"), BOUNDARIES)
def test_boundaries(person, below, floor, cat_below, cat_at):
    assert classify(below, (below, below), person).category == cat_below
    assert classify(floor, (floor, floor), person).category == cat_at


@pytest.mark.parametrize(
    ("person", "group", "threshold", "assumed"),
    [
        (Person(age_months=0), "infant_under_6m", 10.5, True),
        (Person(age_months=5.9), "infant_under_6m", 10.5, True),
        (Person(age_months=6), "child_6_23m", 10.5, False),
        (Person(age_months=23.9), "child_6_23m", 10.5, False),
        (Person(age_months=24), "child_24_59m", 11.0, False),
        (Person(age_months=59.9, sex="f"), "child_24_59m", 11.0, False),
        (Person(age_months=60), "child_5_11y", 11.5, False),
        (Person(age_months=143.9), "child_5_11y", 11.5, False),
        (Person(age_months=144), "child_12_14y", 12.0, False),
        (Person(age_months=179.9, sex="m"), "child_12_14y", 12.0, False),
        (Person(age_months=180, sex="f"), "woman", 12.0, False),
        (Person(age_months=180, sex="m"), "man", 13.0, False),
        (Person(age_months=900, sex="m"), "man", 13.0, False),
        (T1, "pregnant_t1", 11.0, False),
        (T2, "pregnant_t2", 10.5, False),
        (T3, "pregnant_t3", 11.0, False),
        # fallbacks
        (Person(age_months=180), "adult_sex_unknown", 12.0, True),
        (Person(sex="m"), "unknown", 11.0, True),
        (Person(), "unknown", 11.0, True),
        (Person(pregnant=True), "pregnant", 11.0, True),
        (Person(age_months=200, sex="f", pregnant=True), "pregnant", 11.0, True),
        # pregnancy decides at any age, even 12-14 years
        (Person(age_months=168, pregnant=True, trimester=2), "pregnant_t2", 10.5, False),
    ],
)
def test_group_choice(person, group, threshold, assumed):
    risk = classify(12.5, (12.0, 13.0), person)
    assert (risk.group, risk.threshold, risk.assumed) == (group, threshold, assumed)
    assert group_for(person) == group
    assert risk.group_label == GROUPS[group].label
    assert risk.bands == GROUPS[group].bands


def test_fallback_values_match_the_groups_they_stand_in_for():
    assert GROUPS["infant_under_6m"].bands == GROUPS["child_6_23m"].bands
    assert GROUPS["adult_sex_unknown"].bands == GROUPS["woman"].bands
    assert GROUPS["pregnant"].bands == GROUPS["pregnant_t1"].bands
    assert GROUPS["unknown"].bands == GROUPS["child_24_59m"].bands


def test_table_is_well_formed():
    for key, row in GROUPS.items():
        threshold, moderate_below, severe_below = row.bands
        assert threshold > moderate_below > severe_below > 0, key
        assert row.label and row.label == row.label.strip(), key


@pytest.mark.parametrize(
    ("interval", "straddles", "spanned"),
    [
        ((10.2, 11.5), True, ("mild", "none")),
        ((10.5, 11.0), True, ("mild", "none")),  # high end exactly at the threshold
        ((10.5, 10.99), False, ("mild",)),
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
