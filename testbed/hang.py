"""A photo that never finishes, for the inference pool's time limit: run in the pool's child
process instead of its own screen function. A module of its own, importing only the pipeline,
because the child imports it on its first photo, inside that photo's time limit (importing a
test module there, with the whole bot behind it, took seconds on a loaded machine)."""

from __future__ import annotations

import time

from bot.pipeline import executor
from bot.pipeline.result import Screening
from bot.pipeline.risk import Person

HANG = b"hang"


def hang_or_screen(data: bytes, person: Person, with_cutout: bool = False) -> Screening:
    """Bytes ending in HANG never finish; any other photo is screened as the pool would."""
    if data.endswith(HANG):
        time.sleep(3600)
    return executor._screen(data, person, with_cutout)
