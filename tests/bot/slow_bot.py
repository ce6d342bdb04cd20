"""`anemia-bot` with each screening slowed by ANEMIA_TEST_SLOW_S seconds, so that a test can
kill the process while a photo is being screened. For tests only: run as a module.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bot.app import main
from bot.screening import Screener
from bot.worker_process import WorkerProcess


def slowed(screen: Callable[..., Any]) -> Callable[..., Any]:
    def slow_screen(self: object, *args: object, **kwargs: object) -> object:
        time.sleep(float(os.environ.get("ANEMIA_TEST_SLOW_S", "0")))
        return screen(self, *args, **kwargs)

    return slow_screen


if __name__ == "__main__":
    # in this process: the thread that drives a worker process, or screens itself
    WorkerProcess.screen = slowed(WorkerProcess.screen)  # type: ignore[method-assign]
    Screener.screen = slowed(Screener.screen)  # type: ignore[method-assign]
    sys.exit(main())
