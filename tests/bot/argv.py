"""`anemia-screen` command lines for the tests, built from keywords rather than spelt out."""

from __future__ import annotations

from pathlib import Path


def argv(command: str, *data: Path, **options: object) -> list[str]:
    """The command, `--data PATH` for each of `data`, then `--name value` for each option
    (`name_with_underscores` is `--name-with-underscores`; True: the flag alone)."""
    out = [command]
    for path in data:
        out += ["--data", str(path)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        out += [flag] if value is True else [flag, str(value)]
    return out
