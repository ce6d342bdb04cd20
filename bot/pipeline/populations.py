"""Who each validated model serves, and whom no model covers.

Colour in a conjunctiva photo depends on camera, light and population, and a model fitted on
one dataset has no signal on another (measured both ways between CP-AnemiC and Eyes-defy: see
`model/weights/MODEL_CARD.md`). So each model serves only the people it was validated on:

- children 6-59 months: the CNN ensemble trained on CP-AnemiC (Ghana);
- non-pregnant adults (15 years and over) whose sex is known: the colour-statistics model
  trained on Eyes-defy-anemia (India and Italy). It takes sex but not age: age added nothing
  on validation folds, and leaving it out means no adult's age is ever outside its range.

Everyone else gets no number, and is told why. Pregnant women: no dataset we hold records
pregnancy, and pregnancy lowers Hb by dilution and moves the cut-offs, so an adult model's
figures do not carry over. Children under 6 months and 5-14 years: no photos of their ages,
and the children's model extrapolates badly outside its ages (it gave adults estimates 8-10
g/dL too high). Age or (for adults) sex unknown: we cannot tell which model applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.pipeline.risk import Person

# Served: 6.0 <= age < 60.0 months, "6-59 months" as documented (59.9 is served, 60.0 is not:
# from 60 months WHO's table is that of children 5-11 years, whom no model here was checked on).
CHILD_MONTHS = (6.0, 60.0)
# Trained on: CP-AnemiC's own cohort, which its publishers describe as 710 children of 6-59
# months but whose sheet records age in whole years (12, 24, ... 60 months), 60 for 55 of the 408
# de-duplicated images. Those rows train and are scored with the children's model, as they were
# for the shipped weights and figures; leaving them out would change both.
CHILD_TRAINING_MONTHS = (6.0, 60.0)  # both ends included
ADULT_MONTHS = 180.0  # WHO's adult rows start at 15 years


@dataclass(frozen=True)
class Cohort:
    """The people one model serves."""

    key: str  # "children" or "adults"
    weights: str  # file stem of the model in the weights folder
    label: str


CHILDREN = Cohort("children", "ensemble", "children 6-59 months")
ADULTS = Cohort("adults", "adult", "non-pregnant adults 15 years and over")
COHORTS = (CHILDREN, ADULTS)

# why no model covers a person: `reject.not_covered_<code>` in bot/texts says it to people
NOT_COVERED = ("pregnant", "young_infant", "school_age", "age_unknown", "sex_unknown")


def cohort_of(person: Person) -> Cohort | str:
    """The cohort whose model serves this person, or the NOT_COVERED code saying why none."""
    age = person.age_months
    if person.pregnant:
        return "pregnant"
    if age is None:
        return "age_unknown"
    if age < CHILD_MONTHS[0]:
        return "young_infant"
    if age < CHILD_MONTHS[1]:
        return CHILDREN
    if age < ADULT_MONTHS:
        return "school_age"
    return ADULTS if person.sex is not None else "sex_unknown"


def cohort_of_sample(age_months: float | None, sex: str | None) -> Cohort | None:
    """The cohort a labelled sample trains (children: `CHILD_TRAINING_MONTHS`); None for
    ages no model serves."""
    low, high = CHILD_TRAINING_MONTHS
    if age_months is not None and low <= age_months <= high:
        return CHILDREN
    person = Person(age_months=age_months, sex=sex)  # type: ignore[arg-type]
    found = cohort_of(person)
    return found if isinstance(found, Cohort) else None
