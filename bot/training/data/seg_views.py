"""Random training views of an annotated photo, as the segmenter meets photos in a chat.

One affine warp takes a rectangle of the photo (any aspect, rotated, mirrored, reaching past
the edge) to the network's input size, so each view costs a 96x128 warp, not a full-size one.
The rectangles are the ways people frame the eyelid: the whole photo, portrait or landscape;
a macro close-up where the lining fills half the frame; a wide shot where it is small; a crop
to the eye region with a black, white or coloured frame left by the crop; and the box around
the conjunctiva that `model.segment.find` looks at for its second look. Light and camera vary
after the warp: exposure, gamma, white balance, saturation, blur, noise and JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from model import segment

Rng = np.random.Generator
Rect = tuple[float, float, float, float]  # centre x, centre y, width, height in source pixels
KINDS = ("frame", "macro", "wide", "refine", "above")
KIND_P = (0.28, 0.2, 0.14, 0.3, 0.08)


@dataclass(frozen=True)
class Pyramid:
    """A photo and its mask at halving resolutions, so a strong shrink does not alias."""

    images: tuple[np.ndarray, ...]  # RGB uint8, level 0 = the photo as given
    masks: tuple[np.ndarray, ...]  # float32 0/1

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.images[0].shape[:2]
        return h, w


def pyramid(image: np.ndarray, mask: np.ndarray, max_side: int = 640) -> Pyramid:
    """Levels down to about 64 px, starting from the photo shrunk to max_side."""
    f = min(1.0, max_side / max(image.shape[:2]))
    size = (round(image.shape[1] * f), round(image.shape[0] * f))
    images = [cv2.resize(image, size, interpolation=cv2.INTER_AREA)]
    masks = [cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)]
    while max(images[-1].shape[:2]) > 128:
        images.append(cv2.pyrDown(images[-1]))
        masks.append(cv2.pyrDown(masks[-1]))
    return Pyramid(tuple(images), tuple(masks))


def _mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    if not (mask > 0.5).any():
        return None
    return segment.refine_box(mask > 0.5, pad=0.0)


# margins of the second-look views, as a share of the box's longer side; find's own margin
# (model.segment.REFINE_PAD) lies inside, so the network has learned the box it is shown
REFINE_PADS = (0.05, 0.3)


def rect_for(kind: str, p: Pyramid, rng: Rng) -> Rect:
    """A source rectangle of one framing kind, in level-0 pixels."""
    h, w = p.shape
    box = _mask_box(p.masks[0])
    if kind == "refine" and box is not None:
        t, b, left, r = segment.refine_box(p.masks[0] > 0.5, pad=rng.uniform(*REFINE_PADS))
        bw, bh = r - left, b - t
        jitter = rng.uniform(-0.08, 0.08, 2) * (bw, bh)
        return (left + bw / 2 + jitter[0], t + bh / 2 + jitter[1], bw, bh)
    if kind == "macro" and box is not None:
        t, b, left, r = box
        sw = (r - left) * rng.uniform(1.0, 1.6)
        sh = sw * rng.uniform(0.6, 1.4)
        cx, cy = (left + r) / 2, (t + b) / 2 - rng.uniform(0.0, 0.35) * sh  # eye above the lid
        return (cx + rng.uniform(-0.1, 0.1) * sw, cy, sw, sh)
    if kind == "above" and box is not None and box[0] > h // 8:  # sclera and iris, no lining
        sh = box[0] * rng.uniform(0.7, 1.0)
        return (w / 2, sh / 2, w * rng.uniform(0.6, 1.0), sh)
    zoom = rng.uniform(1.2, 2.5) if kind == "wide" else 1.0
    sx, sy = rng.uniform(0.75, 1.1, 2) * zoom
    return (w / 2 + rng.uniform(-0.1, 0.1) * w, h / 2 + rng.uniform(-0.1, 0.1) * h, w * sx, h * sy)


def _affine(rect: Rect, angle: float, flip: bool, out: tuple[int, int], f: float) -> np.ndarray:
    """2x3 matrix taking pixels of a level shrunk by f to the (H, W) output."""
    cx, cy, sw, sh = (v * f for v in rect)
    (oh, ow), a = out, np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    lin = np.diag([(-1.0 if flip else 1.0) * ow / sw, oh / sh]) @ rot
    shift = np.array([ow / 2, oh / 2]) - lin @ np.array([cx, cy])
    return np.hstack([lin, shift[:, None]])


def _border(rng: Rng) -> tuple[int, tuple[float, float, float]]:
    """How the warp fills what lies past the photo's edge: a crop's frame, or more of the scene."""
    u = rng.random()
    if u < 0.4:
        colour = (
            (0.0,) * 3 if u < 0.15 else (255.0,) * 3 if u < 0.3 else tuple(rng.uniform(0, 255, 3))
        )
        return cv2.BORDER_CONSTANT, colour  # type: ignore[return-value]
    return (cv2.BORDER_REPLICATE if u < 0.7 else cv2.BORDER_REFLECT_101), (0.0, 0.0, 0.0)


def warp(p: Pyramid, rect: Rect, rng: Rng, out: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8, bool mask) at out = (H, W): the rectangle turned, maybe mirrored, resized."""
    level = int(
        np.clip(np.floor(np.log2(max(rect[2] / out[1], rect[3] / out[0]))), 0, len(p.images) - 1)
    )
    m = _affine(rect, rng.uniform(-20, 20), bool(rng.random() < 0.5), out, 0.5**level)
    mode, colour = _border(rng)
    size = (out[1], out[0])
    img = cv2.warpAffine(
        p.images[level], m, size, flags=cv2.INTER_LINEAR, borderMode=mode, borderValue=colour
    )
    # the mask continues past the edge as the picture does (a mirrored lining is lining too)
    mask = cv2.warpAffine(
        p.masks[level], m, size, flags=cv2.INTER_LINEAR, borderMode=mode, borderValue=0.0
    )
    return img, mask > 0.5


def photometric(img: np.ndarray, rng: Rng) -> np.ndarray:
    """Other light and another camera: exposure, gamma, white balance, saturation, blur, JPEG."""
    x = img.astype(np.float32) / 255.0
    x = x ** rng.uniform(0.75, 1.35) * rng.uniform(0.65, 1.3) * rng.uniform(0.88, 1.12, 3)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.7, 1.3)
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(0.005, 0.025), x.shape).astype(np.float32)
    out = np.clip(x * 255, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 95))])
        out = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED) if ok else out
    return out


def view(
    p: Pyramid, rng: Rng, out: tuple[int, int], kind: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One random view (RGB uint8, bool mask) at out = (H, W); kind drawn by KIND_P if None."""
    kind = kind or str(rng.choice(KINDS, p=KIND_P))
    img, mask = warp(p, rect_for(kind, p, rng), rng, out)
    return photometric(img, rng), mask
