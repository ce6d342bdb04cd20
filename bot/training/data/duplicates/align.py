"""Whether a proposed alignment shows one photograph twice: the residual after aligning.

One image is warped onto the other and the two are compared where both masks cover the
conjunctiva (`compare`). The warp never enlarges: the image at the larger scale is first shrunk
to the other's scale (area averaging, as an image editor shrinks), so a resized copy is
compared with the original as it was shrunk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import cv2
import numpy as np

from bot.training.data.duplicates.compare import likeness
from bot.training.data.duplicates.views import (
    ORIENTATIONS,
    Picture,
    orient_matrix,
    oriented_shape,
)

# On CP-AnemiC's candidate pairs (`anemia-screen folds`, docs/EVIDENCE.md) the residuals fall in
# two clusters: copies from 0 (lossless) to 1.7 (resized, turned; after refinement), other
# photographs from 3.0 up (one pair of identical images against one group; then 4.1), almost
# all above 6. JPEG re-encodings of CP-AnemiC cut-outs at quality 60-95 reach 2.2. 2.5 sits in
# the gap above them.
RESIDUAL_MAX = 2.5
# The same pairs' copies correlate in detail at 0.70 and more (99% above 0.88); flat synthetic
# images with independent grain correlate near 0.
MIN_TEXTURE = 0.5
MIN_OVERLAP = 0.3  # of the smaller conjunctiva: copies re-cut with other masks overlap 0.4-1.0
MIN_SHARED = 100  # px both masks cover: fewer pixels cannot tell two smooth linings apart
REFINE_BELOW = 10.0  # residuals up to this are worth refining (refined copies fall under 1.8)
SCALES = (1 / 3, 3.0)  # the scale of a plausible copy, and at most 25% more in one direction
SQUASH = 1.25
REFINE_GAIN = 0.1  # a refined fit replaces the first only if 10% closer: ECC drifts on a
# flat lining, and the untouched fit says better what was done to the copy (`kind_of`)
ECC_STOP = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)

Kind = Literal[
    "identical bytes",
    "same pixels",
    "re-encoded",
    "shifted or cropped",
    "resized",
    "rotated",
    "mirrored",
]
# a group's kind is the last of these among the links that join it: the most changed copy
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Fit:
    """How well b, warped by `matrix` (its pixel (x, y) to a's), matches a."""

    matrix: np.ndarray  # 2x3
    residual: float  # `compare.Likeness.residual`; inf when the warp is implausible
    overlap: float  # pixels both cover / pixels of the smaller conjunctiva
    texture: float = math.nan  # `compare.Likeness.texture`

    @property
    def match(self) -> bool:
        return (
            self.residual <= RESIDUAL_MAX
            and self.overlap >= MIN_OVERLAP
            and self.texture >= MIN_TEXTURE
        )


def _full(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _scaling(s: float) -> np.ndarray:
    """3x3 scaling by s about pixel centres: (x + 0.5) * s - 0.5."""
    return np.array([[s, 0.0, (s - 1) / 2], [0.0, s, (s - 1) / 2], [0.0, 0.0, 1.0]])


def _plausible(m: np.ndarray) -> bool:
    stretch = np.linalg.svd(m[:, :2], compute_uv=False)
    return bool(
        SCALES[0] <= stretch[1] <= stretch[0] <= SCALES[1] and stretch[0] <= SQUASH * stretch[1]
    )


def _arranged(
    a: Picture, b: Picture, m: np.ndarray
) -> tuple[Picture, Picture, np.ndarray, np.ndarray, bool]:
    """(a', b', m', shrink, swapped): the pair turned so that warping b' onto a' never enlarges.

    m' (3x3) takes b' to a'; b' is b (or a, if swapped) shrunk, and `shrink` takes b' to it.
    """
    m3, swapped = _full(m), False
    if abs(np.linalg.det(m3[:2, :2])) > 1:
        a, b, m3, swapped = b, a, np.linalg.inv(m3), True
    s = math.sqrt(abs(np.linalg.det(m3[:2, :2])))
    if s > 0.97:
        return a, b, m3, np.eye(3), swapped
    size = (max(1, round(b.mask.shape[1] * s)), max(1, round(b.mask.shape[0] * s)))
    rgb = cv2.resize(b.rgb, size, interpolation=cv2.INTER_AREA)
    mask = cv2.resize(b.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    shrink = _scaling(b.mask.shape[1] / size[0])
    return a, Picture(rgb, mask), m3 @ shrink, shrink, swapped


def measure(a: Picture, b: Picture, m: np.ndarray) -> Fit:
    """How alike a and b warped onto it by m (2x3, b's pixels to a's) are."""
    if not _plausible(m):
        return Fit(m, math.inf, 0.0)
    a2, b2, m3, _, _ = _arranged(a, b, m)
    h, w = a2.mask.shape
    warped = cv2.warpAffine(b2.rgb, m3[:2], (w, h), flags=cv2.INTER_LINEAR)
    covered = cv2.warpAffine(b2.mask.astype(np.uint8), m3[:2], (w, h), flags=cv2.INTER_NEAREST)
    like = likeness(a2.rgb, warped, a2.mask & (covered > 0), RESIDUAL_MAX)
    if like.shared < MIN_SHARED:
        return Fit(m, math.inf, 0.0)
    overlap = like.shared / min(int(a2.mask.sum()), int(b2.mask.sum()))
    return Fit(m, like.residual, overlap, like.texture)


def refine(a: Picture, b: Picture, m: np.ndarray) -> Fit:
    """m polished by ECC (an affine warp maximising the correlation of the green channels over
    the shared lining); the better of the two fits. Copies that were resized by other
    factors across and down, or saved with slight turns, fit far better refined."""
    before = measure(a, b, m)
    a2, b2, m3, shrink, swapped = _arranged(a, b, m)
    try:
        _, warp = cv2.findTransformECCWithMask(  # OpenCV >= 4.13: both images' masks count
            a2.rgb[..., 1].astype(np.float32),
            b2.rgb[..., 1].astype(np.float32),
            a2.mask.astype(np.uint8),
            b2.mask.astype(np.uint8),
            np.linalg.inv(m3)[:2].astype(np.float32),  # ECC's warp takes a' to b'
            cv2.MOTION_AFFINE,
            ECC_STOP,
            3,
        )
    except cv2.error:  # did not converge: the images do not correlate
        return before
    refined = np.linalg.inv(_full(warp.astype(np.float64))) @ np.linalg.inv(shrink)
    after = measure(a, b, (np.linalg.inv(refined) if swapped else refined)[:2])
    return after if after.residual < (1 - REFINE_GAIN) * before.residual else before


def frame_proposals(a: Picture, b: Picture) -> list[np.ndarray]:
    """b's frame laid on a's, for each turn of b whose frame has a's shape up to one scale:
    re-encoded, resized, turned or mirrored copies of a whole cut-out, whatever its texture."""
    (ha, wa), out = a.mask.shape, []
    for v in ORIENTATIONS:
        h, w = oriented_shape(v, *b.mask.shape)
        sy, sx = ha / h, wa / w
        if abs(sy / sx - 1) <= 0.02:
            out.append((_scaling((sy + sx) / 2) @ orient_matrix(v, *b.mask.shape))[:2])
    return out


def kind_of(fit: Fit, a_shape: tuple[int, int], b_shape: tuple[int, int]) -> Kind:
    """What was done to the copy, from the warp that aligns it (the most visible change wins).

    Turns under 3 degrees, scales within 3% and moves of a pixel are what ECC refinement and
    re-encoding leave on an unchanged copy: they do not count."""
    lin = fit.matrix[:, :2]
    det = float(np.linalg.det(lin))
    if det < 0:
        return "mirrored"
    if abs(math.degrees(math.atan2(lin[1, 0] - lin[0, 1], lin[0, 0] + lin[1, 1]))) > 3:
        return "rotated"
    if abs(math.sqrt(det) - 1) > 0.03:
        return "resized"
    h, w = b_shape
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float)
    moved = float(np.abs(corners @ fit.matrix.T - corners[:, :2]).max())
    return "re-encoded" if a_shape == b_shape and moved <= 1.0 else "shifted or cropped"
