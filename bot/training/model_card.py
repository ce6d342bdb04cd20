"""Writes `model/weights/MODEL_CARD.md` from a training run, so no figure is copied by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.training import attention_card
from bot.training.cv_results import CvResult
from bot.training.report import dedup_text, metrics_table, populations_table
from bot.training.yardstick import section
from model import adult, ensemble

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
  Ghana, photographed with one protocol. It serves children 6-59 months only (see "Who gets
  which model"); other skin tones, cameras and lighting are **unvalidated**.
- The model sees a conjunctiva cut-out. Whole photos need the segmentation step first.
- Errors of 1.5-2 g/dL are common (see the limits of agreement): a single estimate cannot
  separate mild anaemia from normal.
- The CNN's design (input size, widths, fusion with colour statistics, AdamW/Huber, three seeds)
  was chosen by a configuration sweep on CV folds of this same data, so the figures may be
  slightly optimistic. The only other choice, the epoch count, was made by 4-fold
  inner cross-validation inside outer fold 0's training images; outer fold 0's test images
  never informed any choice, and its MAE is reported separately in `metrics.json` as
  `fold0_mae`.
- The interval is split-conformal on out-of-fold absolute residuals: a constant width,
  valid on average over people like those in the data, not for each person.
"""


WHO_GETS_WHAT = """\
## Who gets which model

Colour in a conjunctiva photo depends on camera, light and population: a colour model fitted
on CP-AnemiC's children and tested on Eyes-defy's adults, or the other way round, has no
signal (see the leave-one-site-out rows in `metrics.json` and the report). So each model
serves only the people it was validated on, and the reply, the CLI's JSON (`population`) and
the stored screening say which:

- child 6-59 months: the CNN ensemble (`MODEL_CARD.md`); figures `populations["cp-anemic"]`.
- non-pregnant woman or man, 15 years and over: a line on age and sex, and colour statistics
  through an SVR and trees (`ADULTS_CARD.md`); figures `populations["eyes-defy"]` and per site.
- pregnant woman: **no number**. No dataset we hold records pregnancy, and pregnancy lowers
  Hb by dilution; she is asked to have a blood test at her antenatal visit.
- child under 6 months or 5-14 years: **no number**. No photos of these ages; the children's
  CNN gave adults estimates 8-10 g/dL too high outside its ages.
- age unknown, or an adult whose sex is unknown: **no number** until /profile says it; we
  cannot tell which model applies.

Whom a model serves gets an estimate, a 90% interval and advice that follows the referral rule:
"please see a health worker for a blood test" when the estimate is below the WHO cut-off plus
the population's margin (chosen on out-of-fold estimates for a sensitivity of at least 0.80 in
every population), otherwise "no sign of anaemia in this photo, which cannot rule it out".
"""


def write(path: Path, cv: CvResult, config: ensemble.Config, *, how: str) -> None:
    """Render the children's card for a finished training run."""
    assert cv.children is not None  # only written when the run had children
    oof = cv.children.oof
    m = cv.metrics
    keys = sorted({s.population for s in cv.children.samples})
    att = attention_card.section(
        m, "children", keys, config.attention_threshold, config.attention_mae, config.population
    )
    text = (
        f"# Model card: Hb from palpebral conjunctiva, `{config.version}`\n\n{INTENDED}\n"
        "## Data\n\nCP-AnemiC (Appiahene et al. 2023, Mendeley Data doi 10.17632/m53vz6b7fx.1): "
        "RGBA cut-outs of the conjunctiva, lab Hb. "
        f"All data given to the run: {dedup_text(cv.dedup)}\n\n{WHO_GETS_WHAT}\n"
        f"## Evaluation\n\n{how}\n\n"
        f"{metrics_table(oof)}\n"
        f"Shipped figures (`metrics.json`): MAE {m['mae']} g/dL, r {m['pearson_r']}, "
        f"AUROC {m['auroc']} (anaemia = Hb < 11.0 g/dL), {config.coverage:.0%} interval "
        f"coverage {m['coverage']}, n {m['n']}; outer fold 0 alone: MAE {m['fold0_mae']}.\n"
        f"The shipped interval is +/- {config.half_width:.2f} g/dL (all out-of-fold residuals); "
        f"the referral margin is {config.refer_margin:.2f} g/dL above the WHO cut-off.\n\n"
        "Per population (the referral rule's sensitivity and specificity with margins chosen "
        "on the other folds; '±': SD over repeated fold splits, whose mean the figure is):\n\n"
        f"{populations_table(m)}\n{section(m)}\n"
        "Published on the same de-duplicated data: MAE 1.52 g/dL / r 0.39 and MAE 1.60 / AUROC "
        "0.71. Kato et al. 2024 (doi 10.1111/bjh.19621): CNN r 0.44 on their own 150 children.\n\n"
        f"{att}\n{LIMITS}\n{REPRODUCE}"
    )
    path.write_text(text)


