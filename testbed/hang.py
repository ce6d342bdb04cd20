"""A photo that never finishes, for the inference pool's time limit, one whose child dies
while writing its result back, and a slow one: run in the pool's child process instead of its
own screen function. A module of its own, importing only the pipeline, because the child
imports it on its first photo, inside that photo's time limit (importing a test module there,
with the whole bot behind it, took seconds on a loaded machine)."""

from __future__ import annotations

import os
import signal
import struct
import sys
import time

from bot.pipeline import executor
from bot.pipeline.result import Screening
from bot.pipeline.risk import Person

HANG = b"hang"
HALF = b"half"  # the child writes half a result back, then is killed
SLOW = b"slow"  # the child takes SLOW_S longer than the photo needs
SLOW_S = 2.5


def hang_or_screen(data: bytes, person: Person, with_cutout: bool = False) -> Screening:
    """Bytes ending in HANG never finish; bytes ending in HALF kill the child halfway through
    writing a result back; bytes ending in SLOW take SLOW_S longer; any other photo is
    screened as the pool would."""
    if data.endswith(HANG):
        time.sleep(3600)
    if data.endswith(SLOW):
        time.sleep(SLOW_S)
    if data.endswith(HALF):
        _die_writing()
    return executor._screen(data, person, with_cutout)


def _die_writing() -> None:
    """Write the start of a result message (a length, then fewer bytes than it says) to the
    pipe the pool reads results from, then SIGKILL this process: a child killed, or out of
    memory, while it sends a result. The pipe is the caller's (CPython's `_process_worker`)."""
    pipe = sys._getframe(2).f_locals["result_queue"]._writer
    pipe._send(struct.pack("!i", 1 << 20) + b"x" * 100)  # 1 MB announced, 100 bytes sent
    os.kill(os.getpid(), signal.SIGKILL)
