"""What `anemia-screen adapt` reports: the figures for metrics.json and the CLI, and
ADAPTED_CARD.md, each beside the baselines measured on the programme's own people."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.training import adapter_choice
from model import adapter, demographics

MIN_PEOPLE = 20  # per cohort: fewer cannot be cross-validated into a fair comparison


@dataclass(frozen=True)
class CohortResult:
    cohort: str
    n: int
    mae_base: float  # the served model on these people, g/dL
    mae_adapted: float  # the adaptation procedure, nested cross-validation
    kind: str  # chosen on all the people (adapter_choice.NONE: keep the served model)
    fold_kinds: tuple[str, ...]
    figures: dict[str, float]
    oof: np.ndarray  # the nested out-of-fold adapted estimates, g/dL
    baselines: dict[str, dict[str, float]]  # "mean", "demographics": on the same outer folds

    @property
    def better(self) -> bool:
        return self.kind != adapter_choice.NONE and self.mae_adapted < self.mae_base

    @property
    def photo_adds(self) -> bool:
        """Whether the photo (served or adapted, the better) clearly beats age and sex alone
        on these people (`model.demographics.clearly_better`)."""
        line = self.baselines["demographics"]
        aurocs = [self.figures.get(k, np.nan) for k in ("auroc_base", "auroc")]
        photo_auroc = np.nan if np.isnan(aurocs).all() else float(np.nanmax(aurocs))
        return demographics.clearly_better(
            min(self.mae_base, self.mae_adapted),
            line["mae"],
            photo_auroc,
            line.get("auroc", np.nan),
        )


@dataclass(frozen=True)
class AdaptResult:
    dataset: str
    cohorts: tuple[CohortResult, ...]
    skipped: dict[str, int]  # cohort -> people, too few to adapt
    written: Path | None  # None: nothing was better, nothing written
    versions: dict[str, str]  # cohort -> the adapted model's version, where written


def summary(result: AdaptResult) -> dict[str, object]:
    """The adaptation's figures for metrics.json and the CLI."""
    versions = result.versions
    return {
        "dataset": result.dataset,
        "cohorts": {
            c.cohort: {
                "n": c.n,
                "kind": c.kind,
                "fold_kinds": list(c.fold_kinds),
                "mae_served": c.mae_base,
                "mae_adapted": c.mae_adapted,
                "written": c.cohort in versions,
                "version": versions.get(c.cohort),
                **c.figures,
                "baselines": c.baselines,
                "photo_clearly_better_than_demographics": c.photo_adds,
            }
            for c in result.cohorts
        },
        "too_few_people": result.skipped,
    }


def card(path: Path, result: AdaptResult, models: list[adapter.Model]) -> None:
    """ADAPTED_CARD.md: what was adapted, on whom, and how it measured against the served."""
    lines = [
        f"# Adapted model: {result.dataset}",
        "",
        "A **screening aid, not a diagnosis**, adapted by `anemia-screen adapt` to this "
        "programme's lab-confirmed photos. Figures are nested cross-validation on those "
        "same people (the choice of adaptation made inside each fold), so they describe "
        "people like them, photographed the same way.",
        "",
    ]
    versions = {m.config.cohort: m.config for m in models}
    for c in result.cohorts:
        cfg = versions.get(c.cohort)
        lines += [
            f"## {c.cohort}",
            "",
            f"- people: {c.n}" + (f" (screened {cfg.months})" if cfg and cfg.months else ""),
            f"- served model's MAE on them: {c.mae_base:.2f} g/dL; adapted: "
            f"{c.mae_adapted:.2f} g/dL (r {c.figures['pearson_r_base']:.2f} -> "
            f"{c.figures['pearson_r']:.2f})",
            f"- adaptation chosen: {c.kind} (in the folds: {', '.join(c.fold_kinds)})",
            f"- interval coverage (nominal 90%): {c.figures['coverage']:.0%}",
        ]
        if "sensitivity" in c.figures:
            lines.append(
                f"- referral sensitivity {c.figures['sensitivity']:.2f}, specificity "
                f"{c.figures['specificity']:.2f} ({int(c.figures['anaemic'])} anaemic)"
            )
        lines += baseline_lines(c)
        done = f"written: version {cfg.version}" if cfg else "not written: no better than served"
        lines += [f"- {done}", ""]
    if result.skipped:
        few = ", ".join(f"{k} {v}" for k, v in result.skipped.items())
        lines += [f"Too few people to adapt (at least {MIN_PEOPLE} needed): {few}.", ""]
    path.write_text("\n".join(lines).rstrip() + "\n")


def baseline_lines(c: CohortResult) -> list[str]:
    """The card's lines on the baselines and, where so, that the photo does not earn its place."""
    line, mean = c.baselines["demographics"], c.baselines["mean"]
    out = [
        f"- same folds, without the photo: a least-squares line on age and sex MAE "
        f"{line['mae']:.2f} g/dL, the training mean {mean['mae']:.2f} g/dL"
    ]
    if not c.photo_adds:
        out.append(f"- **{not_better_text(c)}**")
    return out


def not_better_text(c: CohortResult) -> str:
    """In words: on this programme's people the photo does not clearly beat age and sex."""
    return (
        f"On these people the photo is not clearly better than age and sex alone: MAE "
        f"{min(c.mae_base, c.mae_adapted):.2f} g/dL with the photo against "
        f"{c.baselines['demographics']['mae']:.2f} from age and sex (clear: lower by "
        f"{demographics.CLEAR_MAE:.2f} g/dL, or AUROC higher by {demographics.CLEAR_AUROC:.2f}). "
        "Its estimates add little here; the blood test decides."
    )
