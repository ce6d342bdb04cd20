"""The `train-seg` job: build photos, train the U-Net, measure it and the quality gates.

Folds come from `make_folds(k=5, seed)` over de-duplicated cut-outs: fold 0 is held out for
the figures, fold 1 is validation (for any threshold we look at), folds 2-4 train. Scene seeds
for held-out composites never overlap training seeds. Real annotated photos (image + mask
pairs, or the Eyes-defy-anemia layout) are added to training when given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from bot.data import Sample, compose, cpanemic, deduplicate, make_folds, photos, sources
from bot.decode import ImageRejected
from bot.quality import check_photo, check_region
from model import seg_train, segment, unet

TEST_SEED_OFFSET = 1_000_000  # held-out scenes use seeds no training scene uses
VAL_SEED_OFFSET = 500_000  # validation scenes: for looking at gate thresholds, never the test
SIZE = (480, 640)  # composite photo size (H, W)


@dataclass(frozen=True)
class SegJob:
    out: Path
    seed: int = 0
    per_cutout: int = 5  # composites per training cut-out
    negatives: int = 400  # negative scenes in training
    epochs: int | None = None
    measure_only: bool = False  # re-measure the saved network instead of training
    eval_negatives: int = 20  # held-out negatives per kind


@dataclass(frozen=True)
class Photo:
    image: np.ndarray  # RGB uint8
    mask: np.ndarray  # bool


def split(samples: Sequence[Sample], seed: int) -> tuple[list[Sample], list[Sample], list[Sample]]:
    """(train, validation, test) cut-outs: folds 2-4, fold 1, fold 0."""
    folds = make_folds(samples, k=5, seed=seed)
    pick = [
        [s for s, f in zip(samples, folds, strict=True) if f in fs] for fs in ({2, 3, 4}, {1}, {0})
    ]
    return pick[0], pick[1], pick[2]


def positives(samples: Sequence[Sample], per: int, seed0: int) -> Iterator[Photo]:
    """Composites (and plain white/black backdrops) of each cut-out."""
    for i, s in enumerate(samples):
        for j in range(per):
            c = compose.compose(s.image, s.mask, seed=seed0 + i * per + j, size=SIZE)
            yield Photo(c.image, c.mask)
        for colour in ((255, 255, 255), (0, 0, 0)):
            b = compose.backdrop(s.image, s.mask, colour=colour)
            yield Photo(b.image, b.mask)


def negatives(n: int, seed0: int) -> Iterator[Photo]:
    """Scenes with no conjunctiva, cycling through every kind."""
    kinds = compose.NEGATIVE_KINDS
    for i in range(n):
        image = compose.negative(kinds[i % len(kinds)], seed=seed0 + i, size=SIZE)
        yield Photo(image, np.zeros(image.shape[:2], bool))


def tensors(photos: Sequence[Photo], config: unet.Config) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs and 0/1 targets at the network's size."""
    x = np.stack([unet.to_input(p.image, config) for p in photos])
    size = (config.width, config.height)
    y = np.stack(
        [
            cv2.resize(p.mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
            for p in photos
        ]
    )
    return x, y.astype(np.float32)


def screenable(model: unet.Model, image: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """The pipeline's verdict on a photo: (mask, None) if accepted, (None, code) if refused."""
    try:
        check_photo(image)
        found = segment.largest_component(segment.probabilities(model, image))
        if found is None:
            return None, "no_conjunctiva"
        check_region(image, found.mask, found.confidence)
    except ImageRejected as e:
        return None, e.code
    return found.mask, None


def measure(
    model: unet.Model,
    test: Sequence[Sample],
    seed: int,
    offset: int = TEST_SEED_OFFSET,
    per_kind: int = 20,
) -> dict[str, float | int]:
    """Dice on held-out composites and backdrops, acceptance and refusal rates."""
    dice: dict[str, list[float]] = {"composite": [], "white": [], "black": []}
    accepted = 0
    refusals: dict[str, int] = {}
    for i, s in enumerate(tqdm(test, desc="held-out", leave=False)):
        c = compose.compose(s.image, s.mask, seed=offset + seed * 10_000 + i, size=SIZE)
        found = segment.largest_component(segment.probabilities(model, c.image))
        dice["composite"].append(
            seg_train.dice(found.mask if found else np.zeros_like(c.mask), c.mask)
        )
        code = screenable(model, c.image)[1]
        accepted += code is None
        if code is not None:
            refusals[code] = refusals.get(code, 0) + 1
        for name, colour in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
            b = compose.backdrop(s.image, s.mask, colour=colour)
            f = segment.largest_component(segment.probabilities(model, b.image))
            dice[name].append(seg_train.dice(f.mask if f else np.zeros_like(b.mask), b.mask))
    refused = {}
    for kind in compose.NEGATIVE_KINDS:
        codes = [
            screenable(model, compose.negative(kind, seed=offset + j, size=SIZE))[1]
            for j in range(per_kind)
        ]
        refused[kind] = sum(c is not None for c in codes) / len(codes)
    out: dict[str, float | int] = {
        f"dice_{k}": round(float(np.mean(v)), 4) for k, v in dice.items()
    }
    out["accept_positive"] = round(accepted / len(test), 4)
    out["refuse_negative"] = round(float(np.mean(list(refused.values()))), 4)
    out.update({f"refuse_{k}": round(v, 4) for k, v in refused.items()})
    out.update({f"positive_refused_{k}": v for k, v in sorted(refusals.items())})
    out["n_cutouts"] = len(test)
    return out


def gather(paths: Sequence[Path]) -> tuple[list[Sample], list[Photo]]:
    """Cut-outs to composite (CP-AnemiC, CSV) and real annotated photos, from each path."""
    cutouts: list[Sample] = []
    real: list[Photo] = []
    for path in paths:
        if path.suffix == ".csv" or cpanemic.is_cpanemic(path):
            cutouts += deduplicate(sources.load_any(path))[0]
        else:  # phone photos are ~36 MB decoded: shrink them as they load
            real += [Photo(p.image, p.mask) for p in photos.load_photos(path, max_side=1024)]
    return cutouts, real


def real_dice(model: unet.Model, held_out: Sequence[Photo]) -> float:
    """Mean Dice on held-out real photos."""
    scores = []
    for p in held_out:
        found = segment.largest_component(segment.probabilities(model, p.image))
        scores.append(seg_train.dice(found.mask if found else np.zeros_like(p.mask), p.mask))
    return round(float(np.mean(scores)), 4)


def run(
    job: SegJob, samples: Sequence[Sample], real: Sequence[Photo] = ()
) -> dict[str, float | int]:
    """Train on training-fold composites and 80% of real photos, measure on the rest, save.

    With `job.measure_only` the saved network is measured again (after a gate change)."""
    if len(samples) < 10 and len(real) < 10:
        raise ValueError("need at least 10 cut-outs or 10 annotated photos to train on")
    train_s, val_s, test_s = split(samples, job.seed) if len(samples) >= 10 else ([], [], [])
    order = np.random.default_rng(job.seed).permutation(len(real))
    cut = int(0.8 * len(real))
    real_train, real_test = [real[i] for i in order[:cut]], [real[i] for i in order[cut:]]
    n_train = len(train_s) * (job.per_cutout + 2) + job.negatives  # composites + backdrops
    if job.measure_only:
        model = unet.load(job.out)
    else:
        config, tc = unet.Config(), seg_train.SegTrainConfig()
        if job.epochs:
            tc = seg_train.SegTrainConfig(epochs=job.epochs)
        train_photos = [*positives(train_s, job.per_cutout, 0), *negatives(job.negatives, 0)]
        x, y = tensors([*train_photos, *real_train], config)
        model = seg_train.fit(config, tc, x, y, seed=job.seed)
        unet.save(model, job.out)  # before measuring: a long run's weights are never lost
    k = job.eval_negatives
    metrics = measure(model, test_s, job.seed, per_kind=k) if test_s else {}
    if val_s:
        val = measure(model, val_s, job.seed, offset=VAL_SEED_OFFSET, per_kind=k)
        metrics.update({f"validation_{k}": v for k, v in val.items()})
    if real_test:
        metrics.update(dice_real=real_dice(model, real_test), n_real_test=len(real_test))
    (job.out / "SEGMENTATION_CARD.md").write_text(card(metrics, n_train, len(real_train)))
    (job.out / "seg_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def card(metrics: dict[str, float | int], n_train: int, n_real: int) -> str:
    """Model card for the segmentation network, rendered from the measured figures."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in metrics.items())
    return f"""# Model card: conjunctiva segmentation (U-Net)

Finds the palpebral conjunctiva in a photo of a pulled-down lower eyelid so the Hb model can
measure it, and lets the quality gates refuse photos that cannot be screened.

## Training data
{n_train} synthetic photos: CP-AnemiC cut-outs from training folds 2-4 (de-duplicated; folds by
image content, seed 0) warped and placed in generated eye scenes (sclera, skin of many tones,
lid margin, lashes, glints, shadows, fingertips, uneven light, JPEG), the same cut-outs on
plain white and black, and scenes with no eyelid; plus {n_real} real annotated photos.

## Held-out figures
Fold 0 cut-outs in scenes whose seeds no training scene used; negatives from unseen seeds.
`validation_*` rows are fold 1, the only set looked at when checking gate thresholds.

| metric | value |
|---|---|
{rows}

## Limits
The scenes are drawn, not photographed: Dice on composites says the network finds a
conjunctiva-coloured strip in an eye-like scene, not that it will on real phone photos.
Retrain or fine-tune on real annotated photos with `anemia-screen train-seg --data DIR`
before field use, and check refusals by hand on the first real photos.
"""
