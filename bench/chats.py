"""People talking to the bot through the stand-in Bot API server, and their answers."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.botproc import Alive, LoadError
from bot.services.settings import BotSettings
from bot.texts import i18n
from testbed.telegram import Call, FakeTelegram, buttons, message_id

AGE_GROUP = "child_24_59m"
FIRST_USER = 6_100_000_001
WHO: dict[str, Any] = {"first_name": "Load", "username": None, "language_code": "en"}
REPLY_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "editmessagetext"})
SETUP_AT_ONCE = 8  # people going through consent and profile at the same time
TRY_AGAIN = {
    "busy": "try again: busy",
    "rate_limited": "try again: rate limit",
    "save_failed": "try again: not saved",
    "conflict": "try again: conflict",
    "db_unavailable": "try again: database unreachable",
    "error": "error",
}


async def enrol(fake: FakeTelegram, user: int, timeout: float) -> None:
    """/start, consent, the profile's age group: ready to send photos."""
    fake.send_text(user, "/start", **WHO)
    [terms] = await fake.wait_replies(user, 1, timeout)
    if "consent:yes" not in buttons(terms):
        raise LoadError("the /start reply carried no consent button")
    fake.press_button(user, message_id(terms), "consent:yes", **WHO)
    replies = await fake.wait_replies(user, 3, timeout)
    if f"age:{AGE_GROUP}" not in buttons(replies[-1]):
        raise LoadError("consent was not followed by the profile's age question")
    fake.press_button(user, message_id(replies[-1]), f"age:{AGE_GROUP}", **WHO)
    saved = (await fake.wait_replies(user, 4, timeout))[-1]
    expected = i18n.t("en", "profile.saved", group=i18n.t("en", f"group.{AGE_GROUP}"))
    if not str(saved.params.get("text", "")).startswith(expected):  # then the research line
        raise LoadError(f"the profile was not saved: {str(saved.params.get('text'))[:80]!r}")


async def enrol_all(fake: FakeTelegram, users: list[int], timeout: float) -> None:
    limit = asyncio.Semaphore(SETUP_AT_ONCE)

    async def one(user: int) -> None:
        async with limit:
            await enrol(fake, user, timeout)

    await asyncio.gather(*(one(user) for user in users))


def answer_kinds() -> dict[str, str]:
    """Reply text -> kind, for every message that ends a photo without a result."""
    mb = BotSettings.model_fields["max_photo_bytes"].default // 2**20
    kinds = {i18n.t("en", key): kind for key, kind in TRY_AGAIN.items() if i18n.has(key)}
    for key in i18n.catalog("en"):
        if key.startswith("reject."):
            kinds[i18n.t("en", key, mb=mb)] = "picture refused"
    return kinds


@dataclass
class Answers:
    """The bot's answers to photos per chat, read from the stand-in's calls as they come."""

    fake: FakeTelegram
    chats: set[int]
    seen: int  # calls before this index are not ours
    kinds: dict[str, str] = field(default_factory=answer_kinds)
    done: dict[int, list[tuple[float, str]]] = field(default_factory=lambda: defaultdict(list))
    served: dict[int, float] = field(default_factory=dict)  # update_id -> getUpdates call at

    def read(self) -> None:
        calls = self.fake.calls
        for call in calls[self.seen :]:
            if call.method == "getUpdates" and call.status == 200:
                for update in call.result or []:
                    self.served.setdefault(update["update_id"], call.at)
            elif call.chat_id in self.chats and call.delivered:
                kind = self.kind_of(call)
                if kind is not None:
                    self.done[call.chat_id].append((call.at, kind))
        self.seen = len(calls)
        for uid, at in self.fake.pushed.items():  # replicas: POSTed to a webhook
            self.served.setdefault(uid, at)

    def kind_of(self, call: Call) -> str | None:
        """The kind of answer this reply ends; None when it is no reply or more follow."""
        method = call.method.lower()
        if method not in REPLY_METHODS:
            return None
        if method == "sendphoto":
            return "result"  # the Grad-CAM overlay, after the result text
        text = str(call.params.get("text", ""))
        if " g/dL" in text and i18n.t("en", "notice") in text:
            return None  # the result text; the overlay follows
        return self.kinds.get(text, "other")

    async def wait(self, want: int, proc: Alive, timeout: float) -> bool:
        """Until every chat has `want` answers (True), the bot exits or time is up (False)."""
        end = time.monotonic() + timeout
        while True:
            self.read()
            if all(len(self.done[chat]) >= want for chat in self.chats):
                return True
            if proc.poll() is not None or time.monotonic() > end:
                return False
            await asyncio.sleep(0.05)


def push_burst(
    fake: FakeTelegram, users: list[int], photos: list[bytes], per_person: int
) -> tuple[dict[int, int], float]:
    """Every person's photos, round by round: (update_id -> user, when the last was queued).

    Queueing runs in the stand-in's event loop, so nothing is served before it ends.
    """
    sent = {}
    for k in range(per_person):
        for i, user in enumerate(users):
            sent[fake.send_photo(user, photos[(i * per_person + k) % len(photos)], **WHO)] = user
    return sent, time.monotonic()


def served_at(sent: dict[int, int], queued: float, answers: Answers) -> dict[int, float]:
    """update_id -> when the getUpdates answer carrying it was sent.

    A long poll already waiting is answered once the queueing is done, not when it was asked.
    """
    return {uid: max(answers.served[uid], queued) for uid in sent if uid in answers.served}


def latencies_ms(sent: dict[int, int], served: dict[int, float], answers: Answers) -> list[float]:
    """Served -> last reply, the k-th photo served in a chat paired with its k-th answer."""
    starts: dict[int, list[float]] = defaultdict(list)
    for uid, at in served.items():
        starts[sent[uid]].append(at)
    out = []
    for user, begun in starts.items():
        ends = sorted(at for at, _ in answers.done[user])
        out += [(end - start) * 1e3 for start, end in zip(sorted(begun), ends, strict=False)]
    return out
