"""Compare U-Net variants by `train-seg`'s patient-grouped CV, training them side by side.

`python -m bot.training.segsweep --data D... --work DIR --variants a,b` trains, for each
variant, the same networks that `train-seg` trains one after another: a stage 1 (unless the
variant starts from a kept one), one fine-tuned network per real-photo fold, and the network
fine-tuned on every photo. Jobs run in parallel worker processes, which is what a many-core
machine (with or without a GPU) needs; on a laptop `train-seg` does the same work in series.
It only trains. Each variant's folder is laid out as `train-seg --measure-only` reads it:

    anemia-screen train-seg --data D... --measure-only --work DIR/<variant> \\
        --out DIR/<variant>/final --finetune-steps F ...

The composites and negatives are drawn once, before the workers fork, so every job draws its
batches from the same pools without pickling them; JAX starts inside each worker.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from concurrent import futures
from dataclasses import dataclass, replace
from pathlib import Path

import cv2

from bot.training.data import Sample
from bot.training.data.compose import NEGATIVE_KINDS
from bot.training.data.seg_views import Pyramid, pyramid
from bot.training.segjob import MIX, SegJob
from bot.training.segtraining import (
    Photo,
    Pools,
    final_network,
    fold_network,
    gather,
    made_of,
    negatives,
    positives,
    real_folds,
    split,
    stage_one,
    start_of,
)
from model import unet


@dataclass(frozen=True)
class Variant:
    """A U-Net and its training: what `train-seg --channels --size --*-steps --mix` set."""

    net: unet.Config
    pretrain_steps: int
    finetune_steps: int
    init: str | None = None  # another variant's name (share its stage 1) or a folder in --work
    size: tuple[int, int] | None = None  # fine-tune at this input (H, W), not stage 1's
    mix: tuple[int, int, int] = MIX  # real-photo, composite, negative views per batch


VARIANTS = {
    # train-seg's 3-level recipe fine-tuned longer, from a stage 1 put in WORK/stage1 beforehand
    "base-3k": Variant(unet.Config(), 0, 3000, init="stage1"),
    "deep4": Variant(unet.Config(channels=(16, 32, 64, 128)), 3000, 3000),
    "deep4-6k": Variant(unet.Config(channels=(16, 32, 64, 128)), 0, 6000, init="deep4"),
    "deep4-hr": Variant(unet.Config(height=120, width=160, channels=(16, 32, 64, 128)), 3000, 3000),
    # deep4's stage 1 (96x128) fine-tuned at 120x160: a finer input without a new stage 1
    "deep4-160": Variant(unet.Config(channels=(16, 32, 64, 128)), 0, 3000, "deep4", (120, 160)),
    # deep4-6k gained on real photos (0.847) but lost composites and negatives: fine-tuned as
    # long with more of both in every batch, from a stage 1 of its own
    "deep4-6k-mix": Variant(unet.Config(channels=(16, 32, 64, 128)), 3000, 6000, mix=(9, 4, 3)),
    # deep4 with one and a half times the channels at every level
    "wide4": Variant(unet.Config(channels=(24, 48, 96, 192)), 3000, 3000),
}

# Set before the workers fork; each worker reads them, never pickles them.
_REAL: list[Photo] = []
_POOL: Pools | None = None


def job_of(name: str, variant: Variant, work: Path, seed: int) -> SegJob:
    """The `train-seg` job a variant stands for, its networks kept under work/name."""
    init = None
    if variant.init is not None:
        init = work / variant.init / "stage1" if variant.init in VARIANTS else work / variant.init
    return SegJob(
        out=work / name / "final",
        seed=seed,
        pretrain_steps=variant.pretrain_steps,
        finetune_steps=variant.finetune_steps,
        init=init,
        work=work / name,
        net=variant.net,
        size=variant.size,
        mix=variant.mix,
    )


def _stage1(job: SegJob) -> str:
    """Worker: the variant's stage 1 on composites and negatives; returns where it is kept."""
    assert _POOL is not None
    return str(stage_one(job, _POOL))


def _fold(job: SegJob, f: int) -> str:
    """Worker: fold f's network, fine-tuned without fold f's patients and kept for measuring."""
    fold_network(start_of(job), _REAL, real_folds(_REAL, job.real_folds, job.seed), f, _POOL, job)
    return f"{job.work.name} fold {f}"


def _final(job: SegJob, n_cutouts: int) -> str:
    """Worker: the network fine-tuned on every photo, with what its card needs to know."""
    assert _POOL is not None
    model = final_network(start_of(job), _REAL, _POOL, job)
    counts = made_of(job, model, len(_REAL), n_cutouts)
    (job.out / "seg_metrics.json").write_text(json.dumps(counts, indent=2) + "\n")
    return f"{job.work.name} final"


