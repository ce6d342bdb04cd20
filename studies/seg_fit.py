"""How well the shipped U-Net fits the real photos it was trained on: `python -m studies.seg_fit`.

The card's real-photo figures are cross-validated: each photo is segmented by a network that
never saw its patient. This study asks a different question, to tell where the shortfall
lies: the shipped network was fine-tuned on all 66 Eyes-defy whole photos, so its Dice on them
is its fit, not a figure of how it does on new people (never quote it as one). Beside it, the
ceiling the second look's grid puts on any network: the drawn mask itself, cut to the box
`model.segment.find` looks at (25% margin), shrunk to the 96x128 input and scaled back to 1280
px, against the drawn mask. A fit well below the ceiling says the network, not its input size,
is what falls short. Writes docs/cv/seg_fit.md.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from bot.training.segtraining import Photo, gather
from model import WEIGHTS, seg_train, segment, unet
from studies import EYES_DEFY, PAGES, parse_args

PHOTOS = EYES_DEFY / "photos"
OUT = PAGES / "seg_fit.md"


def through_grid(mask: np.ndarray, config: unet.Config) -> np.ndarray:
    """The drawn mask as the second look's input grid can hold it, back at the photo's size."""
    h, w = mask.shape
    small = segment.work_size(mask.astype(np.float32))
    t, b, left, r = segment.refine_box(small > 0.5)
    box = small[t:b, left:r]
    low = cv2.resize(box, (config.width, config.height), interpolation=cv2.INTER_AREA)
    held = np.zeros_like(small)
    held[t:b, left:r] = cv2.resize(low, (r - left, b - t), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(held, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5


def scores(found: np.ndarray, drawn: np.ndarray) -> tuple[float, float, float]:
    """Dice; of the pixels found, the share drawn; of those drawn, the share found."""
    both = float((found & drawn).sum())
    return seg_train.dice(found, drawn), both / max(found.sum(), 1), both / max(drawn.sum(), 1)


def fit_scores(model: unet.Model, photo: Photo) -> tuple[float, float, float]:
    found = segment.find(model, photo.image)
    return scores(found.mask if found else np.zeros_like(photo.mask), photo.mask)


def row(name: str, s: np.ndarray) -> str:
    d, found_drawn, drawn_found = s.T
    return (
        f"| {name} | {np.median(d):.3f} | {np.percentile(d, 10):.3f} | {d.mean():.3f} "
        f"| {(d >= 0.85).mean():.2f} | {np.median(found_drawn):.3f} "
        f"| {np.median(drawn_found):.3f} |"
    )


def main() -> None:
    parse_args(__doc__)
    model = unet.load(WEIGHTS)
    _, real = gather([PHOTOS])
    fit = np.array([fit_scores(model, p) for p in real])
    grid = np.array([scores(through_grid(p.mask, model.config), p.mask) for p in real])
    cv = json.loads((WEIGHTS / "seg_metrics.json").read_text())["real_cv"]["dice"]
    lines = [
        "# How well the shipped U-Net fits its real training photos",
        "",
        (__doc__ or "").split("\n\n", 1)[1].split("Writes")[0].strip(),
        "",
        f"{len(real)} photos, the network `{model.config.version}`, masks drawn by `find`.",
        "",
        "| | Dice, median | 10th percentile | mean | share >= 0.85 | found that is drawn, median "
        "| drawn that is found, median |",
        "|---|---|---|---|---|---|---|",
        row("the drawn mask through the second look's grid (ceiling)", grid),
        row("shipped network on its own training photos (fit)", fit),
        f"| cross-validated, from seg_metrics.json (new patients) | {cv['median']:.3f} "
        f"| {cv['p10']:.3f} | {cv['mean']:.3f} | - | - | - |",
        "",
        "Made by `python -m studies.seg_fit`.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[6:]))


if __name__ == "__main__":
    main()
