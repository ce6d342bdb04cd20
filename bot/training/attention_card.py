"""The cards' section on `attention_lower_half`: whether a low share went with a larger error,
per population, and the warning that follows (`bot.training.attention`)."""

from __future__ import annotations

from typing import Any

MAPS = {
    "children": "Grad-CAM of the ensemble",
    "adults": (
        "an occlusion map: each of 6x8 cells over the lining's crop is painted the lining's "
        "mean colour in turn, the colour statistics measured again and the estimate's change "
        "taken as the cell's weight"
    ),
}


def _row(key: str, a: dict[str, Any]) -> str:
    if "spearman_rho" not in a:
        return f"| {key} | {a['n']} | {a['share_median']:.2f} | too few | | | |"
    lo, hi = a["rho_ci95"]
    maes = " / ".join(f"{m:.2f}" for m in a["mae_by_tertile"])
    edges = ", ".join(f"{e:.2f}" for e in a["tertile_edges"])
    holds = "yes" if a["holds"] else "no"
    return (
        f"| {key} | {a['n']} | {a['share_median']:.2f} | {a['spearman_rho']:+.2f} "
        f"({lo:+.2f} to {hi:+.2f}) | {maes} | {edges} | {holds} |"
    )


def table(metrics: dict[str, Any], keys: list[str]) -> str:
    """The figures of the populations `keys` (those with `attention`)."""
    pops = metrics.get("populations", {})
    rows = [_row(k, pops[k]["attention"]) for k in keys if "attention" in pops.get(k, {})]
    if not rows:
        return "Not measured in this run.\n"
    head = (
        "| population | n | median share | Spearman rho, share vs absolute error (95% CI) "
        "| MAE by tertile of the share, lowest first | tertile edges | relation holds |\n"
        + "|---" * 7
        + "|\n"
    )
    return head + "\n".join(rows) + "\n"


def decision(
    threshold: float | None,
    mae: float | None,
    population: str,
    above: float | None = None,
    found: dict[str, Any] | None = None,
) -> str:
    """What the served model does with the finding, in words (`above`: the MAE of the rest;
    `found`: the population's `attention` figures, to say why there is no warning)."""
    rest = f", against {above:.2f} g/dL at or above it" if above is not None else ""
    if threshold is not None and mae is not None:
        return (
            f"The relation holds for `{population}` (rho's whole interval is below 0 and the "
            "lowest third of the share erred most of the three), so the "
            f"service warns that an estimate is less reliable when its share is below "
            f"{threshold:.2f} (the lower tertile's edge, chosen on out-of-fold shares): out of "
            f"fold such estimates erred by {mae:.2f} g/dL on average (MAE){rest}."
        )
    return (
        f"No low-attention warning for `{population}`: out of fold, {_why_not(found or {})}, "
        "so a warning would not single out the worse estimates. The picture is still shown."
    )


def _why_not(found: dict[str, Any]) -> str:
    """Which condition of the warning failed, in words."""
    if "rho_ci95" not in found:
        return "too few people to tell"
    if found["rho_ci95"][1] >= 0:
        return "a low share did not go with a larger error (rho's interval reaches 0 or above)"
    return (
        "the lowest third of the share did not err most (MAE by tertile "
        + " / ".join(f"{m:.2f}" for m in found["mae_by_tertile"])
        + ", lowest share first), though rho is below 0"
    )


def section(
    metrics: dict[str, Any],
    cohort: str,
    keys: list[str],
    threshold: float | None,
    mae: float | None,
    pop: str,
) -> str:
    """The whole section for one cohort's card."""
    said = decision(threshold, mae, pop, _above(metrics, pop), _found(metrics, pop))
    return (
        "## Where each estimate came from\n\n"
        f"Every estimate comes with a picture of where it came from: {MAPS[cohort]}. Its share "
        "on the lower half of the lining (`attention_lower_half`, column by column below the "
        "mid-line) is the same measure for both models. Kato et al. 2024 saw that good "
        "estimates attend to the lower half; tested here on out-of-fold estimates (each "
        "person's share from the model of the fold that did not see them, against its "
        "absolute error; bootstrap over people, 2000 resamples):\n\n"
        f"{table(metrics, keys)}\n{said}\n"
    )


def _found(metrics: dict[str, Any], population: str) -> dict[str, Any]:
    """The population's `attention` figures ({} where not measured)."""
    return dict(metrics.get("populations", {}).get(population, {}).get("attention", {}))


def _above(metrics: dict[str, Any], population: str) -> float | None:
    """The MAE at or above the warning's share, where measured."""
    found = _found(metrics, population)
    above = found.get("mae_above")
    return float(above) if above is not None else None
