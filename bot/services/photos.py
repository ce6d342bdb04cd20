"""A photo or image file: consent check, rate limit, inference in the pool, the result, the log."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import NoResultFound, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline.decode import ImageRejected, check_size
from bot.pipeline.executor import WorkerDied
from bot.pipeline.inference import PhotoTimedOut, PoolBusy
from bot.pipeline.reading import advice_for, worse
from bot.pipeline.result import Screening, advice_key
from bot.pipeline.risk import Category, Person, category_of
from bot.services import people, relay, research
from bot.services.base import Deps, Out, Seen, Who, log, once, seen, tag
from bot.services.outbox import Held, unreachable
from bot.services.profile import person_of
from bot.services.screening_record import screening_record
from bot.texts import i18n, wording
from storage.errors import ConsentMissing, CropRefused
from storage.models import FollowUp
from storage.models import Screening as StoredScreening
from storage.pseudonyms import format_case_code
from storage.screenings import ScreeningRecord, log_update_screening, open_followup_of
from storage.updates import handled_update, mark_answered

# A claim younger than this may still be sending its first reply (a duplicate delivery)
RESEND_AFTER_S = 2.0


def rejection(lang: str, error: ImageRejected, max_mb: int) -> str:
    """The refusal's message in the person's language (`mb`: this bot's size limit); the
    general error message for a code without one."""
    key = f"reject.{error.code}"
    if not i18n.has(key):
        log.error("no message for the refusal %r", error.code)
        return i18n.t(lang, "error")
    return i18n.t(lang, key, **{**error.params, "mb": max_mb})


def result_text(lang: str, r: Screening, case_code: str | None = None) -> str:
    """The estimate, where it falls against the person's cut-off, the advice, the open case's
    code, the model, reliability and the notice, in one message."""
    risk = r.risk
    low, high = r.interval
    lines = [
        wording.estimate_line(lang, r.hb_g_dl, r.coverage, low, high),
        *wording.risk_lines(lang, risk.group, risk.threshold, risk.category, risk.straddles),
    ]
    if risk.assumed:
        lines.append(i18n.t(lang, "result.assumed"))
    lines.append(i18n.t(lang, advice_key(r)))
    lines += _case_line(lang, case_code)
    lines.append(population_line(lang, r))
    lines += _warned(lang, r.warnings)
    return "\n\n".join([*lines, i18n.t(lang, "notice")])


def _case_line(lang: str, case_code: str | None) -> list[str]:
    if case_code is None:
        return []
    return [i18n.t(lang, "result.case", code=format_case_code(case_code))]


def _warned(lang: str, warnings: Sequence[str]) -> list[str]:
    if not warnings:
        return []
    warned = [f"• {i18n.t(lang, f'warning.{w}')}" for w in warnings]
    return [i18n.t(lang, "result.unreliable"), *warned, i18n.t(lang, "result.retake")]


def population_line(lang: str, r: Screening) -> str:
    """Which model answered and on whom it was checked."""
    key = f"population.{r.population}"
    population = i18n.t(lang, key) if i18n.has(key) else r.population
    return i18n.t(
        lang, "result.population", cohort=i18n.t(lang, f"cohort.{r.cohort}"), population=population
    )


def result_replies(lang: str, r: Screening, case_code: str | None = None) -> list[Out]:
    """The result text, then the picture of where the estimate came from (the children's
    Grad-CAM, the adults' occlusion map; the measured region for a screening without a map);
    each carries the screening notice."""
    what = "result.gradcam" if r.cohort == "children" else "result.occlusion"
    what = "result.measured" if r.attention_lower_half is None else what
    caption = f"{i18n.t(lang, what)}\n\n{i18n.t(lang, 'notice')}"
    return [Out(result_text(lang, r, case_code)), Out(caption, photo=r.overlay_jpeg)]


def stored_reading(row: StoredScreening) -> tuple[Category, bool, str]:
    """(category, straddles, advice key) of a logged screening, from what it shows: the
    stored estimate, interval and bands (rows logged before the category was taken from the
    rounded estimate may disagree with their stored risk). The advice takes the worse of the
    two categories, and a row from before referral margins counts as referred when its
    interval reaches below the cut-off: never less cautious than when it was first sent."""
    bands = (row.threshold_g_dl, row.moderate_below_g_dl, row.severe_below_g_dl)
    category = category_of(row.hb_g_dl, bands)
    straddles = row.interval_low < row.threshold_g_dl <= row.interval_high
    worst = worse(category, row.risk)
    refer = bool(row.refer) if row.refer is not None else straddles or worst != "none"
    return category, straddles, advice_for(worst, refer, straddles)


def resent_text(lang: str, row: StoredScreening, case_code: str | None = None) -> str:
    """A result whose first reply may never have been sent, from what the log kept: the same
    reading, advice, case code and notice as the first reply, without the picture."""
    category, straddles, advice = stored_reading(row)
    lines = [
        i18n.t(lang, "result.resent"),
        wording.estimate_line(lang, row.hb_g_dl, row.coverage, row.interval_low, row.interval_high),
        *wording.risk_lines(lang, row.risk_group, row.threshold_g_dl, category, straddles),
        i18n.t(lang, advice),
        *_case_line(lang, case_code),
        *_warned(lang, row.warnings or ()),
    ]
    return "\n\n".join([*lines, i18n.t(lang, "notice")])


async def _log(
    session: AsyncSession,
    update_id: int,
    subject_id: int,
    record: ScreeningRecord,
    crop: bytes | None,
) -> tuple[StoredScreening, FollowUp | None]:
    """Log the screening with its research crop; without it, as if the person had not opted
    in, when storage refuses the crop (it refuses before writing anything)."""
    if crop is not None:
        try:
            return await log_update_screening(
                session, update_id=update_id, subject_id=subject_id, record=record, crop_png=crop
            )
        except (CropRefused, ConsentMissing) as e:  # the message has sizes, no image or id
            log.warning("research crop not kept: %s", e)
    return await log_update_screening(
        session, update_id=update_id, subject_id=subject_id, record=record
    )


async def _record(
    session: AsyncSession, deps: Deps, s: Seen, r: Screening, who: Who, crop: bytes | None
) -> list[Out]:
    assert s.subject is not None  # only people with a profile get a photo screened
    record = screening_record(r)
    crop = crop if s.subject.research_opt_in else None  # as it stands in this transaction
    try:
        row, case = await _log(session, who.update_id, s.subject.id, record, crop)
    except NoResultFound:  # erased while the photo was being screened: keep nothing
        return [Out(i18n.t(s.lang, "profile.need_consent"))]
    if case is not None:  # reachable through the relay while the case is open, if agreed
        await relay.remember(session, deps, s.subject, who)
    log.info(
        "screened subject=%s screening=%s risk=%s case=%s",
        tag(s.pseudonym),
        row.id,
        r.risk.category,
        case is not None,
    )
    return result_replies(s.lang, r, case.case_code if case is not None else None)


@dataclass(frozen=True)
class Known:
    """Who is writing, whom the photo is of, and whether this update was handled before."""

    seen: Seen
    person: Person | None
    handled: bool
    unsent: StoredScreening | None  # handled, but its reply may never have gone out
    case_code: str | None = None  # the person's open case, told again with `unsent`


async def _who_is_it(deps: Deps, who: Who) -> Known | None:
    """What we know before screening; None when the database cannot be reached."""
    try:
        return await _read(deps, who)
    except (SQLAlchemyError, OSError) as e:
        if not unreachable(e):
            raise
        log.warning("database unreachable before screening: %s", type(e).__name__)
        return None


async def _read(deps: Deps, who: Who) -> Known:
    young = datetime.now(UTC) - timedelta(seconds=RESEND_AFTER_S)
    async with deps.sessions() as session:
        s = await seen(session, deps, who)
        handled, unsent = await handled_update(
            session, update_id=who.update_id, claimed_before=young
        )
        case = None
        if unsent is not None:
            case = await open_followup_of(session, subject_id=unsent.subject_id)
        # the programme's elevation (ALTITUDE_M) raises every cut-off for everyone
        person = person_of(s.subject) if s.subject else None
        if person is not None:
            person = dataclasses.replace(person, altitude_m=deps.settings.altitude_m)
        return Known(s, person, handled, unsent, case.case_code if case else None)


def _again(known: Known, who: Who) -> list[Out]:
    """A redelivered photo: its result once more if the first reply may not have gone out."""
    if known.unsent is None:
        log.info("update %s already handled", who.update_id)
        return []
    log.warning("resending a result never confirmed sent subject=%s", tag(known.seen.pseudonym))
    return [Out(resent_text(known.seen.lang, known.unsent, known.case_code))]


async def sent(deps: Deps, who: Who) -> None:
    """The photo's replies have gone out: its result needs no telling again."""

    async def flush(update_ids: set[int]) -> None:
        try:
            async with deps.sessions.begin() as session:
                await mark_answered(session, update_ids=update_ids)
        except (SQLAlchemyError, OSError) as e:
            if not unreachable(e):
                raise
            # at worst these people are told their result again after a restart
            log.warning("database unreachable after replying: %s", type(e).__name__)

    await deps.answered.add(who.update_id, flush)


async def screen_photo(
    deps: Deps, who: Who, fetch: Callable[[], Awaitable[bytes]], size: int | None
) -> list[Out]:
    """Screen a photo for a person who agreed; the consent prompt for anyone else."""
    if (known := await _who_is_it(deps, who)) is None:
        # without the profile there is no WHO group to judge by: ask for the photo again
        return [Out(i18n.t(who.language_code, "db_unavailable"))]
    if known.handled:  # Telegram delivered it again: no second screening
        return _again(known, who)
    s, person = known.seen, known.person
    if person is None:
        return await once(deps, who, lambda session, s: people.ask_consent(session, s, first=True))
    max_bytes = deps.settings.max_photo_bytes
    if size is not None and size > max_bytes:  # refuse before downloading it
        return [Out(i18n.t(s.lang, "reject.too_large_file", mb=max_bytes // 2**20))]
    # one token per update: a delivery of it again while this one is screened, or after a
    # crash before its claim, pays nothing (the claim then lets one of them answer)
    if not await deps.limiter.take(s.pseudonym.value, who.update_id):
        return [Out(i18n.t(s.lang, "rate_limited"))]
    try:
        started = time.perf_counter()
        data = await fetch()
        check_size(len(data), max_bytes)  # Telegram may leave the size out, or state it wrongly
        # the cut-out only for whom research keeps it (`_crop`)
        keeps = s.subject is not None and s.subject.research_opt_in
        result = await deps.pool.screen(data, person, with_cutout=keeps)
    except PoolBusy:  # the service could not take the photo: it costs the person nothing
        log.warning("pool busy subject=%s", tag(s.pseudonym))
        await deps.limiter.give_back(s.pseudonym.value, who.update_id)
        return [Out(i18n.t(s.lang, "busy"))]
    except PhotoTimedOut:  # its inference process is replaced; the next photo gets a new one
        log.error("photo over the time limit subject=%s", tag(s.pseudonym))
        return [Out(i18n.t(s.lang, "reject.took_too_long"))]
    except WorkerDied:  # killed or out of memory mid-photo; the next photo gets a new one
        log.error("inference process died subject=%s", tag(s.pseudonym))
        return [Out(i18n.t(s.lang, "error"))]
    except ImageRejected as e:
        log.info("rejected subject=%s code=%s", tag(s.pseudonym), e.code)
        return [Out(rejection(s.lang, e, max_bytes // 2**20))]
    log.info(
        "inference subject=%s ms=%.0f", tag(s.pseudonym), (time.perf_counter() - started) * 1e3
    )
    return await _save(deps, who, s, result, datetime.now(UTC))


async def _crop(s: Seen, result: Screening) -> bytes | None:
    """The cut-out to keep for research, encoded off the event loop; None without opt-in."""
    if s.subject is None or not s.subject.research_opt_in or result.cutout is None:
        return None
    try:
        return await asyncio.to_thread(research.cutout_png, result.cutout)
    except Exception as e:  # research is optional: whatever failed, the result still goes out
        log.warning("research crop not encoded: %s", type(e).__name__)
        return None


async def _save(deps: Deps, who: Who, s: Seen, result: Screening, at: datetime) -> list[Out]:
    # never show a result that was not logged (the follow-up depends on the log), unless it is
    # held in the outbox on disk, to be logged when the database is back
    crop = await _crop(s, result)
    try:
        return await once(
            deps,
            who,
            lambda session, now: _record(session, deps, now, result, who, crop),
            known=s,
        )
    except (SQLAlchemyError, OSError) as e:
        error = e
    if unreachable(error) and await _hold(deps, who, s, result, at):
        return result_replies(s.lang, result)
    log.error("screening not saved subject=%s error=%s", tag(s.pseudonym), type(error).__name__)
    return [Out(i18n.t(s.lang, "save_failed"))]


async def _hold(deps: Deps, who: Who, s: Seen, result: Screening, at: datetime) -> bool:
    """Keep the screening in the outbox; False if there is none or the disk refused it too."""
    if deps.outbox is None or s.subject is None:
        return False
    held = Held(who.update_id, s.subject.id, at, screening_record(result))
    try:
        await deps.outbox.put(held)
    except (OSError, sqlite3.Error) as e:
        log.error("outbox refused the screening: %s", type(e).__name__)
        return False
    log.warning("database unreachable: screening held subject=%s", tag(s.pseudonym))
    return True
