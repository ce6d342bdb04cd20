"""`anemia-screen`: predict from a photo, cross-validate, and train the shipped weights."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person
from bot.texts import i18n

if TYPE_CHECKING:
    from bot.pipeline.screening import Screener

EXIT_USAGE, EXIT_REJECTED, EXIT_INTERNAL = 2, 3, 1

# what the bot asks for with /profile, asked for here by the flags that give it
_AT_THE_TERMINAL = {
    "not_covered_age_unknown": "the model depends on whom the photo is of: give the age with "
    "--age-months (360 for 30 years), and from 15 years on --sex f or m",
    "not_covered_sex_unknown": "for adults the model needs to know whether the photo is of a "
    "woman or a man: give --sex f or --sex m",
}


def _refusal(error: ImageRejected) -> str:
    """Why an image was refused, in English (the bot's words for the same code)."""
    key = f"reject.{error.code}"
    return i18n.t("en", key, **error.params) if i18n.has(key) else error.code


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
    pr.add_argument(
        "images",
        metavar="IMAGE",
        type=Path,
        nargs="+",
        help="image files or folders of them; the models are loaded once for all",
    )
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
    pr.add_argument("--json", action="store_true", help="print one JSON object (a line each)")
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
        c.add_argument(
            "--reuse-oof",
            type=Path,
            help="children: score the CNN estimates in an earlier report's oof.npz (same images, "
            "folds and configuration) instead of retraining them",
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
    if _command(argv) != "predict":  # their parsers come with the database layer: seconds
        from bot.cli import adapt, folds, followups, prune, weblink

        for module in (followups, adapt, prune, weblink, folds):
            module.add_parsers(sub)
    return p.parse_args(argv)


def _command(argv: list[str] | None) -> str | None:
    """The sub-command asked for: the first argument that is not an option."""
    given = sys.argv[1:] if argv is None else argv
    return next((arg for arg in given if not arg.startswith("-")), None)


def _elsewhere(module: str) -> Callable[[argparse.Namespace], int]:
    """A sub-command whose module (and the database layer with it) loads when it runs."""

    def run(a: argparse.Namespace) -> int:
        return int(importlib.import_module(module).run(a))

    return run


def _usage_errors() -> tuple[type[Exception], ...]:
    """CliError, and the sub-commands' own usage errors where their modules have loaded (an
    error of a module that never loaded cannot have been raised)."""
    found: list[type[Exception]] = [CliError]
    for module, name in (
        ("bot.cli.screening_log", "RecordsError"),
        ("bot.cli.adapt", "AdaptCliError"),
        ("bot.cli.folds", "FoldsError"),
    ):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


IMAGE_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".bmp",
    ".tif",
    ".tiff",
    ".gif",
    ".heic",
    ".heif",
)
_OUTPUTS = ("_gradcam.png", "_mask.png")  # what predict writes: not screened again


def _images(given: list[Path]) -> list[Path]:
    """The files given, and the images in the folders given (by name, not our own outputs)."""
    out = []
    for path in given:
        if path.is_dir():
            out += [
                f
                for f in sorted(path.iterdir())
                if f.suffix.lower() in IMAGE_SUFFIXES and not f.name.endswith(_OUTPUTS)
            ]
        elif path.is_file():
            out.append(path)
        else:
            raise CliError(f"no such file: {path}")
    if not out:
        raise CliError(f"no images in {', '.join(map(str, given))}")
    return out


def predict(a: argparse.Namespace) -> int:
    """Screen the images and print (or JSON-print) each result; the models load once."""
    images = _images(a.images)
    pregnant = a.pregnant or a.trimester is not None
    person = Person(a.age_months, a.sex, pregnant, a.trimester, altitude_m=_altitude(a))
    if len(images) == 1 and not a.images[0].is_dir():  # one photo: a refusal ends the run
        return _predict_one(a, images[0], person, _Models(a))
    models, refused = _Models(a), 0
    for image in images:
        try:
            _predict_one(a, image, person, models)
        except ImageRejected as e:
            refused += 1
            why = _AT_THE_TERMINAL.get(e.code) or _refusal(e)
            if a.json:
                print(json.dumps({"image": str(image), "rejected": e.code, "message": why}))
            print(f"anemia-screen: cannot screen {image}: {why}", file=sys.stderr)
    return EXIT_REJECTED if refused else 0


class _Models:
    """The Screener, loaded when the first image has decoded (a bad file costs no loading)."""

    def __init__(self, a: argparse.Namespace) -> None:
        from model import WEIGHTS

        self.weights: Path = a.weights or WEIGHTS
        self.screener: Screener | None = None

    def get(self) -> Screener:
        if self.screener is None:
            from bot.pipeline.screening import Screener

            if not (self.weights / "ensemble.msgpack").is_file():
                raise CliError(f"no model weights in {self.weights}; run `anemia-screen train`")
            self.screener = Screener(self.weights)
        return self.screener


def _predict_one(a: argparse.Namespace, image: Path, person: Person, models: _Models) -> int:
    from bot.cli.summary import described, summary_lines
    from bot.pipeline.decode import decode

    decoded = decode(image.read_bytes())  # refuse bad files before loading the model
    result, mask = models.get().screen_with_mask(decoded, person)
    a.out.mkdir(parents=True, exist_ok=True)
    png, mask_png = (a.out / f"{image.stem}_{kind}.png" for kind in ("gradcam", "mask"))
    png.write_bytes(result.overlay_png)
    write_mask(mask_png, mask)
    if a.json:
        extra = {"image": str(image)} if len(a.images) > 1 or a.images[0].is_dir() else {}
        print(
            json.dumps({**extra, **described(result), "gradcam": str(png), "mask": str(mask_png)})
        )
    else:
        print("\n".join(summary_lines(result, png, mask_png)))
    return 0


def _altitude(a: argparse.Namespace) -> float:
    """--altitude-m, or the bot's ALTITUDE_M setting, so both judge by the same cut-offs."""
    if a.altitude_m is not None:
        return float(a.altitude_m)
    from pydantic import ValidationError

    from bot.services.settings import BotSettings

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
        reuse_oof=a.reuse_oof,
    )
    weights = getattr(a, "out", None) or WEIGHTS
    if a.command == "train" and a.recalibrate and not (weights / "ensemble.msgpack").is_file():
        raise CliError(f"--recalibrate needs trained children's weights in {weights}")
    if a.command == "train" and a.recalibrate and (a.epochs or a.members):
        # the shipped networks must be calibrated on the errors of their own configuration
        raise CliError("--recalibrate cannot be combined with --epochs or --members")
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


COMMANDS = {
    "predict": predict,
    "cv": learn,
    "train": learn,
    "train-seg": train_seg,
    "followups": _elsewhere("bot.cli.followups"),
    "stats": _elsewhere("bot.cli.followups"),
    "export": _elsewhere("bot.cli.adapt"),
    "adapt": _elsewhere("bot.cli.adapt"),
    "prune": _elsewhere("bot.cli.prune"),
    "web-link": _elsewhere("bot.cli.weblink"),
    "folds": _elsewhere("bot.cli.folds"),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr and a non-zero exit for anything that goes wrong."""
    a = _args(argv)
    try:
        return COMMANDS[a.command](a)
    except ImageRejected as e:
        why = _AT_THE_TERMINAL.get(e.code) or _refusal(e)
        if getattr(a, "json", False):
            print(json.dumps({"rejected": e.code, "message": why}))
        print(f"anemia-screen: cannot screen this image: {why}", file=sys.stderr)
        return EXIT_REJECTED
    except _usage_errors() as e:
        print(f"anemia-screen: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback at the terminal; the one line says what failed
        print(f"anemia-screen: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
