"""`anemia-screen predict`: screen photos at the terminal, the models loaded once for all."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from bot.cli.errors import EXIT_REJECTED, CliError
from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person
from bot.texts import i18n

if TYPE_CHECKING:
    from bot.pipeline.screening import Screener

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


def why_rejected(error: ImageRejected) -> str:
    """What the person at the terminal can do about a refusal, or why it was refused."""
    return _AT_THE_TERMINAL.get(error.code) or _refusal(error)


def _metres(text: str) -> float:
    """An elevation in metres, within the ALTITUDE_M setting's range."""
    try:
        metres = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of metres: {text!r}") from None
    if not -500 <= metres <= 6000:
        raise argparse.ArgumentTypeError(f"give metres from -500 to 6000, not {text}")
    return metres


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `predict` to the `anemia-screen` sub-commands."""
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
    pr.add_argument("--out", type=Path, default=Path("."), help="folder for the output pictures")
    pr.add_argument("--weights", type=Path, help="weights folder (default: shipped)")


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
# what predict writes (and wrote: its overlay was a PNG before), not screened again
_OUTPUTS = ("_gradcam.jpg", "_gradcam.png", "_mask.png")


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


def run(a: argparse.Namespace) -> int:
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
            why = why_rejected(e)
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
    overlay, mask_png = a.out / f"{image.stem}_gradcam.jpg", a.out / f"{image.stem}_mask.png"
    overlay.write_bytes(result.overlay_jpeg)
    write_mask(mask_png, mask)
    if a.json:
        extra = {"image": str(image)} if len(a.images) > 1 or a.images[0].is_dir() else {}
        print(
            json.dumps(
                {**extra, **described(result), "gradcam": str(overlay), "mask": str(mask_png)}
            )
        )
    else:
        print("\n".join(summary_lines(result, overlay, mask_png)))
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
