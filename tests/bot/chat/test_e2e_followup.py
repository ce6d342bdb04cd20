"""A health worker's follow-up in the chat: the workers' menu, /pending, /case, /resolve, /stats;
and the same commands refused to someone who is not a worker.
"""

from __future__ import annotations

from bot.texts.i18n import t
from storage.db import make_engine, make_sessionmaker
from storage.pseudonyms import Pseudonymizer
from storage.screenings import record_screening
from storage.subjects import find_subject
from testbed.bot import KEY, WORKER_ID, running
from testbed.telegram import message_id
from tests.bot.e2e import inference_pool, weights_dir
from tests.storage.helpers import record

__all__ = ["inference_pool", "weights_dir"]
PERSON = 7_200_000_002


async def moderate_screening(url: str) -> None:
    """A worrying screening for PERSON, as if from earlier photos: it opens a case."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            p = Pseudonymizer("k1", KEY.encode())
            subject = await find_subject(session, candidates=p.candidates(PERSON))
            assert subject is not None
            await record_screening(session, subject_id=subject.id, record=record(9.0, "moderate"))
    finally:
        await engine.dispose()


async def test_a_health_worker_follows_up(fake_telegram, tmp_path, inference_pool):
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    fake.add_user(WORKER_ID, first_name="Kofi", username="kofi_chw")
    async with running(fake, url, inference_pool):
        menu = fake.commands_for({"type": "chat", "chat_id": WORKER_ID})
        assert "pending" in [c["command"] for c in menu]
        ja = fake.commands_for({"type": "chat", "chat_id": WORKER_ID}, "ja")
        assert {"command": "pending", "description": t("ja", "commands.pending")} in ja
        assert "pending" not in [c["command"] for c in fake.commands_for()]
        fake.send_text(PERSON, "/start")
        [terms] = await fake.wait_replies(PERSON, 1)
        fake.press_button(PERSON, message_id(terms), "consent:yes")
        await fake.wait_replies(PERSON, 3)
        fake.send_text(PERSON, "/pending")
        assert (await fake.wait_replies(PERSON, 4))[-1].params["text"] == t("en", "worker.denied")
        await moderate_screening(url)
        fake.send_text(WORKER_ID, "/pending")
        [listing] = await fake.wait_replies(WORKER_ID, 1)
        code = listing.params["text"].splitlines()[1].split(":")[0]
        fake.send_text(WORKER_ID, f"/case {code}")
        assert "9.0 g/dL" in (await fake.wait_replies(WORKER_ID, 2))[-1].params["text"]
        fake.send_text(WORKER_ID, f"/resolve {code} 9.6 iron started")
        done = (await fake.wait_replies(WORKER_ID, 3))[-1].params["text"]
        assert done == t("en", "worker.resolved", code=code, lab="9.6", hb="9.0")
        fake.send_text(WORKER_ID, "/stats")
        assert "0.60" in (await fake.wait_replies(WORKER_ID, 4))[-1].params["text"]
