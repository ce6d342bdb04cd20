"""`anemia-screen`: predict from a photo, cross-validate, and train the shipped weights."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable

from bot.cli import learn, predict
from bot.cli.errors import EXIT_INTERNAL, EXIT_REJECTED, EXIT_USAGE, CliError
from bot.pipeline.decode import ImageRejected

__all__ = ["EXIT_INTERNAL", "EXIT_REJECTED", "EXIT_USAGE", "CliError", "main"]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="anemia-screen", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    predict.add_parser(sub)
    learn.add_parsers(sub)
    if _command(argv) != "predict":  # their parsers come with the database layer: seconds
        from bot.cli import adapt, folds, followups, prune, weblink

        for module in (followups, adapt, prune, weblink, folds):
            module.add_parsers(sub)
    return p.parse_args(argv)


def _command(argv: list[str] | None) -> str | None:
    """The sub-command asked for: the first argument that is not an option."""
    given = sys.argv[1:] if argv is None else argv
    return next((arg for arg in given if not arg.startswith("-")), None)


def _elsewhere(module: str) -> Callable[[argparse.Namespace], int]:
    """A sub-command whose module (and the database layer with it) loads when it runs."""

    def run(a: argparse.Namespace) -> int:
        return int(importlib.import_module(module).run(a))

    return run


def _usage_errors() -> tuple[type[Exception], ...]:
    """CliError, and the sub-commands' own usage errors where their modules have loaded (an
    error of a module that never loaded cannot have been raised)."""
    found: list[type[Exception]] = [CliError]
    for module, name in (
        ("bot.cli.screening_log", "RecordsError"),
        ("bot.cli.adapt", "AdaptCliError"),
        ("bot.cli.folds", "FoldsError"),
    ):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


COMMANDS = {
    "predict": predict.run,
    "cv": learn.learn,
    "train": learn.learn,
    "train-seg": learn.train_seg,
    "followups": _elsewhere("bot.cli.followups"),
    "stats": _elsewhere("bot.cli.followups"),
    "export": _elsewhere("bot.cli.adapt"),
    "adapt": _elsewhere("bot.cli.adapt"),
    "prune": _elsewhere("bot.cli.prune"),
    "web-link": _elsewhere("bot.cli.weblink"),
    "folds": _elsewhere("bot.cli.folds"),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr and a non-zero exit for anything that goes wrong."""
    a = _args(argv)
    try:
        return COMMANDS[a.command](a)
    except ImageRejected as e:
        why = predict.why_rejected(e)
        if getattr(a, "json", False):
            print(json.dumps({"rejected": e.code, "message": why}))
        print(f"anemia-screen: cannot screen this image: {why}", file=sys.stderr)
        return EXIT_REJECTED
    except _usage_errors() as e:
        print(f"anemia-screen: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback at the terminal; the one line says what failed
        print(f"anemia-screen: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
