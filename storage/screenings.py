"""Screenings: log one estimate and open a follow-up when it is worrying or unreliable."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import ConsentMissing, CropRefused, InvalidValue
from storage.models import RISKS, FollowUp, ResearchCrop, Screening, Subject
from storage.pseudonyms import CASE_CODE_CHARS, random_code
from storage.updates import link_screening

OPEN_STATUSES = ("pending", "contacted")
# A kept crop is at most this many pixels on its longest side; the bot resizes larger ones
# (bot.services.research). The models read far less (the U-Net 96x128 px); 1024 px keeps
# the lining's texture for models yet to come.
MAX_CROP_SIDE = 1024
# Any crop within MAX_CROP_SIDE fits: incompressible RGBA noise is 4 bytes a pixel and 1 filter
# byte a row (4,195,328 bytes at 1024x1024); deflate's stored blocks and the PNG chunks add
# under 1 KB to that.
MAX_CROP_BYTES = 5_000_000


@dataclass(frozen=True)
class ScreeningRecord:
    """What is kept of one screening (bot.pipeline.result.Screening, less the image).
    Hb in g/dL."""

    hb_g_dl: float
    interval: tuple[float, float]
    coverage: float
    risk: str  # "none", "mild", "moderate" or "severe"
    risk_group: str
    bands: tuple[float, float, float]  # (threshold, moderate_below, severe_below)
    straddles_threshold: bool
    group_assumed: bool
    warnings: tuple[str, ...]  # quality flags; none means reliable
    attention_lower_half: float | None  # None: no map (adults screened before they had one)
    model_version: str
    image_source: str | None = None  # "cutout" (transparent background) or "photo" (segmented)
    segmentation_area: float | None = None  # conjunctiva pixels / image pixels
    population: str | None = None  # the population whose validation figures apply
    refer: bool = False  # the population's referral rule says: have a blood test

    def __post_init__(self) -> None:
        if self.risk not in RISKS:
            raise InvalidValue(f"risk must be one of {', '.join(RISKS)}, got {self.risk!r}")
        low, high = self.interval
        if not low <= self.hb_g_dl <= high:
            raise InvalidValue(f"estimate {self.hb_g_dl} is outside its interval {low}-{high}")

    @property
    def reliable(self) -> bool:
        return not self.warnings

    @property
    def followup_reason(self) -> str | None:
        """Why this screening needs a follow-up, or None when it does not."""
        if self.risk in ("severe", "moderate"):
            return self.risk
        if self.refer:
            return "referred"
        return None if self.reliable else "unreliable"


async def record_screening(
    session: AsyncSession,
    *,
    subject_id: int,
    record: ScreeningRecord,
    crop_png: bytes | None = None,
) -> tuple[Screening, FollowUp | None]:
    """Log a screening; returns it and the subject's open follow-up, opened here if needed.

    A crop is kept only with the subject's research opt-in, and re-encoded to drop metadata.
    A crop refused (CropRefused, ConsentMissing) is refused before anything is written, so the
    caller may log the screening again without it.
    """
    # Re-encoding a 1024 px crop of a noisy photo takes up to ~0.6 s: off the event loop, and
    # before the person's row is locked
    bare = None if crop_png is None else await asyncio.to_thread(strip_metadata, crop_png)
    # the row lock makes a person's concurrent screenings (a photo album) queue on PostgreSQL, so
    # they open one case between them; on SQLite the write lock does the same
    subject = await session.get_one(Subject, subject_id, with_for_update=True)
    if bare is not None and not subject.research_opt_in:
        raise ConsentMissing("the subject has not opted in to keeping a crop for research")
    screening = _screening_row(subject_id, record)
    session.add(screening)
    await session.flush()
    if bare is not None:
        session.add(ResearchCrop(screening_id=screening.id, png=bare))
    followup = None
    if (reason := record.followup_reason) is not None:
        followup = await _open_followup(session, subject, screening, reason)
    await session.flush()
    return screening, followup


async def log_update_screening(
    session: AsyncSession,
    *,
    update_id: int,
    subject_id: int,
    record: ScreeningRecord,
    crop_png: bytes | None = None,
    at: datetime | None = None,
    answered: bool = False,
) -> tuple[Screening, FollowUp | None]:
    """Log the screening that update `update_id` (claimed in this transaction) produced, and
    link the update to it, so a redelivery is answered from the log. The one way a screening
    is logged, live (`answered` False: the reply is still to be sent) or from the outbox
    (`at`: when it was screened; the person was answered then)."""
    row, case = await record_screening(
        session, subject_id=subject_id, record=record, crop_png=crop_png
    )
    if at is not None:
        row.created_at = at
    await link_screening(session, update_id=update_id, screening_id=row.id, answered=answered)
    return row, case


def _screening_row(subject_id: int, r: ScreeningRecord) -> Screening:
    threshold, moderate_below, severe_below = r.bands
    return Screening(
        subject_id=subject_id,
        hb_g_dl=r.hb_g_dl,
        interval_low=r.interval[0],
        interval_high=r.interval[1],
        coverage=r.coverage,
        risk=r.risk,
        risk_group=r.risk_group,
        threshold_g_dl=threshold,
        moderate_below_g_dl=moderate_below,
        severe_below_g_dl=severe_below,
        straddles_threshold=r.straddles_threshold,
        group_assumed=r.group_assumed,
        reliable=r.reliable,
        warnings=list(r.warnings),
        attention_lower_half=r.attention_lower_half,
        image_source=r.image_source,
        segmentation_area=r.segmentation_area,
        model_version=r.model_version,
        population=r.population,
        refer=r.refer,
    )


async def list_screenings(
    session: AsyncSession, *, subject_id: int, limit: int = 10
) -> list[Screening]:
    """The subject's latest `limit` screenings, oldest first (for a history and its chart)."""
    query = select(Screening).where(Screening.subject_id == subject_id)
    newest = await session.scalars(query.order_by(Screening.created_at.desc(), Screening.id.desc()))
    return list(newest.fetchmany(limit))[::-1]


