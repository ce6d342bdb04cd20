"""What a `train-seg` run is asked to do: the segmentation job and its batch mix.

`bot.training.segtraining` runs it; `bot.training.segcard` describes it in the card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model import unet

MIX = (11, 3, 2)  # per batch of 16: real-photo views, composite views, negative views


@dataclass(frozen=True)
class SegJob:
    out: Path
    seed: int = 0
    per_cutout: int = 5  # composites per training cut-out
    negatives: int = 400  # negative scenes in training
    pretrain_steps: int = 1500  # stage 1, composites only, from scratch
    finetune_steps: int = 700  # stage 2, real photos with composites
    real_folds: int = 5  # patient-grouped folds of the real photos
    init: Path | None = None  # start from this folder's U-Net instead of stage 1
    work: Path = Path("runs") / "seg"  # where the stage-1 network is kept
    measure_only: bool = False  # re-measure the saved network instead of training
    eval_negatives: int = 20  # held-out negatives per kind
    net: unet.Config = field(default_factory=unet.Config)  # a fresh stage 1's architecture
    size: tuple[int, int] | None = None  # fine-tune at this input (H, W); None: stage 1's
    mix: tuple[int, int, int] = MIX  # fine-tuning's batch; stage 1 gives real's share to composites
