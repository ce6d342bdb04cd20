"""The `train-seg` job: train the U-Net on real photos and composites, measure it, ship it.

Two stages. Composites (CP-AnemiC cut-outs of training folds 2-4 drawn into eye scenes, plain
backdrops and scenes with no eyelid) teach a fresh network what a conjunctiva looks like; or
`--init` starts from a network already trained so. Then it is fine-tuned on real annotated
photos, seen in many framings and lights (`bot.training.data.seg_views`), with composites and
negatives still in every batch so it keeps refusing what is not an eyelid.

Figures: real photos by patient-grouped k-fold cross-validation (each fold fine-tunes its own
copy of the stage-1 network on the other patients); composites on cut-out fold 0, validation on
fold 1, as before. The shipped network is then fine-tuned on every real photo.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.training import segcard, segeval
from bot.training.data import Sample, compose, cpanemic, deduplicate, make_folds, photos, sources
from bot.training.data.seg_views import Pyramid, pyramid, view
from bot.training.segjob import MIX, SegJob
from model import export, seg_train, unet

SIZE = segeval.SIZE  # composite photo size (H, W)


@dataclass(frozen=True)
class Photo:
    image: np.ndarray  # RGB uint8
    mask: np.ndarray  # bool
    group: str = ""  # the patient: folds never split one


@dataclass(frozen=True)
class Pools:
    """What every training batch draws from."""

    composites: list[Pyramid]
    negatives: list[Pyramid]


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


def pools(train: Sequence[Sample], job: SegJob) -> Pools:
    """Training composites and negatives, as pyramids to take views of."""
    comp = [pyramid(p.image, p.mask) for p in positives(train, job.per_cutout, 0)]
    neg = [pyramid(p.image, p.mask) for p in negatives(job.negatives, 0)]
    return Pools(comp, neg)


def batches(
    real: Sequence[Pyramid],
    pool: Pools,
    config: unet.Config,
    seed: int,
    mix: tuple[int, int, int] = MIX,
) -> seg_train.Batches:
    """Mixed batches of random views: real photos, composites and negatives, `mix` of each;
    with no real photos (stage 1) their share goes to the composites."""
    rng, out = np.random.default_rng(seed), (config.height, config.width)
    n_real, n_comp, n_neg = mix if real else (0, mix[0] + mix[1], mix[2])
    sources_ = [(real, n_real), (pool.composites, n_comp), (pool.negatives, n_neg)]

    def batch(step: int) -> tuple[np.ndarray, np.ndarray]:
        views = [
            view(items[int(rng.integers(len(items)))], rng, out)
            for items, n in sources_
            for _ in range(n if items else 0)
        ]
        x = np.stack([unet.to_input(img, config) for img, _ in views])
        return x, np.stack([m for _, m in views]).astype(np.float32)

    return batch


def pretrain(pool: Pools, job: SegJob) -> unet.Model:
    """Stage 1: a fresh U-Net on composites and negatives alone."""
    config = job.net
    tc = seg_train.SegTrainConfig(steps=job.pretrain_steps)
    model = unet.build(config, job.seed)
    return seg_train.fit(model, tc, batches([], pool, config, job.seed, job.mix), seed=job.seed)


def start_model(start: Path, job: SegJob) -> unet.Model:
    """The stage-1 network read from `start`, set to take `job.size` if one is given.

    The U-Net has convolutions only, so the same weights take any input size the levels
    divide; a network pretrained at 96x128 is fine-tuned at a finer size without a new stage 1.
    ValueError for a size its levels do not divide."""
    model = unet.load(start)
    if job.size is not None:
        model.config = replace(model.config, height=job.size[0], width=job.size[1])
    return model


def finetune(start: Path, real: Sequence[Photo], pool: Pools, job: SegJob, seed: int) -> unet.Model:
    """Stage 2: the stage-1 network (read from `start`) fine-tuned with real photos mixed in."""
    model = start_model(start, job)
    tc = seg_train.SegTrainConfig(steps=job.finetune_steps, learning_rate=2e-3)
    pyramids = [pyramid(p.image, p.mask) for p in real]
    return seg_train.fit(model, tc, batches(pyramids, pool, model.config, seed, job.mix), seed=seed)


def real_folds(real: Sequence[Photo], k: int, seed: int) -> np.ndarray:
    """Fold per photo, whole patients together, patients dealt to folds at random."""
    groups = sorted({p.group for p in real})
    if not 2 <= k <= len(groups):
        raise ValueError(f"need 2 to {len(groups)} folds for {len(groups)} patients, not {k}")
    fold_of = dict(
        zip(groups, np.random.default_rng(seed).permutation(len(groups)) % k, strict=True)
    )
    return np.array([fold_of[p.group] for p in real])


def cross_validate(
    start: Path | None, real: Sequence[Photo], pool: Pools | None, job: SegJob
) -> list[segeval.PhotoResult]:
    """Out-of-fold results for every real photo, each from a network that never saw its patient.

    Each fold's network is kept in `job.work/folds/<f>` with the patients it was trained
    without, so `--measure-only` re-measures them (after a change to how a network's output
    becomes a mask) without training them again; `start`/`pool` are needed only to train."""
    folds = real_folds(real, job.real_folds, job.seed)
    results: list[segeval.PhotoResult] = []
    for f in range(job.real_folds):
        held = [p for p, g in zip(real, folds, strict=True) if g == f]
        model = fold_network(start, real, folds, f, pool, job)
        results += [segeval.judge(model, p.image, p.mask, fold=f) for p in held]
    return results


def fold_network(
    start: Path | None,
    real: Sequence[Photo],
    folds: np.ndarray,
    f: int,
    pool: Pools | None,
    job: SegJob,
) -> unet.Model:
    """Fold f's network: the kept one when measuring only, else fine-tuned now and kept."""
    where = job.work / "folds" / str(f)
    held = sorted({p.group for p, g in zip(real, folds, strict=True) if g == f})
    if job.measure_only:
        kept = json.loads((where / "held_out.json").read_text()) if where.is_dir() else None
        if kept != held:
            raise ValueError(f"no fold {f} network for these photos in {where}: train first")
        return unet.load(where)
    if start is None or pool is None:
        raise ValueError("training a fold needs the stage-1 network and the training pools")
    train = [p for p, g in zip(real, folds, strict=True) if g != f]
    model = finetune(start, train, pool, job, seed=job.seed + 1 + f)
    unet.save(replace_version(model, f"seg-fold{f}-s{job.seed}"), where)
    (where / "held_out.json").write_text(json.dumps(held) + "\n")
    return model


