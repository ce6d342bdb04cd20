"""Each image as the duplicate finder compares it, and the eight ways a copy can be turned.

A copy of a photograph may be cut out with another hand-drawn mask, so only the conjunctiva's
pixels count: each image is cropped to its mask's box and the mask is eroded, because the edge
pixels of a cut-out blend into its background and differ between two cut-outs of one photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

EDGE = 2  # px eroded off each mask (CP-AnemiC's cut-out edges differ for 1-2 px between copies)
LONGEST = 520  # px: the working size; every CP-AnemiC cut-out (at most 513 px) stays unscaled,
# so copies that were only shifted or cropped still share exact pixel blocks
MIN_PIXELS = 64  # a smaller conjunctiva (after erosion) cannot be told from another one
ORIENTATIONS = range(8)  # v % 4 quarter turns anticlockwise, then mirrored left-right if v >= 4


@dataclass(frozen=True, eq=False)
class Picture:
    """The conjunctiva at working size: RGB and its eroded mask, cropped to the mask's box."""

    rgb: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray  # (H, W) bool
    shrunk: bool = False  # brought down to LONGEST px: its pixels are no longer the file's

    @property
    def usable(self) -> bool:
        return int(self.mask.sum()) >= MIN_PIXELS


def picture(image: np.ndarray, mask: np.ndarray) -> Picture:
    """Crop to the mask's box, shrink to at most LONGEST px, erode the mask by EDGE px."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return Picture(np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1), bool))
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    rgb: np.ndarray = image[box]
    inside: np.ndarray = mask[box].astype(np.uint8)
    scale = LONGEST / max(rgb.shape[:2])
    shrunk = scale < 1
    if shrunk:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        inside = cv2.resize(inside, size, interpolation=cv2.INTER_NEAREST)
    kernel = np.ones((3, 3), np.uint8)
    eroded = cv2.erode(inside, kernel, iterations=EDGE, borderValue=0)
    return Picture(np.ascontiguousarray(rgb), eroded.astype(bool), shrunk)


def orient(array: np.ndarray, v: int) -> np.ndarray:
    """The array turned by v % 4 quarter turns anticlockwise, then mirrored if v >= 4."""
    turned = np.rot90(array, v % 4)
    return np.ascontiguousarray(turned[:, ::-1] if v >= 4 else turned)


def orient_matrix(v: int, height: int, width: int) -> np.ndarray:
    """3x3 matrix taking (x, y) in an height x width image to (x, y) in `orient(image, v)`."""
    m, w = np.eye(3), width
    for _ in range(v % 4):  # np.rot90: new[i, j] = old[j, w - 1 - i]
        m = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]]) @ m
        height, w = w, height
    if v >= 4:
        m = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) @ m
    return m


def oriented_shape(v: int, height: int, width: int) -> tuple[int, int]:
    """(height, width) of `orient(image, v)`."""
    return (width, height) if v % 2 else (height, width)
