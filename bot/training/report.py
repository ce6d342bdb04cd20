"""Markdown report and figures for a cross-validation run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt

from bot.training import attention_card
from bot.training.data import DedupReport, duplicates
from bot.training.evaluate import MODELS, OutOfFold, score
from bot.training.yardstick import section

LABELS = {
    "mean": "Predict the training mean",
    "colour": "Colour statistics + age/sex (ridge)",
    "cnn": "CNN, one seed",
    "ensemble": "Shipped ensemble (CNN seeds averaged)",
}


def metrics_table(oof: OutOfFold) -> str:
    """One Markdown row per model, all out-of-fold."""
    head = (
        "| model | MAE | RMSE | r | bias | 95% LoA | AUROC (<11) | AUROC (WHO) | sens | spec "
        f"| {oof.coverage:.0%} PI coverage | PI half-width |\n" + "|---" * 12 + "|\n"
    )
    rows = []
    for name in MODELS:
        m = score(oof, name)
        rows.append(
            f"| {LABELS[name]} | {m['mae']:.2f} | {m['rmse']:.2f} | {m['pearson_r']:.2f} "
            f"| {m['bias']:+.2f} | {m['loa_low']:.2f} to {m['loa_high']:.2f} | {m['auroc']:.2f} "
            f"| {m['auroc_who']:.2f} | {m['sensitivity_who']:.2f} | {m['specificity_who']:.2f} "
            f"| {m['coverage']:.2f} | {m['half_width']:.2f} |"
        )
    return head + "\n".join(rows) + "\n"


def dedup_text(rep: DedupReport) -> str:
    """What de-duplication found and dropped."""
    kinds = ", ".join(f"{k} {n}" for k, n in rep.kinds.items()) or "none"
    searched = "copies in every form" if rep.near else "identical files only"
    return (
        f"{rep.rows} labelled rows, {rep.distinct} distinct files ({rep.byte_groups} saved more "
        f"than once), {rep.photographs} distinct photographs ({searched}); "
        f"{rep.copy_groups} photographs filed more than once, by the most changed copy: {kinds}; "
        f"{rep.multi_site_groups} of them under more than one hospital or site, "
        f"{rep.differing_groups} with differing Hb, {rep.conflicting_groups} of these more than "
        f"{rep.tolerance:g} g/dL apart (dropped whole); {len(rep.dropped_keys)} rows dropped, "
        f"{rep.kept} images kept."
    )


def gap_text(rep: DedupReport) -> str:
    """How clearly the copies stood apart from the other candidate pairs."""
    matched, other = rep.gap
    found = (
        f"Copies matched at a mean RGB difference of at most {matched:.2f}, the closest other "
        if math.isfinite(matched)
        else "No copies matched; the closest "
    )
    unlike = f"; {rep.unlike_texture} as close whose texture differs" if rep.unlike_texture else ""
    return (
        f"{found}candidate pair at {other:.2f} (of 255, after alignment and smoothing; "
        f"threshold {duplicates.RESIDUAL_MAX:g}){unlike}; {rep.seconds:.0f} s."
    )


def plots(oof: OutOfFold, out: Path) -> tuple[Path, Path]:
    """Scatter of predicted vs measured Hb and a Bland-Altman plot for the ensemble."""
    y, p = oof.hb, oof.preds["ensemble"]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(y, p, s=10, alpha=0.6)
    lo, hi = float(min(y.min(), p.min())) - 0.5, float(max(y.max(), p.max())) + 0.5
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set(xlabel="Measured Hb (g/dL)", ylabel="Predicted Hb (g/dL)", title="Out-of-fold estimates")
    scatter = out / "scatter.png"
    fig.savefig(scatter, dpi=120, bbox_inches="tight")
    plt.close(fig)
    m = score(oof, "ensemble")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter((y + p) / 2, p - y, s=10, alpha=0.6)
    for v, style in ((m["bias"], "-"), (m["loa_low"], "--"), (m["loa_high"], "--")):
        ax.axhline(v, color="k", ls=style, lw=1)
    ax.set(
        xlabel="Mean of measured and predicted (g/dL)",
        ylabel="Predicted - measured (g/dL)",
        title="Bland-Altman",
    )
    bland = out / "bland_altman.png"
    fig.savefig(bland, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return scatter, bland


def _sd(m: Mapping[str, object], key: str) -> str:
    """A figure, with its SD over repeated fold splits where there were several."""
    sd: dict[str, float] = m.get("sd", {})  # type: ignore[assignment]
    return f"{m[key]:.2f}" + (f" ± {sd[key]:.2f}" if key in sd else "")


def _anaemic_covered(m: Mapping[str, object]) -> str:
    """Interval coverage among the anaemic, own / served ('-' where not measured)."""
    own = m.get("coverage_anaemic")
    served = m.get("coverage_anaemic_served", own)
    return "-" if own is None else f"{own:.2f} / {served:.2f}"


def populations_table(metrics: dict[str, object]) -> str:
    """Per-population figures of the model serving each population, and leave-one-site-out."""
    pops: dict[str, dict[str, float]] = metrics.get("populations", {})  # type: ignore[assignment]
    head = (
        "| population | n | MAE | RMSE | r | AUROC (WHO) | PI coverage | PI half-width "
        "| served PI coverage | served half-width | anaemic covered (own / served) "
        "| referral sens | referral spec |\n" + "|---" * 13 + "|\n"
    )
    rows = [
        f"| {k} | {m['n']} | {_sd(m, 'mae')} | {m['rmse']:.2f} | {_sd(m, 'pearson_r')} "
        f"| {m['auroc']:.2f} | {_sd(m, 'coverage')} | {m['half_width']:.2f} "
        f"| {m.get('coverage_served', m['coverage']):.2f} "
        f"| {m.get('half_width_served', m['half_width']):.2f} | {_anaemic_covered(m)} "
        f"| {m['sensitivity']:.2f} | {m['specificity']:.2f} |"
        for k, m in pops.items()
    ]
    loso: dict[str, dict[str, float]] = metrics.get("leave_one_site_out", {})  # type: ignore[assignment]
    text = head + "\n".join(rows) + "\n"
    if loso:
        text += "\nLeave one site out (the adults' colour-statistics model fitted on the other "
        text += "populations named, tested on this one; 'with it' is the serving model's CV):\n\n"
        text += "| site | n | MAE without it | r without it | MAE with it (CV) | fitted on |\n"
        text += "|---" * 6
        for k, m in loso.items():
            text += f"|\n| {k} | {m['n']} | {m['mae']:.2f} | {m['pearson_r']:.2f} "
            text += f"| {m['mae_included']:.2f} | {', '.join(m.get('trained_on', ['?']))} "  # type: ignore[arg-type]
        text += "|\n"
    return text


POPULATIONS_NOTE = (
    "Each population is scored by the model that serves it (children 6-59 months: the CNN "
    "ensemble; adults: the colour-statistics model), out of fold. AUROC and the referral rule "
    "use each person's WHO 2024 cut-off; the referral rule (estimate below cut-off + margin) "
    "and the interval width are calibrated on the other folds only. 'PI coverage' is of each "
    "population's own interval (for adults, calibrated per site); 'served' is of the interval "
    "a new user gets (for adults, the wider of the sites' widths in each bin). 'Anaemic "
    "covered': the same coverage among people below their cut-off, whose Hb the estimates "
    "overshoot most ('-': not measured in the run these figures come from). '±': SD over "
    "repeated fold splits (adults), whose mean the figure is."
)


def write(
    oof: OutOfFold | None,
    dedup: DedupReport,
    *,
    out: Path,
    how: str,
    populations: dict[str, object],
) -> Path:
    """Write `report.md`: per-population figures, the share of each model's map on the lower
    half against its error, then (with children) the CNN's table and both figures."""
    out.mkdir(parents=True, exist_ok=True)
    text = (
        f"# Cross-validated Hb estimation\n\n{how}\n\n## Data\n\n{dedup_text(dedup)}"
        f"{(' ' + gap_text(dedup)) if dedup.near else ''}\n\n"
        f"## Per population\n\n{populations_table(populations)}\n{POPULATIONS_NOTE}\n\n"
        f"## Baselines and what a referral costs\n\n{section(populations)}\n"
        f"## Where each estimate came from\n\n{_attention(populations)}\n"
    )
    if oof is not None:
        text += _children_section(oof, out)
    path = out / "report.md"
    path.write_text(text)
    return path


def _attention(populations: dict[str, object]) -> str:
    """Each population's `attention` figures (`bot.training.attention`)."""
    pops = populations.get("populations", {})
    keys = sorted(pops) if isinstance(pops, dict) else []
    return (
        "Share of each model's map on the lower half of the lining (children: Grad-CAM; "
        "adults: occlusion map) against the absolute error, out of fold:\n\n"
        + attention_card.table(populations, keys)
    )


def _children_section(oof: OutOfFold, out: Path) -> str:
    scatter, bland = plots(oof, out)
    return (
        f"## Children: all models out of fold (n = {len(oof.hb)})\n\n{metrics_table(oof)}\n"
        "AUROC (<11): anaemia = Hb below 11.0 g/dL. AUROC / sens / spec (WHO): each child's "
        "cut-off in the bot's WHO 2024 table, 10.5 g/dL at 6-23 months, 11.0 at 24-59 months, "
        "11.5 for the rows recorded at 60 months; sens / spec here are of the estimate below the "
        "cut-off, not of the referral rule. Bias and limits of agreement (LoA) are "
        "predicted minus measured.\n\n"
        f"![predicted vs measured]({scatter.name})\n\n![Bland-Altman]({bland.name})\n"
    )
