"""The project's dependencies: each has an upper bound, so a new major release cannot break an
install unannounced."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def test_every_dependency_has_an_upper_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    deps = [*project["build-system"]["requires"], *project["project"]["dependencies"]]
    for extra in project["project"].get("optional-dependencies", {}).values():
        deps += extra
    assert len(deps) > 10
    unbounded = [
        d
        for d in deps
        if not any(s.operator in ("<", "<=", "==", "~=", "===") for s in Requirement(d).specifier)
    ]
    assert not unbounded
