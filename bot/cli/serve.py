"""`anemia-bot`: the Telegram bot (long polling, or `--webhook`), or with `--local` the whole
service on a web page on this machine, with no token and no network."""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from bot.chat import app as telegram_app


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="anemia-bot", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--webhook", action="store_true", help="serve a webhook (WEBHOOK_*)")
    mode.add_argument(
        "--local",
        action="store_true",
        help="a local trial: the chat and the dashboard at http://127.0.0.1:PORT/, no token",
    )
    parser.add_argument("--port", type=int, default=8080, help="the local trial's port")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the local trial's address: 127.0.0.1 (this machine only), or 0.0.0.0 to open it "
        "from a phone on the same network",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the bot, or the local trial, until interrupted; 2 when a setting is not valid."""
    args = _parse(argv)
    if not args.local:
        return telegram_app.main(["--webhook"] if args.webhook else [])
    from bot.services.settings import BotSettings
    from bot.web.app import invalid
    from bot.web.local import serve_local
    from bot.web.settings import get_web_settings
    from storage.settings import get_settings

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    if not 1 <= args.port <= 65535:
        print("anemia-bot: --port must be 1-65535", file=sys.stderr)
        return 2
    try:
        settings, storage, web = BotSettings(), get_settings(), get_web_settings()
    except ValidationError as e:
        print(f"anemia-bot: {invalid(e)}", file=sys.stderr)
        return 2
    serve_local(settings, storage, web, args.port, args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