def _second_wave(
    ex: futures.ProcessPoolExecutor, job: SegJob, n_cutouts: int
) -> list[futures.Future[str]]:
    """A variant's fold networks and its final network, submitted once its stage 1 exists."""
    folds = [ex.submit(_fold, job, f) for f in range(job.real_folds)]
    return [*folds, ex.submit(_final, job, n_cutouts)]


def _trained_here(jobs: dict[str, SegJob]) -> set[Path]:
    """The stage-1 folders this sweep trains (the variants that start from no other)."""
    return {start_of(j) for j in jobs.values() if j.init is None}


def sweep(jobs: dict[str, SegJob], n_cutouts: int, workers: int) -> None:
    """Stage 1s first; each variant's folds and final network as soon as its stage 1 exists."""
    start = {n: start_of(j) for n, j in jobs.items()}
    t0 = time.time()
    with futures.ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as ex:
        running = {ex.submit(_stage1, j): n for n, j in jobs.items() if j.init is None}
        made = _trained_here(jobs)
        waiting = {n for n in jobs if start[n] in made}
        for n in set(jobs) - waiting:
            running |= dict.fromkeys(_second_wave(ex, jobs[n], n_cutouts), n)
        while running:
            done, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
            for fut in done:
                finished = fut.result()  # a stage 1's folder, or a network's name
                print(f"{time.time() - t0:7.1f} s  {finished}", flush=True)
                del running[fut]
                made.discard(Path(finished))
            for n in [n for n in waiting if start[n] not in made]:
                running |= dict.fromkeys(_second_wave(ex, jobs[n], n_cutouts), n)
                waiting.discard(n)


_TRAIN: list[Sample] = []


def _draw(kind: str, lo: int, hi: int, per: int) -> list[Pyramid]:
    """Pyramids of positives lo:hi (composites of cut-outs) or negatives lo:hi."""
    if kind == "positives":
        made = positives(_TRAIN[lo:hi], per, lo * per)
    else:  # chunks start at multiples of the kinds' count, so each keeps its kind and seed
        made = negatives(hi - lo, lo)
    return [pyramid(p.image, p.mask) for p in made]


def parallel_pools(train: list[Sample], job: SegJob, workers: int) -> Pools:
    """`segtraining.pools`, the same scenes, drawn by `workers` processes."""
    global _TRAIN
    _TRAIN = train
    step_p = max(1, len(train) // workers)
    step_n = len(NEGATIVE_KINDS) * max(1, job.negatives // (workers * len(NEGATIVE_KINDS)))
    tasks = [("positives", i, min(i + step_p, len(train))) for i in range(0, len(train), step_p)]
    tasks += [
        ("negatives", i, min(i + step_n, job.negatives)) for i in range(0, job.negatives, step_n)
    ]
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # forked children must run OpenCV serially, not in its thread pool
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_draw, [(*t, job.per_cutout) for t in tasks])
    finally:
        cv2.setNumThreads(threads)
    pos = [p for t, part in zip(tasks, parts, strict=True) if t[0] == "positives" for p in part]
    neg = [p for t, part in zip(tasks, parts, strict=True) if t[0] == "negatives" for p in part]
    return Pools(pos, neg)


def _jobs(names: str, work: Path, scale: float, negatives: int) -> dict[str, SegJob]:
    """Each named variant's job, steps scaled; ValueError for a name or start that is missing."""
    jobs = {}
    for name in names.split(","):
        if name not in VARIANTS:
            raise ValueError(f"no variant {name!r}; choose from {', '.join(VARIANTS)}")
        v = VARIANTS[name]
        scaled = replace(
            v,
            pretrain_steps=round(v.pretrain_steps * scale),
            finetune_steps=round(v.finetune_steps * scale),
        )
        jobs[name] = replace(job_of(name, scaled, work, 0), negatives=negatives)
    made = _trained_here(jobs)
    for name, j in jobs.items():
        if j.init is not None and j.init not in made and not (j.init / "unet.json").is_file():
            raise ValueError(f"{name} starts from {j.init}, which holds no U-Net")
    return jobs


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, action="append", required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--steps-scale", type=float, default=1.0, help="shrink every step count")
    p.add_argument("--negatives", type=int, default=400)
    a = p.parse_args(argv)
    cv2.setNumThreads(1)  # one job per core; cv2's own threads would also not survive a fork
    global _REAL, _POOL
    try:
        jobs = _jobs(a.variants, a.work, a.steps_scale, a.negatives)
        cutouts, _REAL = gather(a.data)
        job = next(iter(jobs.values()))
        real_folds(_REAL, job.real_folds, job.seed)  # enough patients, before any training
    except ValueError as e:
        p.error(str(e))  # one line and exit status 2, as anemia-screen answers
    train = split(cutouts, 0)[0]
    t0 = time.time()
    _POOL = parallel_pools(train, job, a.workers)
    print(f"{len(_REAL)} real photos, {len(train)} cut-outs; pools in {time.time() - t0:.0f} s")
    sweep(jobs, len(train), a.workers)


if __name__ == "__main__":
    main()