REPRODUCE = """\
## Reproduce

```
anemia-screen train --data ../shared/data/cp-anemic --data ../shared/data/eyes-defy/labels.csv
anemia-screen cv --data ../shared/data/cp-anemic --data ../shared/data/eyes-defy/labels.csv --json
```
"""

ADULT_LIMITS = """\
## Limits

- 172 adults from two hospitals (India, Italy), one smartphone with a macro attachment. Part
  of the pooled correlation is the difference between the sites (Italy's Hb is higher); within
  India the correlation is weaker. Other cameras, light and skin tones are unvalidated, and
  the leave-one-site-out rows show how much a new site can lose.
- No Grad-CAM: the model sees colour statistics of the measured lining, not pixels. Its
  picture is an occlusion map (see "Where each estimate came from"): it shows which parts'
  colour moved the estimate, not what a network looked at.
- Age and sex are inputs (the line and both members); without them no number is given. Ages
  in the data are 19-88 years: outside them the line goes on straight and the members answer
  as at the nearest ages they saw.
- The interval is Mondrian split-conformal: one width for estimates below the median
  out-of-fold estimate and one above (errors are larger at low Hb, where estimates shrink
  towards the mean). Errors differ by site (India's are larger), so one pooled width covers
  one site too little and the other too much. The figures per site ("PI coverage") are of
  each site's own interval, calibrated on its own people's out-of-fold residuals, as a
  programme there would have it (`anemia-screen adapt` recalibrates on a programme's own
  people). The interval served to a new user, whose camera is neither site's, takes in each
  bin the wider of the two sites' widths ("served"): it covers each site measured at least
  as that site's own interval does, more at the site with the smaller errors.
- Each width is the residual at rank (n + 1) x 0.9 of n, interpolated between neighbouring
  ranks, so that it covers 90% on average. The usual whole rank above it guarantees at least
  90% but covers up to 1/(n + 1) more on average, and a site's bin holds few people (in India
  about 28 per bin and fold: 27/29 = 0.93). The interpolated width may cover up to 1/(n + 1)
  less than 90% at worst.
"""


def write_adults(path: Path, cv: CvResult, config: adult.Config, *, how: str) -> None:
    """Render the adults' card for a finished training run."""
    widths = ", ".join(f"{w:.2f}" for w in config.half_widths)
    edges = ", ".join(f"{e:.2f}" for e in config.bin_edges)
    text = (
        f"# Model card: Hb of adults from palpebral conjunctiva, `{config.version}`\n\n"
        f"{INTENDED}\n## Data\n\nEyes-defy-anemia (Dimauro et al. 2023, doi "
        "10.1016/j.artmed.2022.102477): conjunctiva cut-outs of adults from India and Italy "
        f"with lab Hb (`{config.population}`). All data given to the run: {dedup_text(cv.dedup)}"
        f"\n\n{WHO_GETS_WHAT}\n"
        f"## Evaluation\n\n{how}\n\n{populations_table(cv.metrics)}\n{section(cv.metrics)}\n"
        f"Shipped: {_line(config)}, plus, for what the line leaves, the mean of an RBF SVR (C "
        f"{config.svr.c}, epsilon {config.svr.epsilon}, {config.svr.n_support} support vectors) "
        f"and {config.trees.n_trees} extremely randomised trees (leaves of "
        f"{config.trees.min_samples_leaf} or more people) on colour levels, age and sex; "
        f"served {config.coverage:.0%} interval half-widths {widths} g/dL (split at "
        f"an estimate of {edges} g/dL); referral margin {config.refer_margin:.2f} g/dL above "
        f"the WHO cut-off.\n\n{WHY_ADULTS}\n\n{_adult_attention(cv, config)}"
        f"{LOWER_HALF}\n\n{ADULT_LIMITS}{anaemic_limit(cv.metrics)}\n{REPRODUCE}"
    )
    path.write_text(text)


