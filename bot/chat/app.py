"""`anemia-bot`: the Telegram bot, by long polling or (`--webhook`) as a webhook server."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.services.inference_pool import pool_for
from bot.services.keys import StartupRefused, pseudonymizer_for
from bot.services.settings import BotSettings, get_bot_settings
from storage.settings import get_settings

if TYPE_CHECKING:
    from bot.chat.context import BotApplication
    from bot.pipeline.executor import Pool

WEBHOOK_PATH = "telegram"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="anemia-bot", description=__doc__)
    parser.add_argument("--webhook", action="store_true", help="serve a webhook (WEBHOOK_*)")
    return parser.parse_args(argv)


def _check(settings: BotSettings, webhook: bool) -> None:
    """Refuse to start on settings that cannot work or are unsafe, before loading models."""
    if not settings.telegram_bot_token.get_secret_value():
        raise StartupRefused("TELEGRAM_BOT_TOKEN is not set")
    if webhook and not (settings.webhook_url and settings.webhook_secret):
        raise StartupRefused("--webhook needs WEBHOOK_URL and WEBHOOK_SECRET")
    pseudonymizer_for(get_settings(), settings.anemia_dev_mode)


def _invalid(error: ValidationError) -> str:
    """Which settings are wrong and why, without their values (a value may be a secret)."""
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    return "; ".join(
        f"{'.'.join(map(str, p['loc'])).upper() or 'settings'}: {p['msg']}" for p in problems
    )


@contextlib.contextmanager
def stop_signals_held() -> Iterator[list[int]]:
    """SIGINT and SIGTERM noted in the list, not acted on, until the block ends: a
    KeyboardInterrupt in the middle of the bot's imports would leave them half done, and
    Python then ends killed by the signal it caught. The previous handlers come back after."""
    got: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda signum, _: got.append(signum)) for s in held}
    try:
        yield got
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def build_application(settings: BotSettings, *, loading: Pool, webhook: bool) -> BotApplication:
    """The Application (`bot.chat.application`), imported only now: python-telegram-bot,
    SQLAlchemy and the handlers take about a second to import, beside the loading models."""
    from bot.chat.application import build_application as build

    return build(settings, get_settings(), loading=loading, webhook=webhook)


def main(argv: list[str] | None = None) -> int:
    """Run the bot until interrupted; 2 when a setting refuses the start."""
    args = _parse(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    try:
        settings = get_bot_settings()
        _check(settings, args.webhook)
    except ValidationError as e:
        print(f"anemia-bot: {_invalid(e)}", file=sys.stderr)
        return 2
    except StartupRefused as e:
        print(f"anemia-bot: {e}", file=sys.stderr)
        return 2
    # the inference process loads the models while this one imports the bot (about as long)
    with stop_signals_held() as stops:
        loading = pool_for(settings)
        app = build_application(settings, loading=loading, webhook=args.webhook)
    if stops:  # Ctrl-C or SIGTERM before python-telegram-bot handles them: a clean stop
        loading.close()
        return 0
    from telegram import Update  # imported by now

    if not args.webhook:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
        return 0
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=WEBHOOK_PATH,
        secret_token=secret,
        webhook_url=settings.webhook_url,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
