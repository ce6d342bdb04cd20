"""Per-person rate limit on photos: a sliding window per pseudonym, in this process's memory.

Behind a load balancer each process limits on its own, so the effective limit is at most
processes x limit; that is enough to stop one person from filling the inference queue.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_PEOPLE = 100_000  # forget the oldest windows beyond this many people


class RateLimiter:
    """At most `limit` events per `window_s` seconds per key."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for `key` and say whether it is within the limit."""
        now = self.clock()
        window = self.events.setdefault(key, deque())
        while window and window[0] <= now - self.window_s:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        if len(self.events) > MAX_PEOPLE:
            self.events.pop(next(iter(self.events)))
        return True
