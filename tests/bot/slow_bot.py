"""`anemia-bot` with each screening slowed by ANEMIA_TEST_SLOW_S seconds, so that a test can
kill the process while a photo is being screened. For tests only: run as a module.
"""

from __future__ import annotations

import os
import sys
import time

from bot.app import main
from bot.screening import Screener

_screen = Screener.screen


def _slow_screen(self: Screener, *args: object, **kwargs: object) -> object:
    time.sleep(float(os.environ.get("ANEMIA_TEST_SLOW_S", "0")))
    return _screen(self, *args, **kwargs)  # type: ignore[arg-type]


if __name__ == "__main__":
    Screener.screen = _slow_screen  # type: ignore[method-assign,assignment]
    sys.exit(main())
