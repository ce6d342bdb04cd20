"""The packages' layers, enforced: import-linter's contracts in pyproject.toml, and the
migration scripts (not a package, so outside import-linter's reach) checked here."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
# the standard library, the migration tools, and of ours only storage/
MIGRATION_IMPORTS = {"alembic", "sqlalchemy", "storage", *sys.stdlib_module_names}


def test_import_contracts_are_kept() -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)  # lint-imports reads ./pyproject.toml
    try:
        assert lint_imports(no_cache=True, no_logo=True) == 0
    finally:
        os.chdir(cwd)


def test_migration_scripts_import_only_storage() -> None:
    for script in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        tree = ast.parse(script.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in MIGRATION_IMPORTS, (script.name, name)


def test_docs_hold_no_code() -> None:
    # experiments live in studies/ (typed, linted, under the contracts); docs/ holds their pages
    assert sorted((ROOT / "docs").rglob("*.py")) == []
