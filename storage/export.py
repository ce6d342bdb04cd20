"""Lab-confirmed research crops: what a programme may export to adapt the model to its people.

One row per person (their latest screening whose case has a lab Hb and whose crop was kept
with their research opt-in), so a person never lands in two cross-validation folds. Nothing
that identifies anyone: no pseudonym, case code or row id; the date only as its month.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FollowUp, ResearchCrop, Screening, Subject, Team


@dataclass(frozen=True)
class LabConfirmed:
    """One person's lab-confirmed screening with its conjunctiva crop."""

    png: bytes  # RGBA conjunctiva crop, alpha = the mask the estimate was measured on
    lab_hb_g_dl: float
    age_months: float | None
    age_group: str | None  # when only a band is known
    sex: str | None
    month: str  # of the screening, "YYYY-MM" (UTC)
    team: str | None
    estimate_g_dl: float  # what the served model said
    model_version: str
    population: str | None


async def lab_confirmed(session: AsyncSession, *, team: str | None = None) -> list[LabConfirmed]:
    """Every person's latest lab-confirmed screening with a research crop (optionally one
    team's people), in no meaningful order."""
    query = (
        select(Screening, FollowUp.lab_hb_g_dl, ResearchCrop.png, Subject, Team.name)
        .join(FollowUp, FollowUp.screening_id == Screening.id)
        .join(ResearchCrop, ResearchCrop.screening_id == Screening.id)
        .join(Subject, Subject.id == Screening.subject_id)
        .outerjoin(Team, Team.id == Subject.team_id)
        .where(FollowUp.lab_hb_g_dl.is_not(None), Subject.research_opt_in)
        .order_by(Screening.subject_id, Screening.created_at.desc(), Screening.id.desc())
    )
    if team is not None:
        query = query.where(Team.name == team)
    latest: dict[int, LabConfirmed] = {}
    for row, lab, png, subject, team_name in await session.execute(query):
        if subject.id not in latest and lab is not None:
            latest[subject.id] = _row(row, lab, png, subject, team_name)
    return sorted(latest.values(), key=lambda r: r.png)  # not by time or id


def _row(s: Screening, lab: float, png: bytes, subject: Subject, team: str | None) -> LabConfirmed:
    return LabConfirmed(
        png=png,
        lab_hb_g_dl=lab,
        age_months=subject.age_months,
        age_group=subject.age_group,
        sex=subject.sex,
        month=f"{s.created_at:%Y-%m}",
        team=team,
        estimate_g_dl=s.hb_g_dl,
        model_version=s.model_version,
        population=s.population,
    )
