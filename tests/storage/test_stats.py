"""Field statistics: counts, risk mix, follow-up completion, and accuracy against lab Hb."""

from __future__ import annotations

import dataclasses
import statistics
from datetime import timedelta

import pytest

from storage import followups, screenings, subjects
from storage.models import utcnow
from storage.stats import field_stats, group_accuracy, lab_pairs
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()


async def test_empty(session) -> None:
    stats = await field_stats(session)
    assert stats.screenings == 0 and stats.accuracy is None and stats.completion is None
    assert stats.risk_mix == {"none": 0, "mild": 0, "moderate": 0, "severe": 0}


async def test_counts_and_accuracy(session) -> None:
    # (estimate, risk, warnings, lab Hb or None to leave pending, or "declined")
    plan = [
        (12.0, "none", (), None),
        (11.9, "none", ("low_attention",), 11.0),
        (9.0, "moderate", (), 10.0),
        (6.5, "severe", (), 6.0),
        (9.5, "moderate", (), "declined"),
        (9.8, "moderate", (), None),
    ]
    for i, (hb, risk, warnings, lab) in enumerate(plan):
        s = await subjects.create_subject(session, pseudonym=P.pseudonym(i), consent_version="v1")
        _, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(hb, risk, warnings)
        )
        if lab is None:
            continue
        assert case is not None
        if lab == "declined":
            await followups.decline_followup(session, case_code=case.case_code, worker=None)
        elif isinstance(lab, float):
            await followups.resolve_followup(
                session, case_code=case.case_code, worker=None, lab_hb_g_dl=lab
            )
    stats = await field_stats(session)
    assert (stats.screenings, stats.subjects, stats.unreliable) == (6, 6, 1)
    assert stats.risk_mix == {"none": 2, "mild": 0, "moderate": 3, "severe": 1}
    assert stats.followups == {"pending": 1, "contacted": 0, "resolved": 3, "declined": 1}
    assert stats.followups_opened == 5 and stats.completion == pytest.approx(0.8)
    acc = stats.accuracy
    assert acc is not None and acc.n == 3
    errors = [11.9 - 11.0, 9.0 - 10.0, 6.5 - 6.0]  # estimate - lab
    assert acc.mae == pytest.approx(sum(map(abs, errors)) / 3)
    assert acc.bias == pytest.approx(sum(errors) / 3)
    assert acc.interval_coverage == pytest.approx(1.0)  # all within +-1.5
    later = await field_stats(session, since=utcnow() + timedelta(minutes=1))
    assert later.screenings == 0 and later.accuracy is None


async def test_accuracy_per_population_and_model_version(session) -> None:
    # (estimate, risk, population, lab): children's cut-off 11.0 in `record`
    plan = [
        (9.0, "moderate", "cp-anemic", 10.0),
        (9.5, "moderate", "cp-anemic", 11.5),
        (6.5, "severe", "cp-anemic", 6.0),
        (9.2, "moderate", "eyes-defy", 9.0),
    ]
    for i, (hb, risk, population, lab) in enumerate(plan):
        s = await subjects.create_subject(session, pseudonym=P.pseudonym(i), consent_version="v1")
        rec = dataclasses.replace(record(hb, risk), population=population)
        _, case = await screenings.record_screening(session, subject_id=s.id, record=rec)
        assert case is not None
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=lab
        )
    pairs = await lab_pairs(session)
    assert [p.population for p in pairs] == ["cp-anemic"] * 3 + ["eyes-defy"]
    children, adults = group_accuracy(pairs)
    assert (children.population, children.model_version, children.n) == ("cp-anemic", "test-1", 3)
    errors = [-1.0, -2.0, 0.5]
    assert children.mae == pytest.approx(3.5 / 3) and children.bias == pytest.approx(-2.5 / 3)
    sd = statistics.stdev(errors)
    assert children.loa == pytest.approx((-2.5 / 3 - 1.96 * sd, -2.5 / 3 + 1.96 * sd))
    assert children.interval_coverage == pytest.approx(2 / 3)  # 11.5 is outside 8.0-11.0
    assert (children.sensitivity, children.specificity) == (1.0, 0.0)  # 11.5 lab, flagged
    assert (adults.n, adults.loa) == (1, (pytest.approx(0.2), pytest.approx(0.2)))


async def test_lab_pairs_carry_the_profiles_age_and_sex(session) -> None:
    # the field's yardstick (a line on age and sex) needs them; unknown stays None
    for i, profile in enumerate(
        [subjects.Profile(age_months=30.0, sex="f"), subjects.Profile(), None]
    ):
        s = await subjects.create_subject(session, pseudonym=P.pseudonym(i), consent_version="v1")
        if profile is not None:
            await subjects.set_profile(session, subject_id=s.id, profile=profile)
        _, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(9.0, "moderate")
        )
        assert case is not None
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=10.0
        )
    pairs = await lab_pairs(session)
    assert [(p.age_months, p.sex) for p in pairs] == [(30.0, "f"), (None, None), (None, None)]
