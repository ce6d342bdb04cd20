"""Field monitoring: how many were screened, the risk mix, follow-up completion, and how the
estimates compare with lab Hb where a health worker recorded one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RISKS, STATUSES, FollowUp, Screening, Subject, utcnow


@dataclass(frozen=True)
class Accuracy:
    """Estimate against lab Hb, g/dL, over the resolved cases with a lab value."""

    n: int
    mae: float
    bias: float  # mean of estimate - lab: > 0 means the model over-estimates Hb
    interval_coverage: float  # share of lab values inside the screening's interval


@dataclass(frozen=True)
class FieldStats:
    screenings: int
    subjects: int
    unreliable: int
    risk_mix: dict[str, int] = field(default_factory=dict)  # every category, zeros included
    followups: dict[str, int] = field(default_factory=dict)  # by status, zeros included
    pairs: list[Pair] = field(default_factory=list)  # each screening with a lab Hb

    @property
    def accuracy(self) -> Accuracy | None:
        """Over every lab-confirmed screening; None until a lab Hb is recorded."""
        return _accuracy(self.pairs)

    @property
    def by_model(self) -> list[GroupAccuracy]:
        """Accuracy per population and model version."""
        return group_accuracy(self.pairs)

    @property
    def followups_opened(self) -> int:
        return sum(self.followups.values())

    @property
    def completion(self) -> float | None:
        """Share of opened follow-ups that ended (resolved or declined)."""
        done = self.followups.get("resolved", 0) + self.followups.get("declined", 0)
        return done / self.followups_opened if self.followups_opened else None


def _window(since: datetime | None, team_id: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(Screening.created_at >= since)
    if team_id is not None:
        team_subjects = select(Subject.id).where(Subject.team_id == team_id)
        where.append(Screening.subject_id.in_(team_subjects))
    return where


async def field_stats(
    session: AsyncSession, *, since: datetime | None = None, team_id: int | None = None
) -> FieldStats:
    """Counts and accuracy over screenings since `since` (all when None), optionally one team."""
    where = _window(since, team_id)
    unreliable = func.coalesce(func.sum(case((Screening.reliable, 0), else_=1)), 0)
    totals = select(func.count(), func.count(Screening.subject_id.distinct()), unreliable)
    n, subjects, n_unreliable = (await session.execute(totals.where(*where))).one()
    risks = select(Screening.risk, func.count()).where(*where).group_by(Screening.risk)
    risk_mix = dict.fromkeys(RISKS, 0) | {r: c for r, c in await session.execute(risks)}
    statuses = (
        select(FollowUp.status, func.count())
        .join(Screening, FollowUp.screening_id == Screening.id)
        .where(*where)
        .group_by(FollowUp.status)
    )
    by_status = dict.fromkeys(STATUSES, 0) | {st: c for st, c in await session.execute(statuses)}
    pairs = await lab_pairs(session, since=since, team_id=team_id)  # few: the lab-confirmed
    return FieldStats(int(n), int(subjects), int(n_unreliable), risk_mix, by_status, pairs)


def _accuracy(pairs: list[Pair]) -> Accuracy | None:
    """Estimate against lab Hb over every pair, all populations and models together."""
    if not pairs:
        return None
    err = [p.estimate - p.lab for p in pairs]
    inside = [p.interval[0] <= p.lab <= p.interval[1] for p in pairs]
    return Accuracy(
        len(err), sum(map(abs, err)) / len(err), sum(err) / len(err), sum(inside) / len(inside)
    )


@dataclass(frozen=True)
class Pair:
    """One screening with a lab Hb recorded on its case, g/dL."""

    population: str  # whose validation figures applied ("unknown" for older rows)
    model_version: str
    estimate: float
    lab: float
    interval: tuple[float, float]
    threshold: float  # the person's WHO cut-off
    age_months: float | None = None  # as the person's profile gives it now (None: unknown)
    sex: str | None = None  # "f", "m" or None


@dataclass(frozen=True)
class GroupAccuracy:
    """Estimate against lab Hb for one population and model version, g/dL."""

    population: str
    model_version: str
    n: int
    mae: float
    bias: float  # mean of estimate - lab
    loa: tuple[float, float]  # Bland-Altman 95% limits of agreement (bias +- 1.96 SD)
    interval_coverage: float
    sensitivity: float | None  # of "estimate below the cut-off" for lab-confirmed anaemia
    specificity: float | None


async def lab_pairs(
    session: AsyncSession, *, since: datetime | None = None, team_id: int | None = None
) -> list[Pair]:
    """Every screening in the window whose case has a lab Hb, oldest first."""
    query = (
        select(Screening, FollowUp.lab_hb_g_dl, Subject.age_months, Subject.sex)
        .join(FollowUp, FollowUp.screening_id == Screening.id)
        .join(Subject, Subject.id == Screening.subject_id)
        .where(FollowUp.lab_hb_g_dl.is_not(None), *_window(since, team_id))
        .order_by(Screening.created_at, Screening.id)
    )
    return [
        Pair(
            r.population or "unknown",
            r.model_version,
            r.hb_g_dl,
            lab,
            (r.interval_low, r.interval_high),
            r.threshold_g_dl,
            age,
            sex,
        )
        for r, lab, age, sex in await session.execute(query)
        if lab is not None  # the query keeps only these; this tells the type checker
    ]


def _share(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def group_accuracy(pairs: list[Pair]) -> list[GroupAccuracy]:
    """Accuracy per (population, model version), in order of first appearance."""
    groups: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        groups.setdefault((p.population, p.model_version), []).append(p)
    out = []
    for (population, version), ps in groups.items():
        err = [p.estimate - p.lab for p in ps]
        bias = sum(err) / len(err)
        sd = (sum((e - bias) ** 2 for e in err) / (len(err) - 1)) ** 0.5 if len(err) > 1 else 0.0
        anaemic = [p.estimate < p.threshold for p in ps if p.lab < p.threshold]
        well = [p.estimate >= p.threshold for p in ps if p.lab >= p.threshold]
        inside = [p.interval[0] <= p.lab <= p.interval[1] for p in ps]
        out.append(
            GroupAccuracy(
                population,
                version,
                len(ps),
                sum(map(abs, err)) / len(err),
                bias,
                (bias - 1.96 * sd, bias + 1.96 * sd),
                sum(inside) / len(inside),
                _share(anaemic),
                _share(well),
            )
        )
    return out


async def weekly_screenings(
    session: AsyncSession, *, team_id: int | None, weeks: int = 12, now: datetime | None = None
) -> list[tuple[date, int]]:
    """Screenings per ISO week (UTC, by the week's Monday) over the last `weeks` weeks, this
    week included, oldest first, zeros included; one team's people, or everyone's."""
    today = (now or utcnow()).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    query = select(Screening.created_at).where(*_window(start, team_id))
    counts = dict.fromkeys((first + timedelta(weeks=w) for w in range(weeks)), 0)
    for (made,) in await session.execute(query):  # bucketed here: week functions differ by SQL
        day = made.date()
        monday = day - timedelta(days=day.weekday())
        if monday in counts:
            counts[monday] += 1
    return list(counts.items())