def start_of(job: SegJob) -> Path:
    """The folder of the network stage 2 starts from: `job.init`, or job.work's stage 1."""
    return job.init or job.work / "stage1"


def stage_one(job: SegJob, pool: Pools) -> Path:
    """The folder holding the stage-1 network: `job.init`, or one trained now into job.work."""
    if job.init is not None:
        return job.init
    if not pool.composites:
        raise ValueError("stage 1 needs at least 10 cut-outs to compose, or --init DIR")
    unet.save(replace_version(pretrain(pool, job), "composites"), start_of(job))
    return start_of(job)


def final_network(start: Path, real: Sequence[Photo], pool: Pools, job: SegJob) -> unet.Model:
    """The network to ship, saved in job.out: stage 1 fine-tuned on every real photo given."""
    model = finetune(start, real, pool, job, seed=job.seed) if real else start_model(start, job)
    unet.save(replace_version(model, f"seg-{len(real)}real-s{job.seed}"), job.out)
    export.export(job.out)  # the program serving calls, made again from the new weights
    return model


def made_of(job: SegJob, model: unet.Model, n_real: int, n_cutouts: int) -> dict[str, object]:
    """What seg_metrics.json keeps of how the network was made (a re-measure keeps it)."""
    return {
        "n_real_photos": n_real,
        "n_cutouts_train": n_cutouts,
        "stage1": segcard.stage1(job),
        "network": segcard.network(model.config),
        "finetune_steps": job.finetune_steps,
        "mix": list(job.mix),
    }


