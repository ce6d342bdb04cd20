"""The research opt-in: separate from the consent to screening, off by default, revocable.

With it, the conjunctiva cut-out of each screening (the lining only, as a PNG with the mask as
alpha, re-encoded without metadata, at most `storage.screenings.MAX_CROP_SIDE` px a side) is
kept so the service can be improved for the people who use it; turning it off erases the
cut-outs kept so far, and /delete erases everything. Keeping it never costs a result: a cut-out
that cannot be encoded or kept is logged and left out (bot.services.photos).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.base import Button, Deps, Out, Seen, Who, keyboard, log, once, tag
from bot.texts import i18n
from storage.screenings import MAX_CROP_SIDE
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


def bounded(cutout: np.ndarray, max_side: int = MAX_CROP_SIDE) -> np.ndarray:
    """The RGBA cut-out (black where alpha is 0) with its longest side at most `max_side` px.

    Resized by area averaging (cv2.INTER_AREA, the filter for shrinking), as the models resize
    it. A new pixel is on the lining when at least half its area was (the models' own rule,
    `model.preprocess.to_input`), so alpha stays 0 or 255; its colour is the mean of the lining
    under it, the black around the lining left out, so the edge does not darken.
    """
    import cv2  # here: only research opt-ins need OpenCV in the bot's own process

    h, w = cutout.shape[:2]
    if max(h, w) <= max_side:
        return cutout
    scale = max_side / max(h, w)
    size = (max(1, min(max_side, round(w * scale))), max(1, min(max_side, round(h * scale))))
    on = cutout[..., 3] > 0
    # uint8 in and out: no float copy of a crop that may hold tens of megapixels
    premultiplied = np.where(on[..., None], cutout[..., :3], 0).astype(np.uint8)
    colour = cv2.resize(premultiplied, size, interpolation=cv2.INTER_AREA)
    share = cv2.resize(np.where(on, 255, 0).astype(np.uint8), size, interpolation=cv2.INTER_AREA)
    lining = share >= 128
    mean = colour.astype(np.float32) * (255.0 / np.maximum(share, 1)[..., None])
    rgb = np.where(lining[..., None], np.clip(np.rint(mean), 0, 255), 0).astype(np.uint8)
    return np.dstack([rgb, np.where(lining, 255, 0).astype(np.uint8)])


def cutout_png(cutout: np.ndarray) -> bytes:
    """An RGBA cut-out (alpha = the conjunctiva) as PNG bytes, as CP-AnemiC's images are, at
    most MAX_CROP_SIDE px a side."""
    import cv2

    small = bounded(cutout)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(small, cv2.COLOR_RGBA2BGRA))
    if not ok:
        raise ValueError("could not encode the cut-out")
    return buf.tobytes()
