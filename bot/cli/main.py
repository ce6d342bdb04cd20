"""`anemia-screen`: predict from a photo, cross-validate, and train the shipped weights."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from bot.cli.adapt import AdaptCliError
from bot.cli.adapt import add_parsers as add_adapt_parsers
from bot.cli.adapt import run as run_adapt
from bot.cli.folds import FoldsError
from bot.cli.folds import add_parsers as add_folds_parsers
from bot.cli.folds import run as run_folds
from bot.cli.followups import RecordsError
from bot.cli.followups import add_parsers as add_records_parsers
from bot.cli.followups import run as run_records
from bot.cli.prune import add_parsers as add_prune_parsers
from bot.cli.prune import run as run_prune
from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person

EXIT_USAGE, EXIT_REJECTED, EXIT_INTERNAL = 2, 3, 1

# what the bot asks for with /profile, asked for here by the flags that give it
_AT_THE_TERMINAL = {
    "not_covered_age_unknown": "the model depends on whom the photo is of: give the age with "
    "--age-months (360 for 30 years), and from 15 years on --sex f or m",
    "not_covered_sex_unknown": "for adults the model needs to know whether the photo is of a "
    "woman or a man: give --sex f or --sex m",
}


class CliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


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


def _metres(text: str) -> float:
    """An elevation in metres, within the ALTITUDE_M setting's range."""
    try:
        metres = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of metres: {text!r}") from None
    if not -500 <= metres <= 6000:
        raise argparse.ArgumentTypeError(f"give metres from -500 to 6000, not {text}")
    return metres


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="anemia-screen", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    pr = sub.add_parser("predict", help="estimate Hb from a conjunctiva image")
    pr.add_argument("image", type=Path)
    pr.add_argument("--age-months", type=float, help="the person's age (360 for 30 years)")
    pr.add_argument("--sex", choices=("f", "m"), help="needed from 15 years on")
    pr.add_argument("--pregnant", action="store_true")
    pr.add_argument("--trimester", type=int, choices=(1, 2, 3), help="with --pregnant")
    pr.add_argument(
        "--altitude-m",
        type=_metres,
        help="the programme's elevation in metres: from 1000 m WHO's adjustment "
        "raises every cut-off (default: the ALTITUDE_M setting, 0)",
    )
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.add_argument("--out", type=Path, default=Path("."), help="folder for the output PNGs")
    pr.add_argument("--weights", type=Path, help="weights folder (default: shipped)")
    for name, text in (("cv", "cross-validate all models"), ("train", "build the weights")):
        c = sub.add_parser(name, help=text)
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
        c.add_argument("--json", action="store_true", help="print the metrics as JSON")
    sub.choices["train"].add_argument("--out", type=Path, help="weights folder (default: shipped)")
    sub.choices["train"].add_argument(
        "--recalibrate",
        action="store_true",
        help="keep the children's networks in --out; renew their interval, referral margin and "
        "figures from this CV (the adults' model is always refit: it takes seconds)",
    )
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
    add_records_parsers(sub)
    add_adapt_parsers(sub)
    add_prune_parsers(sub)
    add_folds_parsers(sub)
    return p.parse_args(argv)


def predict(a: argparse.Namespace) -> int:
    """Screen one image and print (or JSON-print) the result."""
    from bot.cli.summary import summary_lines
    from bot.pipeline.decode import decode
    from bot.pipeline.screening import Screener, describe
    from model import WEIGHTS

    if not a.image.is_file():
        raise CliError(f"no such file: {a.image}")
    pregnant = a.pregnant or a.trimester is not None
    person = Person(a.age_months, a.sex, pregnant, a.trimester, altitude_m=_altitude(a))
    decoded = decode(a.image.read_bytes())  # refuse bad files before loading the model
    weights = a.weights or WEIGHTS
    if not (weights / "ensemble.msgpack").is_file():
        raise CliError(f"no model weights in {weights}; run `anemia-screen train` first")
    result, mask = Screener(weights).screen_with_mask(decoded, person)
    a.out.mkdir(parents=True, exist_ok=True)
    png, mask_png = (a.out / f"{a.image.stem}_{kind}.png" for kind in ("gradcam", "mask"))
    png.write_bytes(result.overlay_png)
    write_mask(mask_png, mask)
    if a.json:
        print(json.dumps({**describe(result), "gradcam": str(png), "mask": str(mask_png)}))
    else:
        print("\n".join(summary_lines(result, png, mask_png)))
    return 0


def _altitude(a: argparse.Namespace) -> float:
    """--altitude-m, or the bot's ALTITUDE_M setting, so both judge by the same cut-offs."""
    if a.altitude_m is not None:
        return float(a.altitude_m)
    from pydantic import ValidationError

    from bot.chat.settings import BotSettings

    try:
        return BotSettings().altitude_m
    except ValidationError as e:
        fields = ", ".join(str(err["loc"][0]).upper() for err in e.errors() if err["loc"])
        raise CliError(
            f"the environment's settings are not valid ({fields}); fix them or give --altitude-m"
        ) from None


def write_mask(path: Path, mask: np.ndarray) -> None:
    """The conjunctiva mask as a single-channel PNG: 255 on the lining, 0 elsewhere."""
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8)).save(path, format="PNG")


def learn(a: argparse.Namespace) -> int:
    """Run `cv` or `train` and print what was dropped, the report and the metrics."""
    from bot.training.jobs import DataError, Job, run_cv, run_train
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
    )
    weights = getattr(a, "out", None) or WEIGHTS
    if a.command == "train" and a.recalibrate and not (weights / "ensemble.msgpack").is_file():
        raise CliError(f"--recalibrate needs trained children's weights in {weights}")
    if a.command == "train" and a.recalibrate and (a.epochs or a.members):
        # the shipped networks must be calibrated on the errors of their own configuration
        raise CliError("--recalibrate cannot be combined with --epochs or --members")
    try:
        if a.command == "train":
            cv = run_train(job, weights, refit_children=not a.recalibrate)
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


COMMANDS = {
    "predict": predict,
    "cv": learn,
    "train": learn,
    "train-seg": train_seg,
    "followups": run_records,
    "stats": run_records,
    "export": run_adapt,
    "adapt": run_adapt,
    "prune": run_prune,
    "folds": run_folds,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr and a non-zero exit for anything that goes wrong."""
    a = _args(argv)
    try:
        return COMMANDS[a.command](a)
    except ImageRejected as e:
        why = _AT_THE_TERMINAL.get(e.code, e.message)
        if getattr(a, "json", False):
            print(json.dumps({"rejected": e.code, "message": why}))
        print(f"anemia-screen: cannot screen this image: {why}", file=sys.stderr)
        return EXIT_REJECTED
    except (CliError, RecordsError, AdaptCliError, FoldsError) as e:
        print(f"anemia-screen: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback at the terminal; the one line says what failed
        print(f"anemia-screen: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
