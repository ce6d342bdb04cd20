"""The workers' cases as they read them: who acts (a worker, an `Office`, or the operator) and
which cases each sees, the case list with its filters, and one case by its code.

A worker sees only their team's cases; `worker=None` is the operator at the database (the
`anemia-screen` CLI): all teams; an `Office` is the operator for one team (a dashboard sign-in
the operator made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Required, TypedDict

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue, NotFound, PermissionDenied
from storage.models import RISKS, STATUSES, FollowUp, HealthWorker, Screening, Subject, Team
from storage.pseudonyms import normalise_code


@dataclass(frozen=True)
class Office:
    """The operator acting for one team (a dashboard link made by `anemia-screen web-link`):
    it sees and changes that team's cases as the CLI does every team's; its notes are the
    office's, and it takes no case for itself."""

    team_id: int
    active: bool = True
    id: None = None


Actor = HealthWorker | Office | None


@dataclass(frozen=True)
class Narrow:
    """The dashboard's further filters: the screening's WHO group (`risk_groups`, keys of
    bot.pipeline.risk.GROUPS) and population, whom the case is assigned to (a worker's id, or
    "nobody"), and only cases with a lab Hb."""

    risk_groups: Sequence[str] = ()
    populations: Sequence[str] = ()
    assigned: int | Literal["nobody"] | None = None
    with_lab: bool = False


@dataclass(frozen=True)
class FollowUpView:
    """One line of the case list: the case, its screening, and what the workers found."""

    case_code: str
    status: str
    reason: str
    opened_at: datetime
    team: str | None
    assigned_worker_id: int | None
    risk: str
    hb_g_dl: float
    interval_low: float
    interval_high: float
    reliable: bool
    model_version: str
    contact_opt_in: bool
    lab_hb_g_dl: float | None
    lab_date: date | None
    outcome: str | None
    risk_group: str
    population: str | None


class CaseFilters(TypedDict, total=False):
    """The filters list_followups and count_followups share: a page and its count alike."""

    worker: Required[Actor]
    statuses: Sequence[str]
    risks: Sequence[str]
    since: datetime | None
    before: datetime | None
    narrow: Narrow | None


def _scope(worker: Actor) -> list[ColumnElement[bool]]:
    """The condition limiting cases to the worker's team (none for the operator)."""
    # cases of subjects with no team are seen only by the operator
    if worker is None:
        return []
    if not worker.active:
        raise PermissionDenied("this health worker's access has been revoked")
    return [FollowUp.team_id == worker.team_id]


async def list_followups(
    session: AsyncSession,
    *,
    worker: Actor,
    statuses: Sequence[str] = (),
    risks: Sequence[str] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    team_id: int | None = None,
    narrow: Narrow | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[FollowUpView]:
    """Cases, oldest first, filtered by status, screening risk, opening time, team and
    `narrow`."""
    query = (
        select(*_VIEW_COLUMNS)
        .join(Screening, FollowUp.screening_id == Screening.id)
        .join(Subject, FollowUp.subject_id == Subject.id)
        .outerjoin(Team, FollowUp.team_id == Team.id)
        .where(*_filters(worker, statuses, risks, since, before, team_id), *_narrowed(narrow))
        .order_by(FollowUp.opened_at, FollowUp.id)
    )
    rows = await session.execute(query.limit(limit).offset(offset or None))
    return [FollowUpView(**row._asdict()) for row in rows]


async def count_followups(
    session: AsyncSession,
    *,
    worker: Actor,
    statuses: Sequence[str] = (),
    risks: Sequence[str] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    narrow: Narrow | None = None,
) -> int:
    """How many cases list_followups would give with these filters and no limit."""
    query = (
        select(func.count())
        .select_from(FollowUp)
        .join(Screening, FollowUp.screening_id == Screening.id)
        .where(*_filters(worker, statuses, risks, since, before, None), *_narrowed(narrow))
    )
    return int(await session.scalar(query) or 0)


def _filters(
    worker: Actor,
    statuses: Sequence[str],
    risks: Sequence[str],
    since: datetime | None,
    before: datetime | None,
    team_id: int | None,
) -> list[ColumnElement[bool]]:
    """The worker's scope and the list's filters; `before`: opened before then."""
    _check(statuses, STATUSES, "status")
    _check(risks, RISKS, "risk")
    where = _scope(worker)
    if statuses:
        where.append(FollowUp.status.in_(statuses))
    if risks:
        where.append(Screening.risk.in_(risks))
    if since is not None:
        where.append(FollowUp.opened_at >= since)
    if before is not None:
        where.append(FollowUp.opened_at < before)
    if team_id is not None:
        where.append(FollowUp.team_id == team_id)
    return where


def _narrowed(narrow: Narrow | None) -> list[ColumnElement[bool]]:
    narrow = narrow or Narrow()
    where: list[ColumnElement[bool]] = []
    if narrow.risk_groups:
        where.append(Screening.risk_group.in_(narrow.risk_groups))
    if narrow.populations:
        where.append(Screening.population.in_(narrow.populations))
    if narrow.assigned == "nobody":
        where.append(FollowUp.assigned_worker_id.is_(None))
    elif narrow.assigned is not None:
        where.append(FollowUp.assigned_worker_id == narrow.assigned)
    if narrow.with_lab:
        where.append(FollowUp.lab_hb_g_dl.is_not(None))
    return where


def _check(values: Sequence[str], allowed: tuple[str, ...], what: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidValue(f"unknown {what} {', '.join(bad)}; choose from {', '.join(allowed)}")


# the view's columns, selected directly: no ORM objects to build for a long list
_VIEW_COLUMNS = (
    FollowUp.case_code,
    FollowUp.status,
    FollowUp.reason,
    FollowUp.opened_at,
    Team.name.label("team"),
    FollowUp.assigned_worker_id,
    Screening.risk,
    Screening.hb_g_dl,
    Screening.interval_low,
    Screening.interval_high,
    Screening.reliable,
    Screening.model_version,
    Subject.contact_opt_in,
    FollowUp.lab_hb_g_dl,
    FollowUp.lab_date,
    FollowUp.outcome,
    Screening.risk_group,
    Screening.population,
)


async def get_followup(session: AsyncSession, *, case_code: str, worker: Actor) -> FollowUp:
    """The case with this code, locked for update; NotFound if it is not the worker's team's."""
    query = select(FollowUp).where(FollowUp.case_code == normalise_code(case_code))
    found = (await session.scalars(query.where(*_scope(worker)).with_for_update())).first()
    if found is None:
        raise NotFound(f"no follow-up with case code {case_code}")
    return found
