"""/history: a person's latest results, as lines and a small trend chart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.base import Deps, Out, Seen, Who, once
from bot.services.chart import trend_png
from bot.services.photos import stored_reading
from bot.texts import i18n, wording
from storage.models import Screening
from storage.pseudonyms import format_case_code
from storage.screenings import list_screenings, open_followup_of

SHOWN = 10


def history_line(lang: str, row: Screening) -> str:
    """One result: its date, estimate, interval and where they fall against the cut-off."""
    category, straddles, _ = stored_reading(row)
    return i18n.t(
        lang,
        "history.line",
        date=row.created_at,
        hb=row.hb_g_dl,
        low=row.interval_low,
        high=row.interval_high,
        verdict=wording.short_verdict(lang, category, straddles),
    )


def history_text(lang: str, rows: Sequence[Screening], case_code: str | None) -> str:
    """The lines, oldest first, then the latest result's advice, the open case and the notice."""
    lines = [i18n.t(lang, "history.header", n=len(rows)), *(history_line(lang, r) for r in rows)]
    advice = stored_reading(rows[-1])[2]
    tail = [f"{i18n.t(lang, 'history.latest')} {i18n.t(lang, advice)}"]
    if case_code is not None:
        tail.append(i18n.t(lang, "history.case", code=format_case_code(case_code)))
    return "\n\n".join(["\n".join(lines), *tail, i18n.t(lang, "notice")])


async def history(deps: Deps, who: Who) -> list[Out]:
    """The last SHOWN results, oldest first, then the chart (drawn off the event loop)."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None:
            return [Out(i18n.t(s.lang, "profile.need_consent"))]
        rows = await list_screenings(session, subject_id=s.subject.id, limit=SHOWN)
        if not rows:
            return [Out(i18n.t(s.lang, "history.empty"))]
        case = await open_followup_of(session, subject_id=s.subject.id)
        text = history_text(s.lang, rows, case.case_code if case is not None else None)
        png = await asyncio.to_thread(
            trend_png,
            [r.created_at for r in rows],
            [r.hb_g_dl for r in rows],
            [r.interval_low for r in rows],
            [r.interval_high for r in rows],
            rows[-1].threshold_g_dl,
            s.lang,
        )
        return [Out(text), Out(i18n.t(s.lang, "history.chart"), photo=png)]

    return await once(deps, who, work)
