"""/history: a person's latest results, as lines and a small trend chart."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.chart import trend_png
from bot.chat.services.base import Deps, Out, Seen, Who, once
from bot.pipeline import i18n
from storage.pseudonyms import format_case_code
from storage.screenings import list_screenings, open_followup_of

SHOWN = 10


async def history(deps: Deps, who: Who) -> list[Out]:
    """The last SHOWN results, oldest first, then the chart (drawn off the event loop)."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None:
            return [Out(i18n.t(s.lang, "profile.need_consent"))]
        rows = await list_screenings(session, subject_id=s.subject.id, limit=SHOWN)
        if not rows:
            return [Out(i18n.t(s.lang, "history.empty"))]
        lines = [i18n.t(s.lang, "history.header", n=len(rows))] + [
            i18n.t(
                s.lang,
                "history.line",
                date=r.created_at.strftime("%Y-%m-%d"),
                hb=f"{r.hb_g_dl:.1f}",
                low=f"{r.interval_low:.1f}",
                high=f"{r.interval_high:.1f}",
                category=i18n.t(s.lang, f"category.{r.risk}"),
            )
            for r in rows
        ]
        case = await open_followup_of(session, subject_id=s.subject.id)
        if case is not None:
            lines.append(i18n.t(s.lang, "history.case", code=format_case_code(case.case_code)))
        png = await asyncio.to_thread(
            trend_png,
            [r.created_at for r in rows],
            [r.hb_g_dl for r in rows],
            [r.interval_low for r in rows],
            [r.interval_high for r in rows],
            rows[-1].threshold_g_dl,
        )
        return [Out("\n".join(lines)), Out(i18n.t(s.lang, "history.chart"), photo=png)]

    return await once(deps, who, work)
