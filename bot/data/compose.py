"""Training photos for the conjunctiva segmenter, built by composition.

No public whole-eye photo set with conjunctiva masks can be had, so `compose` warps a real
CP-AnemiC cut-out and places it in a drawn scene around a pulled-down lower eyelid (sclera
above, lid margin, lashes and skin below, sometimes a finger, uneven light, a phone's blur and
JPEG). The mask is the cut-out's own alpha after every warp and occlusion, so it is exact.
`negative` draws scenes with no conjunctiva for the "not an eyelid" gate, and `backdrop` puts a
cut-out on plain white or black for the held-out evaluation. Pure numpy/cv2, no file access;
all randomness comes from `np.random.default_rng(seed)`, so a seed gives identical bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from bot.data import scenes

Rng = np.random.Generator
Size = tuple[int, int]


@dataclass(frozen=True)
class Composite:
    """A scene and its conjunctiva mask."""

    image: np.ndarray  # (H, W, 3) uint8 RGB scene
    mask: np.ndarray  # (H, W) bool, True exactly where conjunctiva pixels were placed


def compose(
    cutout: np.ndarray, cutout_mask: np.ndarray, *, seed: int, size: Size = (480, 640)
) -> Composite:
    """A phone-like close-up of a pulled-down lower lid with this cut-out as its conjunctiva."""
    if not cutout_mask.any():
        raise ValueError("the cut-out mask is empty")
    rng = np.random.default_rng(seed)
    rgb, alpha = _place(cutout, cutout_mask, rng, size)
    mask = alpha >= 0.5
    lid = scenes.lid_from_mask(mask, rng)
    img = scenes.eye_background(rng, size, lid)
    img += alpha[..., None] * (rgb - img)
    mask &= ~_occluders(img, rng, lid)
    img = scenes.light(img, rng, mask)
    scenes.glints(img, rng, _glint_spots(rng, mask, lid), max(lid.span * 0.008, 1.0))
    return Composite(scenes.camera(img, rng), mask)


def backdrop(
    cutout: np.ndarray, cutout_mask: np.ndarray, *, colour: tuple[int, int, int], pad: int = 20
) -> Composite:
    """The cut-out's own pixels on a plain background, `pad` px of it on every side."""
    h, w = cutout_mask.shape
    mask = np.zeros((h + 2 * pad, w + 2 * pad), bool)
    mask[pad : pad + h, pad : pad + w] = cutout_mask
    image = np.empty((*mask.shape, 3), np.uint8)
    image[:] = colour
    image[mask] = cutout[cutout_mask]
    return Composite(image, mask)


def _place(cutout: np.ndarray, cmask: np.ndarray, rng: Rng, size: Size) -> tuple[np.ndarray, ...]:
    """Grade, bend and warp the cut-out into the frame: (RGB float32, alpha float32 0..1)."""
    ys, xs = np.nonzero(cmask)
    box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    rgb, alpha = cutout[box].astype(np.float32), cmask[box].astype(np.float32)
    rgb[alpha == 0] = rgb[alpha > 0].mean(0)  # edge pixels then blend with its own colour
    rgb *= rng.uniform(0.94, 1.06) * rng.uniform(0.97, 1.03, 3)  # exposure, white balance
    if rng.random() < 0.5:
        rgb, alpha = _bend(rgb, alpha, rng.uniform(-0.1, 0.1))
    (hh, ww), (h, w) = size, alpha.shape
    s = min(rng.uniform(0.25, 0.8) * ww / w, 0.42 * hh / h)
    th, shear = np.radians(rng.uniform(-20, 20)), rng.uniform(-0.12, 0.12)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (src - (w / 2, h / 2)) @ (s * rot @ [[1, shear], [0, 1]]).T
    dst += rng.normal(0, 0.02, (4, 2)) * s * w  # slight perspective: corners move apart
    lo, hi = dst.min(0), dst.max(0)
    want = rng.uniform((0.35, 0.45), (0.65, 0.68)) * (ww, hh)
    centre = np.clip(want, -lo + 2, np.maximum((ww, hh) - hi - 2, -lo + 2))
    m = cv2.getPerspectiveTransform(src, (dst + centre).astype(np.float32))
    rgb = cv2.warpPerspective(
        rgb, m, (ww, hh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = cv2.warpPerspective(alpha, m, (ww, hh), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.5:  # the lid is a little out of focus compared with the scene
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.4, 1.2))
    return rgb, alpha


def _bend(rgb: np.ndarray, alpha: np.ndarray, bow: float) -> tuple[np.ndarray, np.ndarray]:
    """Curve the strip: ends move up (bow > 0) or down by `bow` x its width."""
    h, w = alpha.shape
    pad = int(abs(bow) * w) + 1
    u = (np.arange(w, dtype=np.float32) - w / 2) / (w / 2)
    map_x = np.broadcast_to(np.arange(w, dtype=np.float32), (h + 2 * pad, w))
    map_y = np.arange(h + 2 * pad, dtype=np.float32)[:, None] - pad + bow * w * u**2
    rgb = cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return rgb, cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR)


def _occluders(img: np.ndarray, rng: Rng, lid: scenes.Lid) -> np.ndarray:
    """Lashes on both lids and sometimes the finger pulling the lid; returns what they cover."""
    _, outer = scenes.margin_chains(lid)
    low, high = rng.uniform((0.03, 0.06), (0.09, 0.14)) * lid.span
    cover = scenes.lashes(img, rng, outer[1:-1], False, low, int(rng.integers(15, 45)))
    upper = scenes.upper_lid(lid)[::-1]
    cover |= scenes.lashes(img, rng, upper, True, high, int(rng.integers(35, 80)))
    if rng.random() < 0.45:
        width = max(rng.uniform(0.35, 0.6) * lid.span, 16)
        x = rng.uniform(lid.xs[0], lid.xs[-1])
        y = np.interp(x, lid.xs, lid.bot) + lid.margin + rng.uniform(-0.35, 0.6) * width
        tip = np.array([x, y], np.float32)
        cover |= scenes.fingertip(img, rng, tip, rng.uniform(-0.6, 0.6), width, lid.tone)
    return cover


def _glint_spots(rng: Rng, mask: np.ndarray, lid: scenes.Lid) -> np.ndarray:
    """Where highlights fall: on the wet conjunctiva, and on the sclera/iris above it."""
    flat = np.flatnonzero(mask)
    on_conj = rng.choice(flat, size=min(int(rng.integers(0, 6)), len(flat)), replace=False)
    conj = np.stack([on_conj % mask.shape[1], on_conj // mask.shape[1]], 1)
    x = rng.uniform(lid.xs[0], lid.xs[-1], int(rng.integers(1, 4)))
    above = np.stack([x, np.interp(x, lid.xs, lid.top) - rng.uniform(0.05, 0.7) * lid.height], 1)
    return np.vstack([conj, above])
