"""Alignment proposals from ORB keypoints matched with RANSAC, for copies of any scale and turn.

ORB's descriptors do not change with rotation and its pyramid covers scale, so one matching
of an image against another and against the other's mirror image proposes a similarity
(scale, rotation, shift) for resized, turned and mirrored copies, also re-encoded ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from bot.training.data.duplicates.views import Picture, orient, orient_matrix

FEATURE_SIZE = 480  # px, the longer side features are found at: the lining's texture is faint,
# and small cut-outs (many CP-AnemiC ones are under 250 px) enlarged up to 2x give FAST corners
CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))  # brings out the vessels
MIN_INLIERS = 5
RANSAC_PX = 2.0  # reprojection tolerance at working size


@dataclass(frozen=True, eq=False)
class Keypoints:
    """ORB keypoints (x, y at working size) and descriptors of one orientation of an image."""

    points: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray | None  # (n, 32) uint8


def _orb() -> cv2.ORB:
    # small patches and a low FAST threshold: the cut-outs are small and smooth
    return cv2.ORB.create(
        500, scaleFactor=1.2, nlevels=6, edgeThreshold=12, patchSize=12, fastThreshold=4
    )


def _keypoints(rgb: np.ndarray, mask: np.ndarray, orb: cv2.ORB) -> Keypoints:
    zoom = float(np.clip(FEATURE_SIZE / max(mask.shape), 0.5, 2.0))
    green = cv2.resize(
        CLAHE.apply(rgb[..., 1]), None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR
    )
    where = cv2.resize(
        mask.astype(np.uint8) * 255,
        (green.shape[1], green.shape[0]),
        interpolation=cv2.INTER_NEAREST,
    )
    found, descriptors = orb.detectAndCompute(green, cv2.erode(where, np.ones((3, 3), np.uint8)))
    points = (np.array([k.pt for k in found], np.float32).reshape(-1, 2) + 0.5) / zoom - 0.5
    return Keypoints(points, descriptors)


def keypoints(p: Picture) -> tuple[Keypoints, Keypoints]:
    """Keypoints of the image as it is and mirrored left-right."""
    orb = _orb()
    return _keypoints(p.rgb, p.mask, orb), _keypoints(orient(p.rgb, 4), orient(p.mask, 4), orb)


def _similarity(a: Keypoints, b: Keypoints) -> np.ndarray | None:
    """2x3 similarity taking b's points to a's, or None without enough consistent matches."""
    if a.descriptors is None or b.descriptors is None or min(len(a.points), len(b.points)) < 3:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(b.descriptors, a.descriptors)
    if len(matches) < MIN_INLIERS:
        return None
    src = b.points[[m.queryIdx for m in matches]]
    dst = a.points[[m.trainIdx for m in matches]]
    m, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX
    )
    return None if m is None or int(inliers.sum()) < MIN_INLIERS else m


def proposals(
    a: tuple[Keypoints, Keypoints], b: tuple[Keypoints, Keypoints], b_shape: tuple[int, int]
) -> list[np.ndarray]:
    """2x3 matrices taking b's pixels to a's: from b as it is, and from b mirrored."""
    out = []
    for v, kb in ((0, b[0]), (4, b[1])):
        m = _similarity(a[0], kb)
        if m is not None:
            out.append((np.vstack([m, [0.0, 0.0, 1.0]]) @ orient_matrix(v, *b_shape))[:2])
    return out
