"""Writes `model/weights/MODEL_CARD.md` from a training run, so no figure is copied by hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.evaluate import attention_split
from bot.report import dedup_text, metrics_table
from model import ensemble

if TYPE_CHECKING:
    from bot.training import CvResult

INTENDED = """\
## Intended use

A **screening aid, not a diagnosis**. It estimates blood haemoglobin from a photo of the
palpebral conjunctiva (inner lower eyelid) to suggest who should have a blood test. Every
estimate comes with a 90% prediction interval; a low-Hb estimate means "see a health worker for
a blood test", never "you have anaemia", and a normal estimate never rules anaemia out.
"""

LIMITS = """\
## Limits

- Trained on one data set only: CP-AnemiC, children aged 6-59 months from ten hospitals in
  Ghana, photographed with one protocol. Adults, pregnant women, other skin tones, other
  cameras and lighting are **unvalidated**; the service says so.
- The model sees a conjunctiva cut-out. Whole photos need the segmentation step first.
- Errors of 1.5-2 g/dL are common (see the limits of agreement): a single estimate cannot
  separate mild anaemia from normal.
- The CNN's design (input size, widths, fusion with colour statistics, AdamW/Huber, three seeds)
  follows a configuration sweep an earlier session ran on CV folds of this same data, so the
  figures may be slightly optimistic. Our own only choice, the epoch count, was made by inner
  cross-validation inside outer fold 0's training images (`docs/tune_inner.py`); outer fold 0's
  test images never informed any choice, and its MAE is reported separately in `metrics.json`
  as `fold0_mae`.
- The interval is split-conformal on out-of-fold absolute residuals: a constant width,
  valid on average over people like those in the data, not for each person.
"""


def write(path: Path, cv: CvResult, config: ensemble.Config, *, how: str) -> None:
    """Render the card for a finished training run."""
    att = attention_split(cv.oof, config.attention_threshold)
    m = cv.metrics
    text = (
        f"# Model card: Hb from palpebral conjunctiva, `{config.version}`\n\n{INTENDED}\n"
        "## Data\n\nCP-AnemiC (Appiahene et al. 2023, Mendeley Data doi 10.17632/m53vz6b7fx.1): "
        "RGBA cut-outs of the conjunctiva, lab Hb. "
        f"{dedup_text(cv.dedup)}\n\n## Evaluation\n\n{how}\n\n{metrics_table(cv.oof)}\n"
        f"Shipped figures (`metrics.json`): MAE {m['mae']} g/dL, r {m['pearson_r']}, "
        f"AUROC {m['auroc']} (anaemia = Hb < 11.0 g/dL), {config.coverage:.0%} interval "
        f"coverage {m['coverage']}, n {m['n']}; outer fold 0 alone: MAE {m['fold0_mae']}.\n"
        f"The shipped interval is +/- {config.half_width:.2f} g/dL (all out-of-fold residuals).\n\n"
        "Published on the same de-duplicated data: MAE 1.52 g/dL / r 0.39 and MAE 1.60 / AUROC "
        "0.71. Kato et al. 2024 (doi 10.1111/bjh.19621): CNN r 0.44 on their own 150 children.\n\n"
        f"Grad-CAM: median share of attention on the lower half of the conjunctiva "
        f"{att['attention_median']:.2f}; below {config.attention_threshold:.2f} "
        f"({att['n_low_attention']} images) MAE {att['mae_low_attention']:.2f} vs "
        f"{att['mae_high_attention']:.2f} elsewhere. Below that share the service warns that "
        "the estimate is less reliable.\n\n"
        f"{LIMITS}\n## Reproduce\n\n```\nanemia-screen train --data ../shared/data/cp-anemic\n"
        "anemia-screen cv --data ../shared/data/cp-anemic --folds 5 --seed 0 --json\n```\n"
    )
    path.write_text(text)
