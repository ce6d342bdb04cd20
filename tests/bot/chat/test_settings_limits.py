"""Limits on a photo's settings: MAX_PHOTO_BYTES never above what Telegram lets a bot download
(20 MB), PHOTO_TIMEOUT_S positive; either mistake stops `anemia-bot` with one line, exit 2."""

from __future__ import annotations

import pytest

from bot.services.settings import TELEGRAM_MAX_BYTES, BotSettings
from tests.bot.chat.test_security import GOOD_KEY, env, refused

__all__ = ["env"]  # fixture


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("MAX_PHOTO_BYTES", str(TELEGRAM_MAX_BYTES + 1), "less than or equal to 20971520"),
        ("MAX_PHOTO_BYTES", "0", "greater than or equal to 1"),
        ("PHOTO_TIMEOUT_S", "0", "greater than 0"),
    ],
)
def test_a_photo_limit_out_of_range_stops_the_bot(env, capsys, name, value, said) -> None:
    env.setenv("PSEUDONYM_KEY", GOOD_KEY)
    env.setenv(name, value)
    line, printed = refused(env, capsys)
    assert line.startswith(f"anemia-bot: {name}: Input should be {said}"), line
    assert "Traceback" not in printed


def test_telegrams_cap_itself_is_accepted(env) -> None:
    env.setenv("MAX_PHOTO_BYTES", str(TELEGRAM_MAX_BYTES))
    assert TELEGRAM_MAX_BYTES == 20 * 1024 * 1024
    assert BotSettings().max_photo_bytes == TELEGRAM_MAX_BYTES
    assert BotSettings().photo_timeout_s > 0
