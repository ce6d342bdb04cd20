"""The test of the lower-half finding: rho with its interval, MAE by tertile, the warning."""

from __future__ import annotations

import numpy as np

from bot.training import attention, attention_card


def _people(n: int, slope: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shares in [0, 1] and absolute errors that fall with the share by `slope` g/dL."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.0, 1.0, n)
    return share, np.abs(1.0 - slope * share + rng.normal(0.0, 0.3, n))


def test_a_low_share_with_larger_errors_grounds_a_warning() -> None:
    share, err = _people(150, slope=0.8)
    a = attention.relation(share, err, seed=0)
    lo, hi = _pair(a["rho_ci95"])
    assert a["holds"] and lo < float(a["spearman_rho"]) < hi < 0  # type: ignore[arg-type]
    low, mid, high = (float(m) for m in a["mae_by_tertile"])  # type: ignore[attr-defined]
    assert low > mid > high
    assert a["warn_below"] == a["tertile_edges"][0]  # type: ignore[index]
    fields = attention.config_fields({"populations": {"p": {"attention": a}}}, "p")
    assert fields == {"attention_threshold": a["warn_below"], "attention_mae": a["mae_below"]}
    assert "warns" in attention_card.decision(*_args(fields), population="p")


def test_no_relation_no_warning() -> None:
    share, err = _people(150, slope=0.0)
    a = attention.relation(share, err, seed=0)
    lo, hi = _pair(a["rho_ci95"])
    assert lo < 0 < hi and not a["holds"] and a["warn_below"] is None
    fields = attention.config_fields({"populations": {"p": {"attention": a}}}, "p")
    assert fields == {"attention_threshold": None, "attention_mae": None}
    assert "No low-attention warning" in attention_card.decision(*_args(fields), population="p")


def test_no_warning_where_a_middle_third_errs_most() -> None:
    """rho below 0 throughout, but the middle third errs most: the lowest third is not the
    worst group, and a warning below its edge would not single out the worst estimates."""
    rng = np.random.default_rng(1)
    share = rng.uniform(0.0, 1.0, 300)
    err = np.where(share < 2 / 3, 1.0 + 0.5 * share, 0.2) + rng.normal(0.0, 0.05, 300)
    a = attention.relation(share, err, seed=0)
    low, mid, high = (float(m) for m in a["mae_by_tertile"])  # type: ignore[attr-defined]
    assert _pair(a["rho_ci95"])[1] < 0 and mid > low > high
    assert not a["holds"] and a["warn_below"] is None


def test_shares_without_heat_count_as_zero_and_few_people_give_no_figures() -> None:
    share, err = _people(150, slope=0.8)
    share[:5] = np.nan  # no heat at all: served as 0, the lowest share
    assert attention.relation(share, err, seed=0)["holds"]
    few = attention.relation(share[:5], err[:5], seed=0)
    assert few["holds"] is False and "spearman_rho" not in few


def test_each_population_and_a_dataset_split_into_sites() -> None:
    share, err = _people(120, slope=0.8)
    pop = np.array(["d-north", "d-south"] * 60)
    found = attention.by_population(share, err, pop, np.array(["d"] * 120), seed=0)
    assert set(found) == {"d", "d-north", "d-south"} and found["d"]["n"] == 120


def _args(fields: dict[str, float | None]) -> tuple[float | None, float | None]:
    return fields["attention_threshold"], fields["attention_mae"]


def _pair(v: object) -> tuple[float, float]:
    assert isinstance(v, list) and len(v) == 2
    return float(v[0]), float(v[1])
