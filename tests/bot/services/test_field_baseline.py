"""/stats sets the photo beside a line on age and sex alone, fitted on the team's own
lab-confirmed cases, and says when the photo is not clearly better."""

from __future__ import annotations

from sqlalchemy import update

from bot.services import casework, team
from bot.services.field_baseline import MIN_CASES, field_baselines
from bot.texts.i18n import t
from storage.models import Subject
from storage.stats import Pair
from tests.bot.chat.conftest import who
from tests.bot.services.conftest import make_worker, open_case


def _pair(estimate: float, lab: float, age: float | None, sex: str | None) -> Pair:
    return Pair("prog", "v1", estimate, lab, (estimate - 2, estimate + 2), 11.0, age, sex)


def test_a_line_that_knows_hb_from_age_beats_a_flat_photo() -> None:
    ages = [12.0 + 4 * i for i in range(12)]
    pairs = [_pair(9.0, 8.0 + 0.05 * a, a, "fm"[i % 2]) for i, a in enumerate(ages)]
    [b] = field_baselines(pairs)
    assert (b.population, b.n) == ("prog", 12) and b.mae_line < 1e-6
    assert b.mae_photo > 0.5 and not b.photo_adds


def test_the_photo_earns_its_place_where_age_and_sex_say_nothing() -> None:
    labs = [8.0, 12.0, 9.5, 11.0, 10.0, 12.5, 8.5, 11.5, 9.0, 10.5, 13.0, 7.5]
    pairs = [_pair(lab + 0.1, lab, 30.0, None) for lab in labs]  # unknown sex: imputed
    [b] = field_baselines(pairs)
    assert b.photo_adds and abs(b.mae_photo - 0.1) < 1e-9


def test_too_few_cases_give_no_line() -> None:
    assert field_baselines([_pair(9.0, 9.5, 30.0, "f")] * (MIN_CASES - 1)) == []


async def test_stats_says_the_photo_is_not_better_on_the_teams_cases(deps, pool) -> None:
    await make_worker(deps, 77)
    codes = [await open_case(deps, pool, user=100 + i, hb=9.0) for i in range(MIN_CASES + 2)]
    async with deps.sessions.begin() as session:
        for i in range(len(codes)):  # subjects were numbered in the order they came
            values = {"age_months": 12.0 + 4 * i, "sex": "fm"[i % 2]}
            await session.execute(update(Subject).where(Subject.id == i + 1).values(**values))
    for i, code in enumerate(codes):
        lab = f"{8.0 + 0.05 * (12.0 + 4 * i):.2f}"  # the lab Hb is a line in age
        await casework.resolve(deps, who(77), [code, lab])
    figures, _ = await team.stats(deps, who(77))
    n = len(codes)
    assert "cp-anemic: without the photo, a line on age and sex alone" in figures.text
    assert f"errs 0.00 g/dL on these {n} cases" in figures.text
    margin = t("en", "worker.photo_not_better", population="cp-anemic", margin="0.10")
    assert margin in figures.text
