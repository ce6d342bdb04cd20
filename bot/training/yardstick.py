"""The served model beside its trivial baselines and what a referral costs, in Markdown, from
`metrics.json`'s `populations` (for the cards, the CV report and the README's generated block).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.training.baselines import NET_BENEFIT_PT, RULES
from model import demographics

LABELS = {  # the populations the shipped data hold, in the order a reader looks for them
    "cp-anemic": "children 6-59 months (CP-AnemiC)",
    "eyes-defy": "adults, both sites (Eyes-defy)",
    "eyes-defy-india": "adults, India",
    "eyes-defy-italy": "adults, Italy",
}


def label(key: str) -> str:
    return LABELS.get(key, key)


def ordered(metrics: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The populations, known ones first in `LABELS` order, then the rest by key."""
    pops: dict[str, dict[str, Any]] = metrics.get("populations", {})
    rank = {k: i for i, k in enumerate(LABELS)}
    return sorted(pops.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def figure(m: Mapping[str, Any] | None, key: str, sd: bool = False) -> str:
    """A figure to 2 places, with its SD over fold splits where asked and known; '-' if none."""
    if m is None or m.get(key) is None:
        return "-"
    spread = m.get("sd", {}).get(key) if sd else None
    return f"{m[key]:.2f}" + ("" if spread is None else f" ± {spread:.2f}")


def knows(m: Mapping[str, Any]) -> str:
    """What the population's demographics line was fitted on."""
    line = m.get("baselines", {}).get("demographics", {})
    return str(line.get("inputs", "age and sex"))


def baselines_table(metrics: Mapping[str, Any]) -> str:
    """Model, demographics line and training mean, MAE and AUROC, on the same folds."""
    lines = [
        "| population | n | MAE model | MAE demographics | MAE mean | AUROC model "
        "| AUROC demographics | AUROC mean |",
        "|---" * 8 + "|",
    ]
    for k, m in ordered(metrics):
        b = m.get("baselines", {})
        d, mean = b.get("demographics"), b.get("mean")
        lines.append(
            f"| {k} | {m['n']} | {figure(m, 'mae', True)} | {figure(d, 'mae', True)} "
            f"| {figure(mean, 'mae', True)} | {figure(m, 'auroc', True)} "
            f"| {figure(d, 'auroc', True)} | {figure(mean, 'auroc', True)} |"
        )
    return "\n".join(lines) + "\n"


def _rules(m: Mapping[str, Any], key: str) -> str:
    costs = m.get("referral", {})
    return " / ".join(figure(costs.get(r), key) for r in RULES)


def referral_table(metrics: Mapping[str, Any]) -> str:
    """Blood tests per anaemic person found and net benefit, for each referral rule."""
    lines = [
        "| population | anaemic of n | blood tests per anaemic person found: served / "
        f"everyone / demographics | net benefit at pt {NET_BENEFIT_PT:.2f}: served / everyone "
        "/ demographics |",
        "|---" * 4 + "|",
    ]
    for k, m in ordered(metrics):
        lines.append(
            f"| {k} | {m.get('anaemic', '-')} of {m['n']} | {_rules(m, 'tests_per_case')} "
            f"| {_rules(m, 'net_benefit')} |"
        )
    return "\n".join(lines) + "\n"


REFERRAL_NOTE = (
    "Served: the referral rule (estimate below the WHO cut-off plus the margin chosen on the "
    "other folds); everyone: a blood test for all; demographics: the same rule on the "
    "demographics line's estimates. Net benefit (decision-curve analysis): anaemic people "
    f"referred per person screened, less the others referred weighted by pt / (1 - pt), at pt "
    f"{NET_BENEFIT_PT:.2f}: a programme doing up to {round((1 - NET_BENEFIT_PT) / NET_BENEFIT_PT)}"
    " blood tests that find no anaemia to find one anaemic person. A rule beats referring no "
    "one (net benefit 0) when it buys fewer than "
    f"{round(1 / NET_BENEFIT_PT)} blood tests per anaemic person found."
)


def verdict(key: str, m: Mapping[str, Any]) -> str:
    """One sentence: does the photo beat the demographics line here, clearly, or not at all?"""
    d = m.get("baselines", {}).get("demographics")
    who = label(key)
    if d is None:
        return (
            f"- {who}: no baselines in the run these figures come from; the next `cv` of this "
            "cohort measures them."
        )
    line = f"the demographics line (least squares on {knows(m)}, same folds)"
    pair = (
        f"MAE {figure(m, 'mae')} against {figure(d, 'mae')}, AUROC {figure(m, 'auroc')} "
        f"against {figure(d, 'auroc')}"
    )
    if m["mae"] >= d["mae"]:
        return (
            f"- **{who}: the photo model's MAE is not lower than that of {line}** ({pair}): "
            f"here the photo adds nothing measurable to knowing the person's {knows(m)}."
        )
    if not demographics.clearly_better(m["mae"], d["mae"], m["auroc"], d["auroc"]):
        return (
            f"- **{who}: the photo model's MAE is lower than that of {line}, but not by a clear "
            f"margin** ({pair}; clear: MAE lower by {demographics.CLEAR_MAE:.2f} g/dL or AUROC "
            f"higher by {demographics.CLEAR_AUROC:.2f})."
        )
    return f"- {who}: the photo model clearly beats {line} ({pair})."


def verdicts(metrics: Mapping[str, Any]) -> str:
    """`verdict` for every population, one bullet each."""
    return "\n".join(verdict(k, m) for k, m in ordered(metrics)) + "\n"


def section(metrics: Mapping[str, Any]) -> str:
    """The cards' and the report's section: baselines, verdicts and referral costs."""
    return (
        "Beside the trivial baselines, on the same folds (and, for adults, the same repeated "
        "splits; '±': SD over them): 'demographics' is a least-squares line on age and sex "
        "(children) or sex, age and site (adults), fitted on the training folds only, an unknown "
        "age or sex taking the training mean with a flag column; 'mean' predicts the training "
        f"folds' mean Hb.\n\n{baselines_table(metrics)}\n{verdicts(metrics)}\n"
        f"What a referral costs:\n\n{referral_table(metrics)}\n{REFERRAL_NOTE}\n"
    )
