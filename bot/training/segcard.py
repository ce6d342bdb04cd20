"""The segmentation model card, rendered from the measured figures (`seg_metrics.json`)."""

from __future__ import annotations

from typing import Any

from bot.training import segeval
from bot.training.segjob import SegJob
from model import segment, unet


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _overlap(m: dict[str, Any]) -> str:
    """Real photos and composites side by side."""
    real, comp = m.get("real_cv") or {}, m.get("composites") or {}
    dice, iou = real.get("dice") or {}, real.get("iou") or {}
    rows = [
        ("Dice, median", dice.get("median"), comp.get("dice_composite_median")),
        ("Dice, 10th percentile", dice.get("p10"), None),
        ("Dice, mean", dice.get("mean"), comp.get("dice_composite")),
        ("IoU, median", iou.get("median"), None),
        ("IoU, 10th percentile", iou.get("p10"), None),
        ("share accepted", real.get("accepted"), comp.get("accept_positive")),
        ("photos", real.get("n"), comp.get("n_cutouts")),
    ]
    lines = [f"| {name} | {_num(a)} | {_num(b)} |" for name, a, b in rows]
    return "\n".join(["| | real photos (CV) | composites (held out) |", "|---|---|---|", *lines])


def _gates(m: dict[str, Any]) -> str:
    """Each gate: how often it fires on good real photos, and on photos with no eyelid."""
    real = (m.get("real_cv") or {}).get("gate_false_refusal") or {}
    truth = (m.get("real_cv") or {}).get("gate_false_refusal_on_annotation") or {}
    catch = (m.get("composites") or {}).get("gate_catch") or {}
    head = [
        "| gate | fires on real photos | on their annotated region | fires on negatives |",
        "|---|---|---|---|",
    ]
    rows = [
        f"| {g} | {_num(real.get(g))} | {_num(truth.get(g))} | {_num(catch.get(g))} |"
        for g in segeval.GATES
    ]
    return "\n".join([*head, *rows])


def _framings(m: dict[str, Any]) -> str:
    """Held-out real photos framed as people also send them."""
    real = m.get("real_cv") or {}
    rows = [
        f"| {name} | {_num(f.get('accepted'))} | {_num(f.get('dice_median'))} |"
        for name, f in (real.get("framings") or {}).items()
    ]
    accepted = real.get("dice_accepted") or {}
    return "\n".join(
        [
            "| framing | share accepted | Dice, median |",
            "|---|---|---|",
            f"| whole photo, as taken | {_num(real.get('accepted'))} | "
            f"{_num((real.get('dice') or {}).get('median'))} |",
            *rows,
            "",
            f"Median Dice of the accepted photos: {_num(accepted.get('median'))}; "
            f"refused, by first gate: {real.get('refused_by') or 'none'}.",
        ]
    )


def _negatives(m: dict[str, Any]) -> str:
    comp = m.get("composites") or {}
    kinds = [
        (k[len("refuse_") :], v)
        for k, v in comp.items()
        if k.startswith("refuse_") and k != "refuse_negative"
    ]
    rows = [f"| {k} | {_num(v)} |" for k, v in kinds]
    rows.append(f"| **all drawn negatives** | {_num(comp.get('refuse_negative'))} |")
    real = (m.get("real_cv") or {}).get("refuse_real_above_lining")
    rows.append(f"| real photo cut above the lining (sclera, iris) | {_num(real)} |")
    return "\n".join(["| negatives | share refused |", "|---|---|", *rows])


def card(metrics: dict[str, Any], job: SegJob) -> str:
    """Markdown: what the network was trained on, the figures, and what they do not say."""
    return _head(metrics, job) + _body(metrics, job)


def stage1(job: SegJob) -> str:
    """How stage 1 was made, for the card (kept in seg_metrics.json, so a re-measure keeps it)."""
    if job.init is None:
        return f"trained from scratch for {job.pretrain_steps} steps"
    if job.size is None:
        return f"started from {job.init}"
    return f"started from {job.init}, fine-tuned at {job.size[0]}x{job.size[1]} input"


