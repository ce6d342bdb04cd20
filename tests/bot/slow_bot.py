"""`anemia-bot` with each screening slowed by ANEMIA_TEST_SLOW_S seconds, and each result's
replies by ANEMIA_TEST_SLOW_SEND_S, so that a test can kill the process while a photo is being
screened, or after its screening is logged and before the person is told. For tests only: run
as a module.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bot.chat import handlers
from bot.chat.app import main
from bot.pipeline.executor import ExecutorPool
from bot.pipeline.screening import Screener
from bot.services.base import Out


def slowed(screen: Callable[..., Any]) -> Callable[..., Any]:
    def slow_screen(self: object, *args: object, **kwargs: object) -> object:
        time.sleep(float(os.environ.get("ANEMIA_TEST_SLOW_S", "0")))
        return screen(self, *args, **kwargs)

    return slow_screen


def slowed_async(screen: Callable[..., Any]) -> Callable[..., Any]:
    async def slow_screen(self: object, *args: object, **kwargs: object) -> object:
        await asyncio.sleep(float(os.environ.get("ANEMIA_TEST_SLOW_S", "0")))
        return await screen(self, *args, **kwargs)

    return slow_screen


def slowed_result(send: Callable[..., Any]) -> Callable[..., Any]:
    """`send` that waits ANEMIA_TEST_SLOW_SEND_S before replies carrying a result: the
    screening is logged by then, and a test can kill the process before the person is told."""

    async def slow_send(update: object, context: object, outs: list[Out]) -> None:
        if any(out.photo for out in outs):
            await asyncio.sleep(float(os.environ.get("ANEMIA_TEST_SLOW_SEND_S", "0")))
        await send(update, context, outs)

    return slow_send


if __name__ == "__main__":
    # in this process: the pool's call (child processes), or a thread that screens itself
    ExecutorPool.screen = slowed_async(ExecutorPool.screen)  # type: ignore[method-assign]
    Screener.screen = slowed(Screener.screen)  # type: ignore[method-assign]
    handlers.send = slowed_result(handlers.send)
    sys.exit(main())