async def open_followup_of(session: AsyncSession, *, subject_id: int) -> FollowUp | None:
    """The subject's open (pending or contacted) follow-up, if any."""
    query = select(FollowUp).where(
        FollowUp.subject_id == subject_id, FollowUp.status.in_(OPEN_STATUSES)
    )
    return (await session.scalars(query.order_by(FollowUp.opened_at))).first()


async def _open_followup(
    session: AsyncSession, subject: Subject, screening: Screening, reason: str
) -> FollowUp:
    # one open case per person: a retake while a case is open adds a screening, not a case
    existing = await open_followup_of(session, subject_id=subject.id)
    if existing is not None:
        return existing
    followup = FollowUp(
        case_code=await _new_case_code(session),
        subject_id=subject.id,
        screening_id=screening.id,
        team_id=subject.team_id,
        status="pending",
        reason=reason,
    )
    session.add(followup)
    return followup


async def _new_case_code(session: AsyncSession) -> str:
    # 40 random bits: a clash is ~1e-7 at 100,000 cases; the unique constraint backs this up
    for _ in range(5):
        code = random_code(CASE_CODE_CHARS)
        if await session.scalar(select(FollowUp.id).where(FollowUp.case_code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused case code")  # pragma: no cover


def strip_metadata(png: bytes) -> bytes:
    """The image re-encoded as a bare PNG: pixels only, no EXIF, text or GPS chunks.
    CropRefused when it is over MAX_CROP_BYTES or MAX_CROP_SIDE, or not an image."""
    if len(png) > MAX_CROP_BYTES:
        raise CropRefused(f"crop is {len(png)} bytes; the limit is {MAX_CROP_BYTES}")
    try:
        with Image.open(io.BytesIO(png)) as image:
            if max(image.size) > MAX_CROP_SIDE:  # read from the header, before decoding
                raise CropRefused(f"crop is {image.size} px; the limit is {MAX_CROP_SIDE} a side")
            image.load()
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
            bare = Image.frombytes(mode, image.size, image.convert(mode).tobytes())
    except (OSError, ValueError) as e:
        raise CropRefused(f"crop is not a readable image: {e}") from e
    out = io.BytesIO()
    bare.save(out, format="PNG")
    return out.getvalue()