def network(config: unet.Config) -> str:
    """The U-Net's shape, for the card: levels, channels and input size."""
    ch = ", ".join(map(str, config.channels))
    return f"{len(config.channels)} levels ({ch} channels), {config.height}x{config.width} input"


def _head(metrics: dict[str, Any], job: SegJob) -> str:
    # as trained, where the network's own record says (a re-measure's flags may differ)
    mix, steps = metrics.get("mix", job.mix), metrics.get("finetune_steps", job.finetune_steps)
    return f"""# Model card: conjunctiva segmentation (U-Net)

Finds the palpebral conjunctiva in a photo of a pulled-down lower eyelid so the Hb model can
measure it, and lets the quality gates refuse photos that cannot be screened.

## How it finds the lining
A small U-Net (`model/unet.py`: {metrics.get("network", "3 levels, 96x128 input")}) looks at
the whole photo, then again at a box around what it found (`model.segment.find`): in a wide
photo the lining is a few network pixels thick, and the second look sees it filling the frame.
The box has a margin of {segment.REFINE_PAD:.0%} of its longer side, so thin ends of the lining
that the first look missed are still inside it. The largest region is kept.

## Training data
1. Composites: CP-AnemiC cut-outs of training folds 2-4 ({metrics.get("n_cutouts_train")}
   cut-outs, {job.per_cutout} scenes each, plus plain white and black backdrops) drawn into
   eye scenes, and {job.negatives} scenes with no eyelid (`bot/training/data/compose.py`).
2. Real photos: {metrics.get("n_real_photos")} whole-eye phone photos with the conjunctiva
   drawn (the shipped network: Eyes-defy-anemia, adults in India), each seen in random
   framings (whole photo portrait or landscape, macro close-up, wide shot, crop with a black or
   white frame, the second look's box, the eye above the lining) and light (exposure, gamma,
   white balance, saturation, blur, noise, JPEG): `bot/training/data/seg_views.py`.
Stage 1, the network on composites alone: {metrics.get("stage1") or stage1(job)}.
It is fine-tuned for {steps} steps on batches of
{mix[0]} real views, {mix[1]} composite views and {mix[2]} negative views.
"""


def _body(metrics: dict[str, Any], job: SegJob) -> str:
    real = metrics.get("real_cv") or {}
    return f"""
## Figures
Real photos: {real.get("folds")}-fold cross-validation grouped by patient (each fold's network
never saw the patient it is measured on; seed {job.seed}); Dice and IoU per photo at 1280 px,
0 for a photo where nothing was found. Composites: cut-out fold 0 in scenes no training
scene used. The shipped network is fine-tuned on all real photos after these figures.

{_overlap(metrics)}

Per fold, median Dice on real photos: {real.get("dice_median_per_fold")}.

### Framings
The same held-out photos cut as people also send them: a macro close-up (the lining about half
the frame, at 1280 px), a landscape 4:3 crop, and a crop to the eye region with a black or
white frame such as a crop tool leaves (`bot.training.segeval.framings`).

{_framings(metrics)}

### Quality gates
Every gate counted on its own (a photo can trip several). "Real photos": how often the gate
would refuse a good photograph (false refusals). "Annotated region": the same gate on the
region a person drew, so a false refusal there is the gate's, not the segmenter's.
"Negatives": drawn scenes with no eyelid (held out).

{_gates(metrics)}

{_negatives(metrics)}

## Limits
- The real photos come from one camera set-up (a phone with a macro lens) at one hospital in
  India, adults only. Photos from other phones, lights and people, and children's eyelids
  (CP-AnemiC has cut-outs only), are not measured.
- The annotations are drawn by people and differ in how much of the pink lining they include;
  Dice against them also measures that disagreement.
- The negatives are drawn scenes and real photos cut above the lining, not real photos of
  faces, lips or skin.
"""