def replace_version(model: unet.Model, version: str) -> unet.Model:
    model.config = replace(model.config, version=version)
    return model


def run(job: SegJob, samples: Sequence[Sample], real: Sequence[Photo] = ()) -> dict[str, object]:
    """Train (unless measure_only), measure on held-out real photos and composites, save."""
    if len(samples) < 10 and len(real) < 10:
        raise ValueError("need at least 10 cut-outs or 10 annotated photos to train on")
    train_s, val_s, test_s = split(samples, job.seed) if len(samples) >= 10 else ([], [], [])
    if real and not job.measure_only:
        real_folds(real, job.real_folds, job.seed)  # refuse impossible folds before training
    metrics: dict[str, object] = {}
    if job.measure_only:
        model = unet.load(job.out)
        if real:
            metrics["real_cv"] = segeval.summarise(
                cross_validate(None, real, None, job), job.real_folds
            )
    else:
        pool = pools(train_s, job)
        start = stage_one(job, pool)
        if real:
            results = cross_validate(start, real, pool, job)
            metrics["real_cv"] = segeval.summarise(results, job.real_folds)
        model = final_network(start, real, pool, job)
    k = job.eval_negatives
    if test_s:
        metrics["composites"] = segeval.measure(model, test_s, job.seed, per_kind=k)
    if val_s:
        val = segeval.measure(model, val_s, job.seed, offset=segeval.VAL_SEED_OFFSET, per_kind=k)
        metrics["composites_validation"] = val
    saved = json.loads((job.out / "seg_metrics.json").read_text()) if job.measure_only else {}
    counts = made_of(job, model, len(real), len(train_s))
    metrics = {**counts, **saved, **metrics} if job.measure_only else {**metrics, **counts}
    (job.out / "seg_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (job.out / "SEGMENTATION_CARD.md").write_text(segcard.card(metrics, job))
    return metrics


def _patients(root: Path) -> dict[str, str]:
    """image file name -> patient, from a labels.csv beside the photos (Eyes-defy's layout)."""
    table = root / "labels.csv"
    if not table.is_file():
        return {}
    with table.open(newline="") as f:
        return {Path(r["image"]).name: r["patient"] for r in csv.DictReader(f) if r.get("patient")}


def _folder_or_file(root: Path, key: str) -> str:
    """Patient of a photo without a table: its folder (Eyes-defy keeps one per patient)."""
    parent = Path(key).parent
    return f"{root}/{parent if parent != Path('.') else key}"


def byte_copies_removed(path: Path) -> list[Sample]:
    """The cut-outs to composite: identical files merged, any Hb disagreement dropped. Only
    identical files, as when the shipped U-Net was trained: its held-out cut-outs (`split`)
    stay held out. (Cut-outs only feed composites; the U-Net is measured on real photos.)"""
    return deduplicate(sources.load_any(path), tolerance=0.0, near=False)[0]


def gather(paths: Sequence[Path]) -> tuple[list[Sample], list[Photo]]:
    """Cut-outs to composite (CP-AnemiC, CSV) and real annotated photos, from each path."""
    cutouts: list[Sample] = []
    real: list[Photo] = []
    for path in paths:
        if path.suffix == ".csv" or cpanemic.is_cpanemic(path):
            cutouts += byte_copies_removed(path)
        else:  # 12 MP phone photos are ~36 MB decoded: shrink them as a chat app would
            patient = _patients(path)
            real += [
                Photo(p.image, p.mask, patient.get(Path(p.key).name, _folder_or_file(path, p.key)))
                for p in photos.load_photos(path, max_side=1280)
                if p.mask.any()  # an empty drawing says nothing about where the lining is
            ]
    return cutouts, real
