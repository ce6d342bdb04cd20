"""The research opt-in: separate from the consent to screening, off by default, revocable.

With it, the conjunctiva cut-out of each screening (the lining only, as a PNG with the mask as
alpha, re-encoded without metadata) is kept so the service can be improved for the people who
use it; turning it off erases the cut-outs kept so far, and /delete erases everything.
"""

from __future__ import annotations

import cv2
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.services.base import Button, Deps, Out, Seen, Who, keyboard, log, once, tag
from bot.pipeline import i18n
from storage.subjects import set_research_opt_in


def toggle(lang: str, on: bool) -> tuple[tuple[Button, ...], ...]:
    """The button that turns the opt-in the other way."""
    row = (("research.turn_off", "research:off"),) if on else (("research.turn_on", "research:on"),)
    return keyboard(lang, row)


async def answer(deps: Deps, who: Who, value: str) -> list[Out]:
    """A research button: turn the opt-in on or off (off erases the cut-outs kept so far)."""

    async def work(session: AsyncSession, s: Seen) -> list[Out]:
        if s.subject is None or value not in ("on", "off"):
            return [Out(i18n.t(s.lang, "stale_button"))]
        on = value == "on"
        erased = await set_research_opt_in(session, subject_id=s.subject.id, opt_in=on)
        log.info("research subject=%s on=%s erased=%d", tag(s.pseudonym), on, erased)
        text = i18n.t(s.lang, "research.on") if on else i18n.t(s.lang, "research.off", n=erased)
        return [Out(text, buttons=toggle(s.lang, on))]

    return await once(deps, who, work)


def cutout_png(cutout: np.ndarray) -> bytes:
    """An RGBA cut-out (alpha = the conjunctiva) as PNG bytes, as CP-AnemiC's images are."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(cutout, cv2.COLOR_RGBA2BGRA))
    if not ok:
        raise ValueError("could not encode the cut-out")
    return buf.tobytes()
