"""Photo quality gates: refuse what cannot be screened, with a reason, a message and a tip.

Each gate has its own code so the bot can explain and the logs can count. Thresholds are set
from what the measurements mean (stated beside each), then checked on validation composites
and negatives built from training-fold cut-outs only (`bot/training/segtraining.py`), never on the
held-out set the bar is measured on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from bot.pipeline.decode import ImageRejected
from model import segment

# the quality gates; what went wrong and what to do is `reject.<code>` in the catalogues
GATES = (
    "not_eyelid",
    "no_conjunctiva",
    "too_small",
    "blurred",
    "too_dark",
    "over_exposed",
    "glare",
    "colour_lost",
)


REGION_GATES = (
    "too_small",
    "too_dark",
    "over_exposed",
    "glare",
    "not_eyelid",
    "colour_lost",
    "blurred",
)  # the order _region_checks tells them in


def reject(code: str) -> ImageRejected:
    """The ImageRejected for a gate (its message, what went wrong and what to do, is
    `reject.<code>` in bot/texts)."""
    return ImageRejected(code)


@dataclass(frozen=True)
class Thresholds:
    min_std: float = 6.0  # grey levels: below this the picture is one flat colour
    max_noise_ratio: float = 0.55  # share of the image's variance at the finest scale
    # Greyscale: under 2% of pixels with HSV saturation above 0.12. A share, not a mean, so a
    # cut-out on a white or black background (little colour overall) still counts as colour.
    colour_saturation: float = 0.12
    min_colour_share: float = 0.02
    min_area_fraction: float = 0.004  # conjunctiva pixels / photo pixels
    min_width_px: int = 40  # conjunctiva bounding-box width in the photo
    min_sharpness: float = 12.0  # variance of the Laplacian on a 256-px-wide grey crop
    dark_l: float = 22.0  # CIELAB L* (0-100) of the conjunctiva
    bright_l: float = 88.0
    max_glare: float = 0.15  # share of conjunctiva pixels that are specular (bright, colourless)
    min_confidence: float = 0.7  # mean network probability inside the kept component
    min_redness: float = 6.0  # mean a* (CIELAB, about -128..127) of the conjunctiva


def photo_failures(rgb: np.ndarray, t: Thresholds = Thresholds()) -> list[str]:
    """Codes of the whole-photo gates that fail (flat colour, noise, greyscale), in order.

    `rgb`: the photo, or the photo shrunk by `segment.work_size` (its 128x96 view differs by
    rounding only, and costs a quarter of the time from a 1-12 MP photo), or that 128x96 view
    itself (`segment.thumbnail`)."""
    small = cv2.resize(rgb, (128, 96), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    # Noise puts most of its variance at the finest scale; photos keep theirs in smooth regions.
    fine = grey - cv2.GaussianBlur(grey, (0, 0), 1.5)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    checks = (
        ("not_eyelid", grey.std() < t.min_std),
        ("not_eyelid", fine.var() / (grey.var() + 1e-6) > t.max_noise_ratio),
        ("colour_lost", (hsv[..., 1] > t.colour_saturation * 255).mean() < t.min_colour_share),
    )
    return list(dict.fromkeys(code for code, failed in checks if failed))


def check_photo(rgb: np.ndarray, t: Thresholds = Thresholds()) -> None:
    """Raise the first whole-photo gate that fails."""
    if failed := photo_failures(rgb, t):
        raise reject(failed[0])


def _sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the lining's box (RGB), scaled to 256 px wide."""
    scale = 256.0 / crop.shape[1]
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def _region_checks(
    rgb: np.ndarray, mask: np.ndarray, confidence: float, t: Thresholds
) -> Iterator[tuple[str, bool]]:
    """(code, failed) for each gate on the found conjunctiva, computed only as they are asked."""
    xs = np.flatnonzero(mask.any(axis=0))
    share = np.count_nonzero(mask) / mask.size
    small = xs.size == 0 or share < t.min_area_fraction or xs[-1] - xs[0] + 1 < t.min_width_px
    yield "too_small", bool(small)
    if small:
        return  # nothing else can be measured on a speck
    # Colour conversions only on the lining's own pixels, not the whole 1-12 MP photo: they
    # work pixel by pixel, so each value is the one the whole picture would give.
    ys = np.flatnonzero(mask.any(axis=1))
    box = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))
    rgb, mask = rgb[box], mask[box]
    # (1, n, 3) uint8: one row, which OpenCV's conversions take in vector code, 3-8x faster
    pixels = np.compress(mask.ravel(), rgb.reshape(-1, 3), axis=0)[None]
    # 8-bit Lab; OpenCV's mean sums the integers exactly, 30x faster than NumPy's along an axis
    level = cv2.mean(cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB))
    lightness, redness = level[0] * 100 / 255, level[1] - 128
    yield "too_dark", lightness < t.dark_l
    yield "over_exposed", lightness > t.bright_l
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)[0]
    # glare: V > 0.92 and S < 0.2 of 255, as 8-bit levels (V > 234.6, S < 51)
    glare = np.count_nonzero((hsv[:, 2] > 0.92 * 255) & (hsv[:, 1] < 0.2 * 255)) / len(hsv)
    yield "glare", bool(glare > t.max_glare)
    yield "not_eyelid", confidence < t.min_confidence
    yield "colour_lost", redness < t.min_redness
    yield "blurred", _sharpness(rgb) < t.min_sharpness  # `rgb`: the lining's box, as above


