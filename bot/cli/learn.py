"""`anemia-screen cv|train|train-seg`: cross-validate the models and build the shipped weights."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.errors import CliError

if TYPE_CHECKING:
    from bot.training.jobs import Job


def _ints(text: str) -> tuple[int, ...]:
    """'16,32,64' -> (16, 32, 64): the U-Net's channels per level."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError("give at least two levels of positive channels")
    return values


def _mix(text: str) -> tuple[int, int, int]:
    """'11,3,2' -> (11, 3, 2): real-photo, composite and negative views per training batch."""
    parts = text.split(",")
    if len(parts) != 3 or not all(v.isdigit() and int(v) > 0 for v in parts):
        raise argparse.ArgumentTypeError(f"give three counts above 0, e.g. 11,3,2, not {text!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def _size(text: str) -> tuple[int, int]:
    """'96x128' -> (96, 128): the U-Net's input height and width."""
    h, _, w = text.partition("x")
    if not (h.isdigit() and w.isdigit()) or min(int(h), int(w)) < 16:
        raise argparse.ArgumentTypeError(f"give the size as HxW, e.g. 96x128, not {text!r}")
    return int(h), int(w)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cv`, `train` and `train-seg` to the `anemia-screen` sub-commands."""
    for name, text in (("cv", "cross-validate all models"), ("train", "build the weights")):
        _add_cv_options(sub.add_parser(name, help=text), name)
    sub.choices["train"].add_argument("--out", type=Path, help="weights folder (default: shipped)")
    sub.choices["train"].add_argument(
        "--recalibrate",
        action="store_true",
        help="keep the children's networks in --out; renew their interval, referral margin and "
        "figures from this CV (the adults' model is always refit: it takes seconds)",
    )
    sub.choices["train"].add_argument(
        "--refit",
        action="store_true",
        help="children only, no CV: fit the networks in --out again on all the data, keeping "
        "the interval, margin and figures of the CV that metrics.json holds (same data, folds, "
        "seed and configuration)",
    )
    _add_train_seg(sub)


def _add_cv_options(c: argparse.ArgumentParser, name: str) -> None:
    """The options `cv` and `train` share (`name`'s report folder by default)."""
    c.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        help="CP-AnemiC, Eyes-defy or CSV; repeat to combine",
    )
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--group-by", choices=("hospital",))
    c.add_argument("--report", type=Path, default=Path("runs") / name, help="report folder")
    c.add_argument("--epochs", type=int, help="override the training epochs (quick checks)")
    c.add_argument("--members", type=int, help="override the ensemble size (quick checks)")
    c.add_argument("--repeats", type=int, default=5, help="adults: fold splits averaged")
    c.add_argument(
        "--cohort",
        action="append",
        choices=("children", "adults"),
        default=[],
        help="cross-validate (and train) only this cohort's model",
    )
    c.add_argument(
        "--reuse-oof",
        type=Path,
        help="children: score the CNN estimates in an earlier report's oof.npz (same images, "
        "folds and configuration) instead of retraining them",
    )
    c.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _add_train_seg(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`train-seg`'s options."""
    ts = sub.add_parser("train-seg", help="train the conjunctiva segmentation network")
    ts.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        help="CP-AnemiC cut-outs (composited into photos), image+mask pairs, or "
        "Eyes-defy-anemia photos; repeat to combine",
    )
    ts.add_argument("--seed", type=int, default=0)
    ts.add_argument("--pretrain-steps", type=int, default=1500, help="stage 1: composites only")
    ts.add_argument("--finetune-steps", type=int, default=700, help="stage 2: with real photos")
    ts.add_argument("--real-folds", type=int, default=5, help="patient-grouped CV folds")
    ts.add_argument("--init", type=Path, help="start from this folder's U-Net (skips stage 1)")
    ts.add_argument(
        "--channels", type=_ints, help="a fresh stage 1's channels per level (default 16,32,64)"
    )
    ts.add_argument(
        "--size",
        type=_size,
        help="the input, HxW: a fresh stage 1's and the fine-tuning's, which may "
        "differ from --init's (default 96x128, or --init's)",
    )
    ts.add_argument(
        "--work", type=Path, default=Path("runs") / "seg", help="stage-1 network kept here"
    )
    ts.add_argument("--mix", type=_mix, help="real, composite and negative views per batch")
    ts.add_argument("--per-cutout", type=int, default=5, help="composites per cut-out")
    ts.add_argument("--negatives", type=int, default=400, help="photos with no eyelid")
    ts.add_argument("--out", type=Path, help="weights folder (default: shipped)")
    ts.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ts.add_argument("--measure-only", action="store_true", help="re-measure the saved network")
    ts.add_argument("--eval-negatives", type=int, default=20, help="held-out negatives per kind")


def learn(a: argparse.Namespace) -> int:
    """Run `cv` or `train` and print what was dropped, the report and the metrics."""
    from bot.training.build import run_train
    from bot.training.jobs import DataError, Job, run_cv
    from bot.training.report import dedup_text, gap_text
    from model import WEIGHTS

    for path in a.data:
        if not path.exists():
            raise CliError(f"no such data folder or file: {path}")
    if a.repeats < 1:
        raise CliError("--repeats must be at least 1")
    job = Job(
        tuple(a.data),
        a.report,
        a.folds,
        a.seed,
        a.group_by,
        a.epochs,
        a.members,
        a.repeats,
        tuple(a.cohort),
        reuse_oof=a.reuse_oof,
    )
    weights = getattr(a, "out", None) or WEIGHTS
    if a.command == "train" and a.recalibrate and not (weights / "ensemble.msgpack").is_file():
        raise CliError(f"--recalibrate needs trained children's weights in {weights}")
    if a.command == "train" and a.recalibrate and (a.epochs or a.members):
        # the shipped networks must be calibrated on the errors of their own configuration
        raise CliError("--recalibrate cannot be combined with --epochs or --members")
    if a.command == "train" and a.refit:
        return _refit(a, job, weights)
    try:
        if a.command == "train":
            cv = run_train(job, weights, refit_children=not a.recalibrate, readme=_readme(weights))
        else:
            cv = run_cv(job)
    except DataError as e:
        raise CliError(str(e)) from e
    print(dedup_text(cv.dedup), file=sys.stderr)
    if cv.dedup.near:
        print(gap_text(cv.dedup), file=sys.stderr)
    print(f"dropped: {', '.join(cv.dedup.dropped_keys) or 'none'}", file=sys.stderr)
    print(f"report: {cv.report}", file=sys.stderr)
    print(json.dumps(cv.metrics, indent=None if a.json else 2))
    return 0


def _refit(a: argparse.Namespace, job: Job, weights: Path) -> int:
    """`train --refit`: the children's networks fitted again; print their version."""
    from bot.training.jobs import DataError
    from bot.training.refit import run_refit

    if a.recalibrate or a.epochs or a.members or a.reuse_oof:
        raise CliError(
            "--refit cannot be combined with --recalibrate, --epochs, --members or --reuse-oof"
        )
    try:
        cfg = run_refit(job, weights)
    except DataError as e:
        raise CliError(str(e)) from e
    print(
        json.dumps(
            {"version": cfg.version, "half_width": cfg.half_width, "refer_margin": cfg.refer_margin}
        )
    )
    return 0


def _readme(weights: Path) -> Path | None:
    """The checkout's README, whose figures `train` rewrites when it builds the shipped
    weights (not a copy elsewhere, nor an installed package without the README)."""
    from model import WEIGHTS

    readme = WEIGHTS.parents[1] / "README.md"
    return readme if weights.resolve() == WEIGHTS.resolve() and readme.is_file() else None


def train_seg(a: argparse.Namespace) -> int:
    """Train the U-Net on composites (and real photos when given) and print its figures."""
    from bot.training.segjob import MIX, SegJob
    from bot.training.segtraining import gather, run
    from model import WEIGHTS, unet

    missing = [str(d) for d in a.data if not d.exists()]
    if missing:
        raise CliError(f"no such data folder: {', '.join(missing)}")
    if a.eval_negatives < 1 or a.real_folds < 2:
        raise CliError("--eval-negatives must be at least 1 and --real-folds at least 2")
    net = unet.Config()  # what a flag leaves unset
    h, w = a.size or (net.height, net.width)
    try:
        net = unet.Config(height=h, width=w, channels=a.channels or net.channels)
    except ValueError:
        n = len(a.channels or net.channels)
        raise CliError(f"with {n} levels, --size must divide by {unet.stride(n)}") from None
    try:
        cutouts, photos = gather(a.data)
    except ValueError as e:
        raise CliError(str(e)) from e
    job = SegJob(
        out=a.out or WEIGHTS,
        seed=a.seed,
        per_cutout=a.per_cutout,
        negatives=a.negatives,
        pretrain_steps=a.pretrain_steps,
        finetune_steps=a.finetune_steps,
        real_folds=a.real_folds,
        init=a.init,
        work=a.work,
        measure_only=a.measure_only,
        eval_negatives=a.eval_negatives,
        net=net,
        size=a.size,
        mix=a.mix or MIX,
    )
    try:
        metrics = run(job, cutouts, photos)
    except ValueError as e:  # too few folds' worth of patients, nothing to compose
        raise CliError(str(e)) from e
    print(json.dumps(metrics, indent=None if a.json else 2))
    return 0
