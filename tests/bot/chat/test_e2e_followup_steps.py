"""The workers' follow-up steps through Telegram: /pending with filters, /contacted, /take,
/note, /decline and /case's history, each command's words reaching its service intact.
"""

from __future__ import annotations

from bot.texts.i18n import t
from testbed.bot import WORKER_ID, running
from testbed.telegram import message_id
from tests.bot.chat.conftest import StubPool
from tests.bot.chat.test_e2e_followup import PERSON, moderate_screening


async def test_a_worker_contacts_takes_notes_and_declines(fake_telegram, tmp_path):
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    async with running(fake, url, StubPool()):
        fake.send_text(PERSON, "/start")
        [terms] = await fake.wait_replies(PERSON, 1)
        fake.press_button(PERSON, message_id(terms), "consent:yes")
        await fake.wait_replies(PERSON, 3)
        await moderate_screening(url)
        said: list[str] = []

        async def say(text: str) -> str:
            said.append(text)
            fake.send_text(WORKER_ID, text)
            return str((await fake.wait_replies(WORKER_ID, len(said)))[-1].params["text"])

        listing = await say("/pending moderate,severe 0 page 1")
        assert listing.startswith(t("en", "worker.pending_header", n=1, page=1, pages=1))
        code = listing.splitlines()[1].split(":")[0]
        assert await say("/pending page two") == t("en", "worker.pending_usage")
        typed = code.replace("-", "").lower()
        assert await say(f"/contacted {typed} no answer") == t("en", "worker.contacted", code=code)
        assert await say(f"/take {code}") == t("en", "worker.taken", code=code)
        assert await say(f"/note {code} will call on Monday") == t("en", "worker.noted", code=code)
        assert await say(f"/decline {code}") == t("en", "worker.decline_usage")
        assert await say(f"/decline {code} moved away") == t("en", "worker.declined", code=code)
        assert await say(f"/contacted {code}") == t("en", "worker.bad_transition", code=code)
        shown = await say(f"/case {code}")
        assert "Status: declined" in shown and "Assigned to: you" in shown
        assert shown.endswith("note by you: moved away")
        assert "note by you: will call on Monday" in shown and str(WORKER_ID) not in shown
        fake.send_text(PERSON, f"/take {code}")
        assert (await fake.wait_replies(PERSON, 4))[-1].params["text"] == t("en", "worker.denied")