def region_failures(
    rgb: np.ndarray, mask: np.ndarray, confidence: float, t: Thresholds = Thresholds()
) -> list[str]:
    """Codes of every gate on the found conjunctiva that fails, in the order they are told."""
    return [code for code, failed in _region_checks(rgb, mask, confidence, t) if failed]


def check_region(
    rgb: np.ndarray, mask: np.ndarray, confidence: float, t: Thresholds = Thresholds()
) -> None:
    """Raise the first gate on the found conjunctiva that fails (later ones are not computed)."""
    failed = next((code for code, f in _region_checks(rgb, mask, confidence, t) if f), None)
    if failed is not None:
        raise reject(failed)


def failures(
    segmenter: segment.Net, rgb: np.ndarray, t: Thresholds = Thresholds()
) -> tuple[segment.Found | None, list[str]]:
    """Every gate of the chain that fails on a whole photo, and what was found (for figures)."""
    small = segment.work_size(rgb)
    failing = photo_failures(small, t)
    found = segment.find(segmenter, rgb, small=small)
    if found is None:
        return None, [*failing, "no_conjunctiva"]
    return found, failing + region_failures(rgb, found.mask, found.confidence, t)


def locate(segmenter: segment.Net, rgb: np.ndarray, t: Thresholds = Thresholds()) -> segment.Found:
    """The one gate chain for a whole photo: photo gates, find the conjunctiva, region gates.

    It stops at the first gate that fails, as `failures` would list it first."""
    found = find(segmenter, rgb, t)
    check_region(rgb, found.mask, found.confidence, t)
    return found


def find(segmenter: segment.Net, rgb: np.ndarray, t: Thresholds = Thresholds()) -> segment.Found:
    """`locate` up to its region gates: the photo gates, then the conjunctiva found."""
    return segment.full_size(find_small(segmenter, rgb, t)[1], rgb.shape[:2])


def find_small(
    segmenter: segment.Net, rgb: np.ndarray, t: Thresholds = Thresholds()
) -> tuple[np.ndarray, segment.Found]:
    """`find` at work size: the photo shrunk by `segment.work_size`, and what was found in it
    (its mask at that size)."""
    small = segment.work_size(rgb)
    thumb = segment.thumbnail(small, segmenter.config)  # the first look's picture
    check_photo(thumb, t)
    found = segment.find_small(segmenter, small, thumb=thumb)
    if found is None:
        raise reject("no_conjunctiva")
    return small, found