WHY_ADULTS = """\
Why this model: `docs/cv/adult_models.md` compares ridge, gradient boosting, random forests,
extremely randomised trees, SVR and averages of two on the same colour statistics, with and
without sex and age (`python -m studies.adult_models`): the SVR-and-trees average erred least
and less than the trees in India, the harder site. `docs/cv/adult_candidates.md` then asked
whether the photo beats age, sex and site (`python -m studies.adult_candidates`): candidates
that can be served to a new user were compared on validation folds nested inside each training
part, and the one with the lowest validation MAE replaced the members on colour and sex alone
(which no training part chose): this line on age and sex with the members on its residual. Its
gain in error is small (that page's nested column, free of the choice, gives it beside the
model served until now), and it ranks Italy's people a little less well at the WHO cut-off, so
its referral there costs more blood tests per anaemic person found. The figures above come from
the data that chose it: the nested column is the fairer estimate.
Candidates that need the site are measured there but cannot be served: a new user's camera is
neither site's. A CNN was not tried for adults: 172 photos are too few to learn
colour beyond these statistics."""


SERVED_POOLED = """\
The served model follows the sites pooled (`eyes-defy`), not either site's row: a new user's
camera is neither site's.

"""

SERVED_POOLED = """
The served model follows the sites pooled, not either site's row: a new user's camera is
neither site's.

"""

LOWER_HALF = """\
The reverse question, whether the lower half of the lining alone carries the signal: the
same model fitted on the lower half's colour statistics only, against the whole lining's, on
the same folds (`python -m studies.lower_half`, `docs/cv/lower_half.md`)."""


def _adult_attention(cv: CvResult, config: adult.Config) -> str:
    """The adults' section on their occlusion maps' share and its error."""
    pops = cv.metrics.get("populations", {})
    keys = sorted(str(k) for k in pops if str(k).startswith("eyes-defy"))  # type: ignore[attr-defined]
    args = (config.attention_threshold, config.attention_mae, config.population)
    return attention_card.section(cv.metrics, "adults", keys, *args) + SERVED_POOLED


def _line(config: adult.Config) -> str:
    """The line's fit in words (g/dL)."""
    if not config.line_coef:
        return "no line on age and sex"
    age, male = config.line_coef
    return (
        f"a least-squares line on age and sex, Hb = {config.line_intercept:.2f} "
        f"{age * 10:+.2f} per decade of age {male:+.2f} for a man"
    )


def anaemic_limit(metrics: dict[str, Any]) -> str:
    """A Limits bullet: how often the interval holds the true Hb of the anaemic, per site."""
    sites = {
        k: m
        for k, m in metrics.get("populations", {}).items()
        if k.startswith("eyes-defy-") and "coverage_anaemic" in m
    }
    if not sites:
        return ""
    each = "; ".join(
        f"{k.removeprefix('eyes-defy-').title()} {m['coverage_anaemic']:.2f} own / "
        f"{m.get('coverage_anaemic_served', m['coverage_anaemic']):.2f} served of "
        f"{m['anaemic']} anaemic, against {m['coverage']:.2f} own of everyone"
        for k, m in sites.items()
    )
    return (
        "- Estimates shrink towards the mean, so a low Hb is often overestimated. Among the "
        f"anaemic the interval held the lab Hb in {each} (out of fold). The referral rule, not "
        "the interval, is what sends an anaemic person to a blood test.\n"
    )
