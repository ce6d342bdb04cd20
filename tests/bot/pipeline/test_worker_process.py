"""The inference worker process: the same result as a Screener in the thread, refusals cross
with their code, a child that dies mid-photo fails that photo only (and its answers are never
read from the next child), and close() leaves none."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from bench.botproc import alive, descendants
from bot.pipeline.decode import ImageRejected
from bot.pipeline.inference import InferencePool
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener, Screening
from bot.pipeline.worker_process import WorkerDied, WorkerProcess
from model import WEIGHTS
from tests.bot.e2e import SAMPLE

PERSON = Person(age_months=30, sex="f")


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    w = WorkerProcess(WEIGHTS)
    yield w
    w.close()


def test_result_matches_a_screener_in_this_process(worker: WorkerProcess) -> None:
    data = SAMPLE.read_bytes()
    there, here = worker.screen(data, PERSON), Screener(WEIGHTS).screen(data, PERSON)
    assert there.hb_g_dl == pytest.approx(here.hb_g_dl, abs=1e-4)
    assert there.interval == pytest.approx(here.interval, abs=1e-4)
    assert there.risk == here.risk and there.warnings == here.warnings
    assert there.overlay_png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_refusal_crosses_with_its_code(worker: WorkerProcess) -> None:
    with pytest.raises(ImageRejected) as refused:
        worker.screen(b"not an image at all", PERSON)
    assert refused.value.code == "unsupported_format" and refused.value.message


def test_a_child_killed_mid_photo_fails_that_photo_and_the_next_gets_a_new_one(
    worker: WorkerProcess,
) -> None:
    pid = worker._proc.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it cannot answer before it is killed
    outcome: list[BaseException] = []

    submitted = threading.Event()

    def send() -> None:
        try:
            worker.submit(SAMPLE.read_bytes(), PERSON)
            submitted.set()
            worker.collect()
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=send)
    thread.start()
    submitted.wait(10)  # sent (or stuck sending to the stopped child: the kill ends that too)
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], WorkerDied)
    assert worker.screen(SAMPLE.read_bytes(), PERSON).hb_g_dl > 0
    assert worker._proc.pid != pid


def _killed_holding_a_photo(worker: WorkerProcess) -> int:
    """Stop the child, send it a photo it never answers, SIGKILL and reap it (all its threads
    gone, its end of the pipe closed); its pid."""
    pid = worker._proc.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    worker.submit(b"small enough for the pipe's buffer", PERSON)
    worker._proc.kill()
    worker._proc.join(timeout=30)
    return pid


def test_a_child_seen_dead_on_its_pipe_is_replaced_whatever_is_alive_says(
    worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _killed_holding_a_photo(worker)
    with pytest.raises(WorkerDied):
        worker.collect()
    # is_alive() can still say True for a moment after the pipe broke (CI once saw it)
    monkeypatch.setattr(worker._proc, "is_alive", lambda: True)
    assert worker.screen(SAMPLE.read_bytes(), PERSON).hb_g_dl > 0
    assert worker._proc.pid != pid


def test_photos_in_flight_in_a_dead_child_are_never_answered_by_the_next_one(
    worker: WorkerProcess,
) -> None:
    pid = _killed_holding_a_photo(worker)
    with pytest.raises(WorkerDied):  # a new child now would answer in the old one's place
        worker.submit(SAMPLE.read_bytes(), PERSON)
    with pytest.raises(WorkerDied):
        worker.collect()
    assert worker.screen(SAMPLE.read_bytes(), PERSON).hb_g_dl > 0
    assert worker._proc.pid != pid


def test_pool_of_processes_closes_its_children() -> None:
    before = _children()
    pool = InferencePool(WEIGHTS, workers=2, queue_size=2, make=WorkerProcess)
    pool.start()
    children = _children() - before
    assert len(children) == 2
    pool.close()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in children)


def _children() -> set[int]:
    """This process's live children, whichever of its threads started them."""
    return {p for p in descendants(os.getpid()) if alive(p)}


async def test_a_pool_of_one_process_answers_photos_queued_together_in_order() -> None:
    pool = InferencePool(WEIGHTS, workers=1, queue_size=8, make=WorkerProcess)
    pool.start()
    try:
        photos = [SAMPLE.read_bytes(), b"not an image", SAMPLE.read_bytes(), b""]
        done = await asyncio.gather(
            *(pool.screen(p, PERSON) for p in photos), return_exceptions=True
        )
    finally:
        pool.close()
    assert isinstance(done[0], Screening) and isinstance(done[2], Screening)
    assert done[0].hb_g_dl == done[2].hb_g_dl
    assert isinstance(done[1], ImageRejected) and isinstance(done[3], ImageRejected)
    assert done[1].code == "unsupported_format" and done[3].code == "empty"
