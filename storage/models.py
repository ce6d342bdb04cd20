"""The ORM models: subjects, screenings, follow-ups, health workers, chats and Telegram updates.

Nothing here names a person: subjects and workers are keyed by an HMAC pseudonym, chats by the
pseudonym of the chat id. Every row about a subject hangs off `subjects` with ON DELETE CASCADE,
so deleting the subject erases them. Times are UTC; Hb is in g/dL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
RISKS = ("none", "mild", "moderate", "severe")
STATUSES = ("pending", "contacted", "resolved", "declined")
REASONS = ("severe", "moderate", "referred", "unreliable")
ROLES = ("health_worker", "admin")
AUTHORS = ("worker", "office", "person")  # a note's: a worker, the operator (CLI), the person
PSEUDONYM = String(64)  # hex HMAC-SHA256


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, date: Date}


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subject(Base):
    """A person screened, known only by a pseudonym; the profile is what the risk table needs."""

    __tablename__ = "subjects"
    __table_args__ = (
        CheckConstraint(_one_of("sex", ("f", "m")), name="sex"),
        CheckConstraint("trimester IN (1, 2, 3)", name="trimester"),
        CheckConstraint("age_months >= 0", name="age_months"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(PSEUDONYM, unique=True)
    key_id: Mapped[str] = mapped_column(String(16))  # which PSEUDONYM_KEY made it (rotation)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    age_months: Mapped[float | None] = mapped_column(Float)
    age_group: Mapped[str | None] = mapped_column(String(32))  # when only a group is known
    sex: Mapped[str | None] = mapped_column(String(1))
    pregnant: Mapped[bool] = mapped_column(default=False)
    trimester: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(16))  # BCP 47 tag, e.g. "en", "tw"
    consent_version: Mapped[str] = mapped_column(String(32))
    consent_at: Mapped[datetime]
    contact_opt_in: Mapped[bool] = mapped_column(default=False)  # may be reminded to follow up
    research_opt_in: Mapped[bool] = mapped_column(default=False)  # may keep an eyelid crop
    # the chat id, encrypted under RELAY_KEY (never readable without it), kept only while the
    # person agreed to be contacted and a case of theirs is open: workers reach them through
    # the bot without learning who they are
    relay_chat: Mapped[bytes | None] = mapped_column(LargeBinary)


class Screening(Base):
    """One estimate, with the thresholds and model that produced its risk category."""

    __tablename__ = "screenings"
    __table_args__ = (
        CheckConstraint(_one_of("risk", RISKS), name="risk"),
        CheckConstraint("interval_low <= interval_high", name="interval"),
        CheckConstraint("segmentation_area >= 0 AND segmentation_area <= 1", name="area"),
        Index(None, "subject_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    hb_g_dl: Mapped[float] = mapped_column(Float)
    interval_low: Mapped[float] = mapped_column(Float)
    interval_high: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)  # nominal, e.g. 0.9
    risk: Mapped[str] = mapped_column(String(8))
    risk_group: Mapped[str] = mapped_column(String(32))  # a key of bot.pipeline.risk.GROUPS
    threshold_g_dl: Mapped[float] = mapped_column(Float)  # anaemia below this
    moderate_below_g_dl: Mapped[float] = mapped_column(Float)
    severe_below_g_dl: Mapped[float] = mapped_column(Float)
    straddles_threshold: Mapped[bool]
    group_assumed: Mapped[bool]
    reliable: Mapped[bool]
    warnings: Mapped[list[str]] = mapped_column(JSON)  # quality flags, e.g. ["low_attention"]
    # Grad-CAM share on the lower half, 0-1; None for a model without Grad-CAM (colour statistics)
    attention_lower_half: Mapped[float | None] = mapped_column(Float)
    image_source: Mapped[str | None] = mapped_column(String(16))  # "cutout" or "photo"
    segmentation_area: Mapped[float | None] = mapped_column(Float)  # conjunctiva share, 0-1
    model_version: Mapped[str] = mapped_column(String(64))
    population: Mapped[str | None] = mapped_column(String(32))  # whose figures apply
    refer: Mapped[bool | None]  # the population's referral rule says: have a blood test


class ResearchCrop(Base):
    """An EXIF-free conjunctiva crop, kept only with the subject's research opt-in."""

    __tablename__ = "research_crops"

    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthWorker(Base):
    __tablename__ = "health_workers"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(PSEUDONYM, unique=True)
    key_id: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="SET NULL")
    )


class Invite(Base):
    """A one-time invite; only the SHA-256 of the code is kept."""

    __tablename__ = "invites"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="SET NULL")
    )


class FollowUp(Base):
    """A case for the health workers, opened by a worrying or unreliable screening."""

    __tablename__ = "followups"
    __table_args__ = (
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint(_one_of("reason", REASONS), name="reason"),
        CheckConstraint("lab_hb_g_dl > 0 AND lab_hb_g_dl < 30", name="lab_hb"),
        # the worker's list: their team's cases by status, oldest first
        Index(None, "team_id", "status", "opened_at"),
        # the operator's list across teams
        Index(None, "status", "opened_at"),
        Index(None, "subject_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_code: Mapped[str] = mapped_column(String(16), unique=True)  # random, not the pseudonym
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), unique=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(16))
    assigned_worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    contacted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    lab_hb_g_dl: Mapped[float | None] = mapped_column(Float)
    lab_date: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(200))
    reminded_at: Mapped[datetime | None]  # the "have you had your blood test?" reminder


class FollowUpNote(Base):
    __tablename__ = "followup_notes"
    __table_args__ = (CheckConstraint(_one_of("author", AUTHORS), name="author"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[int] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(8), server_default="worker")
    text: Mapped[str] = mapped_column(Text)


class Conversation(Base):
    """Where a chat is in the consent and profile steps, shared by every bot process."""

    __tablename__ = "conversations"

    pseudonym: Mapped[str] = mapped_column(PSEUDONYM, primary_key=True)  # of the private chat id
    key_id: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)  # optimistic lock between bot processes
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ProcessedUpdate(Base):
    """A Telegram update id already handled; the primary key makes a redelivery a no-op."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A photo's screening, until its reply has been sent (answered_at): if the process dies
    # in between, the redelivered update can still tell the person their result.
    screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("screenings.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None]


class PhotoWindow(Base):
    """A person's photo count in the current rate-limit window, shared by every bot process."""

    __tablename__ = "photo_windows"

    pseudonym: Mapped[str] = mapped_column(PSEUDONYM, primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)


class PhotoToken(Base):
    """A photo update that took a token of its person's window: delivered again (a late
    answer, another replica, a restart) it takes none. Telegram's update id only, no person."""

    __tablename__ = "photo_tokens"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    taken_at: Mapped[datetime] = mapped_column(index=True)


class _SignIn:
    """What a sign-in link and a signed-in session keep alike: only the SHA-256 of the token,
    the team, the worker (none: the office's) and the role, and when it expires."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint]:
        return (CheckConstraint(_one_of("role", ROLES), name="role"),)  # one for each table

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_workers.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class WebLink(_SignIn, Base):
    """A one-time sign-in link to the dashboard; only the SHA-256 of its token is kept. A
    worker's (`/web`) or, without a worker, the office's for one team (`anemia-screen
    web-link`)."""

    __tablename__ = "web_links"

    used_at: Mapped[datetime | None] = mapped_column(sort_order=1)  # DDL: after _SignIn's


class WebSession(_SignIn, Base):
    """A signed-in dashboard: the browser holds the token, only its SHA-256 is kept here."""

    __tablename__ = "web_sessions"
