"""Drawing the mask from the network, on held-out real photos: `python -m studies.seg_postprocess`.

Each Eyes-defy whole photo is segmented by the `train-seg` cross-validation network that never
saw its patient (runs/seg/folds, made by `anemia-screen train-seg ... --init DIR`), and the mask
is drawn from its output in several ways: as shipped (`model.segment.find`), with the mirror
image averaged in (test-time flip; training flips at random), with another probability
threshold, and with a third, closer look in overlapping windows along the lining. Writes
docs/cv/seg_postprocess.md. These are the patients the card's figures come from, so a variant
that wins here by a hair is noise, not a reason to ship it.
"""

from __future__ import annotations

import json

import numpy as np

from bot.training import segtraining
from model import seg_train, segment, unet
from studies import EYES_DEFY, PAGES, REPO, parse_args

FOLDS = REPO / "runs" / "seg" / "folds"  # train-seg's cross-validation networks
PHOTOS = EYES_DEFY / "photos"
OUT = PAGES / "seg_postprocess.md"


def flipped(model: unet.Model, image: np.ndarray) -> np.ndarray:
    mirror = segment.probabilities(model, np.ascontiguousarray(image[:, ::-1]))[:, ::-1]
    return 0.5 * (segment.probabilities(model, image) + mirror)


def starts(lo: int, hi: int, size: int) -> list[int]:
    """Window starts from lo to hi - size, overlapping by about half."""
    if size >= hi - lo:
        return [lo]
    return list(np.linspace(lo, hi - size, int(np.ceil(2 * (hi - lo) / size - 1))).astype(int))


def closer(model: unet.Model, small: np.ndarray, prob: np.ndarray, zoom: float) -> np.ndarray:
    """A third look: 4:3 windows `zoom` times closer than the lining's box, averaged in."""
    found = segment.largest_component(prob)
    if found is None:
        return prob
    t, b, left, r = segment.refine_box(found.mask, 0.1)
    hh = max(round((b - t) / zoom), 6)
    ww = max(round(hh * 4 / 3), 8)
    acc, n = np.zeros_like(prob), np.zeros_like(prob)
    for y in starts(t, b, hh):
        for x in starts(left, r, ww):
            window = (slice(y, y + hh), slice(x, x + ww))
            acc[window] += segment.probabilities(model, small[window])
            n[window] += 1
    return np.where(n > 0, 0.5 * (acc / np.maximum(n, 1) + prob), prob)


def find(
    model: unet.Model,
    image: np.ndarray,
    look: segment.Look | None = None,
    threshold: float = 0.5,
    zoom: float | None = None,
) -> np.ndarray:
    """`segment.find`'s two looks with the variant's look, third look and final threshold."""
    small = segment.work_size(image)
    prob = segment.two_looks(model, small, look=look)
    if prob is not None and zoom is not None:
        prob = closer(model, small, prob, zoom)
    found = None if prob is None else segment.largest_component(prob, threshold)
    if found is None:
        return np.zeros(image.shape[:2], bool)
    return segment.full_size(found, image.shape[:2]).mask


VARIANTS: dict[str, dict[str, object]] = {
    "as shipped": {},
    "mirror averaged in": {"look": flipped},
    "threshold 0.4": {"threshold": 0.4},
    "threshold 0.6": {"threshold": 0.6},
    "third look, windows as tall as the box": {"zoom": 1.0},
    "third look, windows 1.5x closer": {"zoom": 1.5},
}


def main() -> None:
    parse_args(__doc__)
    if not FOLDS.is_dir():
        raise SystemExit(f"{FOLDS} is missing: `anemia-screen train-seg` makes it")
    _, real = segtraining.gather([PHOTOS])
    folds = segtraining.real_folds(real, 5, seed=0)
    dice: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for f in range(5):
        model = unet.load(FOLDS / str(f))
        for p in (p for p, g in zip(real, folds, strict=True) if g == f):
            for name, kw in VARIANTS.items():
                dice[name].append(seg_train.dice(find(model, p.image, **kw), p.mask))  # type: ignore[arg-type]
    rows = [
        f"| {k} | {np.median(v):.3f} | {np.percentile(v, 10):.3f} | {np.mean(v):.3f} |"
        for k, v in dice.items()
    ]
    OUT.write_text(
        f"# Drawing the mask from the network\n\n{(__doc__ or '').split(chr(10), 2)[2].strip()}\n\n"
        f"{len(real)} photos, 5 folds (seed 0).\n\n| variant | Dice, median | 10th percentile "
        "| mean |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nRaw: "
        + json.dumps({k: round(float(np.median(v)), 4) for k, v in dice.items()})
        + "\n"
        "\nMade by `python -m studies.seg_postprocess`.\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
