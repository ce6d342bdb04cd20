"""The README's "How good it is" figures, generated from `metrics.json` between two marker
comments, so they change only through `anemia-screen train` (which rewrites them) and a test
can check that the README shows what `metrics.json` holds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.training.baselines import RULES
from bot.training.yardstick import REFERRAL_NOTE, figure, label, ordered, verdicts

START = "<!-- figures: generated from model/weights/metrics.json by `anemia-screen train` -->"
END = "<!-- end of generated figures -->"


def _coverage(m: Mapping[str, Any]) -> str:
    """Own / served interval coverage (the same where a population has one interval)."""
    served = "coverage_served" if "coverage_served" in m else "coverage"
    return f"{figure(m, 'coverage')} / {figure(m, served)}"


def _row(k: str, m: Mapping[str, Any]) -> str:
    b = m.get("baselines", {})
    d, mean = b.get("demographics"), b.get("mean")
    return (
        f"| {label(k)} | {m['n']} | {figure(m, 'mae', True)} | {figure(d, 'mae', True)} "
        f"| {figure(mean, 'mae')} | {figure(m, 'pearson_r', True)} | {figure(m, 'auroc')} "
        f"| {figure(d, 'auroc')} | {figure(mean, 'auroc')} | {_coverage(m)} "
        f"| {figure(m, 'sensitivity')} / {figure(m, 'specificity')} |"
    )


def _cost(k: str, m: Mapping[str, Any]) -> str:
    costs = m.get("referral", {})
    tests = " / ".join(figure(costs.get(r), "tests_per_case") for r in RULES)
    benefit = " / ".join(figure(costs.get(r), "net_benefit") for r in RULES)
    return f"| {label(k)} | {m.get('anaemic', '-')} of {m['n']} | {tests} | {benefit} |"


def _loso(metrics: Mapping[str, Any]) -> str:
    rows: dict[str, dict[str, Any]] = metrics.get("leave_one_site_out", {})
    each = "; ".join(
        f"{label(k)} {v['mae']:.2f} ({v['mae_included']:.2f})" for k, v in rows.items()
    )
    if not each:
        return ""
    return (
        "A new site loses a lot. Fitted on the other populations only, the adults' model errs "
        "on each by (MAE g/dL; in brackets, the cross-validated MAE of the model serving it, "
        f"fitted with it): {each}.\n"
    )


def render(metrics: Mapping[str, Any]) -> str:
    """The generated block, markers included."""
    pops = ordered(metrics)
    table = "\n".join(_row(k, m) for k, m in pops)
    costs = "\n".join(_cost(k, m) for k, m in pops)
    child = dict(pops).get("cp-anemic")
    width = (
        f"The children's 90% interval is ± {child['half_width']:.2f} g/dL (the median over the "
        "folds; the served one is calibrated on every fold's errors): an estimate cannot tell "
        "mild anaemia from normal, only point out who most needs a blood test. "
        if child
        else ""
    )
    return (
        f"{START}\n"
        "| population | n | MAE g/dL | MAE demographics | MAE mean | r | AUROC (WHO cut-off) "
        "| AUROC demographics | AUROC mean | 90% interval coverage (own / served) "
        "| referral sensitivity / specificity |\n" + "|---" * 11 + f"|\n{table}\n\n"
        "Demographics: a least-squares line on age and sex (children) or sex, age and site "
        "(adults), fitted on the same training folds; mean: the training folds' mean Hb. Does "
        f"the photo earn its place?\n\n{verdicts(metrics)}\n"
        "What a referral costs (served rule / referring everyone / the same rule on the "
        "demographics line):\n\n"
        "| population | anaemic of n | blood tests per anaemic person found | net benefit |\n"
        + "|---" * 4
        + f"|\n{costs}\n\n{REFERRAL_NOTE}\n\n{width}{_loso(metrics)}{END}"
    )


def rewrite(readme: Path, metrics: Mapping[str, Any]) -> None:
    """Replace the block between the markers in `readme` with `render(metrics)`."""
    text = readme.read_text()
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no generated-figures markers")
    readme.write_text(text[:start] + render(metrics) + text[end + len(END) :])


def block(readme: Path) -> str:
    """The generated block as it stands in `readme`, markers included ('' when none)."""
    text = readme.read_text()
    start, end = text.find(START), text.find(END)
    return text[start : end + len(END)] if 0 <= start < end else ""
