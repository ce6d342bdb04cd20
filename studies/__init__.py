"""The studies: each is a script that measures one thing the service's design rests on (which
model for adults, how the interval's rank is taken, how many people an adaptation needs...) on
the shared data and writes its page, a Markdown table with the method above it, under
`docs/cv/` or `docs/studies/`; some also record their figures in `model/weights/metrics.json`.
Run one from the repository root as `python -m studies.NAME`; many take minutes to hours. The
application never imports a study (an import contract in pyproject.toml); studies import the
application to measure it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the shared data sets sit beside the checkout, as tests/conftest.py finds them
DATA = REPO.parent / "shared" / "data"
EYES_DEFY = DATA / "eyes-defy"
CP_ANEMIC = DATA / "cp-anemic"
PAGES = REPO / "docs" / "cv"  # the pages of the studies that the model cards and README cite


def parse_args(doc: str | None) -> argparse.Namespace:
    """A study's command line: it takes no options, but `--help` says what it measures."""
    spec = sys.modules["__main__"].__spec__  # None when run as a file, not with -m
    parser = argparse.ArgumentParser(
        prog=f"python -m {spec.name}" if spec else None,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.parse_args()
