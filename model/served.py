"""What the config of every model that serves people carries beside its hyperparameters.

The children's ensemble, the adults' model and a programme's adaptation each state the interval
they give, the referral margin chosen for them, the version stored with every screening and the
population whose figures apply. Config classes inherit these fields (keyword-only, so their own
fields keep their order), and the weights' JSON stays flat: `checkpoint` reads inherited fields
as any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Calibration:
    coverage: float = 0.9  # nominal coverage of the interval
    refer_margin: float = float("nan")  # g/dL above the WHO cut-off below which we refer
    version: str = "untrained"
    population: str = ""  # the datasets its figures come from, e.g. "cp-anemic", "eyes-defy"


@dataclass(frozen=True, kw_only=True)
class Binned(Calibration):
    # Mondrian split-conformal interval (`conformal.binned`): half-width (g/dL) per bin of the
    # estimate, bins split at `bin_edges`
    bin_edges: tuple[float, ...] = ()
    half_widths: tuple[float, ...] = ()


def adapter_stem(cohort: str) -> str:
    """A programme's adaptation's file name for this cohort, less its suffix (`model.adapter`)."""
    return f"adapted-{cohort}"


def adapter_exists(directory: Path, cohort: str) -> bool:
    """Whether `directory` holds an adaptation for this cohort: asked without importing Flax."""
    return (directory / f"{adapter_stem(cohort)}.msgpack").is_file()
