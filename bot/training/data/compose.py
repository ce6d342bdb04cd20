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

from dataclasses import dataclass

import cv2
import numpy as np

from bot.training.data import negatives, scenes
from bot.training.data.negatives import NEGATIVE_KINDS

Rng = np.random.Generator
Size = tuple[int, int]

__all__ = ["NEGATIVE_KINDS", "Composite", "backdrop", "compose", "negative"]


@dataclass(frozen=True)
class Composite:
    """A scene and its conjunctiva mask."""

    image: np.ndarray  # (H, W, 3) uint8 RGB scene
    mask: np.ndarray  # (H, W) bool, True exactly where conjunctiva pixels were placed


def compose(
    cutout: np.ndarray, cutout_mask: np.ndarray, *, seed: int, size: Size = (480, 640)
) -> Composite:
    """A phone-like close-up of a pulled-down lower lid with this cut-out as its conjunctiva."""
    if cutout.shape != (*cutout_mask.shape, 3) or not cutout_mask.any():
        raise ValueError("need an (H, W, 3) cut-out and a non-empty (H, W) mask")
    rng = np.random.default_rng(seed)
    rgb, alpha, win = _place(cutout, cutout_mask, rng, size)
    mask = np.zeros(size, bool)
    mask[win] = alpha >= 0.5
    if not mask.any():  # only a hairline cut-out in a tiny frame gets here
        raise ValueError("the cut-out is too thin to place at this size")
    lid = scenes.lid_from_mask(mask, rng)
    img = scenes.eye_background(rng, size, lid)
    img[win] += alpha[..., None] * (rgb - img[win])
    mask &= ~_occluders(img, rng, lid)
    img = _light(img, rng, mask)
    _glints(img, rng, _glint_spots(rng, mask, lid), max(lid.span * 0.01, 1.0))
    return Composite(_camera(img, rng), mask)


def negative(kind: str, *, seed: int, size: Size = (480, 640)) -> np.ndarray:
    """An RGB uint8 scene of `kind` (one of NEGATIVE_KINDS) with no conjunctiva in it."""
    if kind not in negatives.KINDS:
        raise ValueError(f"unknown negative kind {kind!r}; choose from {NEGATIVE_KINDS}")
    rng = np.random.default_rng(seed)
    img = negatives.KINDS[kind](rng, size)
    if rng.random() < 0.7:  # most photos have uneven light; some synthetic images do not
        img = _light(img, rng, None)
    return _camera(img, rng)


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


def _place(
    cutout: np.ndarray, cmask: np.ndarray, rng: Rng, size: Size
) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """Grade, bend and warp the cut-out into the frame.

    Returns RGB and alpha (float32, 0..1) for the window of the frame that it covers.
    """
    ys, xs = np.nonzero(cmask)
    box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    rgb: np.ndarray = cutout[box].astype(np.float32)
    alpha: np.ndarray = cmask[box].astype(np.float32)
    rgb[alpha == 0] = rgb[alpha > 0].mean(0)  # edge pixels then blend with its own colour
    rgb *= rng.uniform(0.94, 1.06) * rng.uniform(0.97, 1.03, 3)  # exposure, white balance
    rgb, alpha = _level(rgb, alpha, rng.uniform(-0.1, 0.1) if rng.random() < 0.5 else 0.0)
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
    dst = (dst + centre).astype(np.float32)
    x0, y0 = np.maximum(np.floor(dst.min(0)), 0).astype(int).tolist()
    x1, y1 = np.minimum(np.ceil(dst.max(0)) + 1, (ww, hh)).astype(int).tolist()
    m = cv2.getPerspectiveTransform(src, dst - np.array([x0, y0], np.float32))  # window only
    wh = (x1 - x0, y1 - y0)
    rgb = cv2.warpPerspective(rgb, m, wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpPerspective(alpha, m, wh, flags=cv2.INTER_LINEAR)
    if rng.random() < 0.5:  # the lid is a little out of focus compared with the scene
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.4, 1.2))
    return rgb, alpha, np.s_[y0:y1, x0:x1]


def _level_angle(alpha: np.ndarray) -> float:
    """Rotation (radians) that lays the strip flat with its ends up, as a pulled lower lid sits.

    Cut-outs keep whatever angle their photo had (some are diagonal, a few upside down); the
    caller adds its own +-20 degrees afterwards.
    """
    m = cv2.moments(alpha)
    a = -0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])  # principal axis to horizontal
    ys, xs = np.nonzero(alpha[::2, ::2] > 0.5)
    x, y = xs - xs.mean(), ys - ys.mean()
    u, v = np.cos(a) * x - np.sin(a) * y, np.sin(a) * x + np.cos(a) * y
    u = np.abs(u - (u.min() + u.max()) / 2) / (np.ptp(u) + 1e-6)
    mid, ends = v[u < 0.15], v[u > 0.3]
    frown = mid.size and ends.size and ends.mean() > mid.mean()
    return float(a + np.pi if frown else a)


def _level(rgb: np.ndarray, alpha: np.ndarray, bow: float) -> tuple[np.ndarray, np.ndarray]:
    """Level the strip (see `_level_angle`) and bend it: ends move up by `bow` x its length.

    One remap does both; the result is cropped to the strip.
    """
    a, (h, w) = _level_angle(alpha), alpha.shape
    c, s = np.cos(a), np.sin(a)
    length, height = abs(w * c) + abs(h * s), abs(w * s) + abs(h * c) + 2 * abs(bow) * w
    u = np.arange(int(length) + 2, dtype=np.float32) - (int(length) + 2) / 2
    v = np.arange(int(height) + 2, dtype=np.float32)[:, None] - (int(height) + 2) / 2
    v = v + bow * w * (2 * u / length) ** 2
    map_x = (c * u + s * v + w / 2).astype(np.float32)  # the inverse rotation
    map_y = (-s * u + c * v + h / 2).astype(np.float32)
    rgb = cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR)
    x, y, bw, bh = cv2.boundingRect((alpha > 0.01).astype(np.uint8))
    return rgb[y : y + bh, x : x + bw], alpha[y : y + bh, x : x + bw]


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
        y = np.interp(x, lid.xs, lid.bot) + lid.margin + rng.uniform(-0.15, 0.35) * width
        tip = np.array([x, y], np.float32)
        cover |= scenes.fingertip(img, rng, tip, rng.uniform(-0.9, 0.9), width, lid.tone)
    return cover


def _glint_spots(rng: Rng, mask: np.ndarray, lid: scenes.Lid) -> np.ndarray:
    """Where highlights fall: on the wet conjunctiva, and on the sclera/iris above it."""
    flat = np.flatnonzero(mask)
    on_conj = rng.choice(flat, size=min(int(rng.integers(0, 6)), len(flat)), replace=False)
    conj = np.stack([on_conj % mask.shape[1], on_conj // mask.shape[1]], 1)
    x = rng.uniform(lid.xs[0], lid.xs[-1], int(rng.integers(1, 4)))
    above = np.stack([x, np.interp(x, lid.xs, lid.top) - rng.uniform(0.05, 0.7) * lid.height], 1)
    return np.vstack([conj, above])


def _light(img: np.ndarray, rng: Rng, mask: np.ndarray | None) -> np.ndarray:
    """Uneven light, soft sheen, an occasional shadow edge and a colour cast.

    Phones expose for the subject, so the field is rescaled to keep the conjunctiva near its own
    brightness: segmentation sees uneven light, and the Hb colours stay usable.
    """
    h, w = img.shape[:2]
    gain = scenes.field(rng, (h, w), 3, rng.uniform(0.05, 0.22))
    sheen = np.zeros((h // 4, w // 4), np.float32)  # skin shine, drawn small: it is blurred
    for _ in range(rng.integers(0, 3)):
        p = (int(rng.uniform(0, w // 4)), int(rng.uniform(0, h // 4)))
        cv2.circle(sheen, p, int(rng.uniform(0.01, 0.025) * w), rng.uniform(0.05, 0.2), -1)
    gain *= 1 + cv2.resize(cv2.GaussianBlur(sheen, (0, 0), 0.01 * w), (w, h))
    if rng.random() < 0.5:  # a shadow from the hand or the phone, soft-edged
        ang, soft = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.4) * w
        ramp = np.add.outer(
            np.arange(h, dtype=np.float32) * np.sin(ang), np.cos(ang) * np.arange(w)
        )
        edge = rng.uniform(ramp.min(), ramp.max())
        gain *= 1 - rng.uniform(0.2, 0.5) * np.clip((ramp - edge) / soft, 0, 1)
    metered = gain[mask] if mask is not None and mask.any() else gain
    gain *= rng.uniform(0.9, 1.08) / metered.mean()
    img *= gain[..., None]
    img *= rng.uniform(0.96, 1.04, 3).astype(np.float32)
    return img


def _glints(img: np.ndarray, rng: Rng, spots: np.ndarray, size: float) -> None:
    """Small sharp specular highlights at `spots` (x, y), painted in place one window each."""
    pad, (h, w) = int(2.5 * size) + 4, img.shape[:2]
    sizes = rng.uniform(0.6, 2, (len(spots), 2)) * size + 1
    for (x, y), axes in zip(spots.astype(int).tolist(), sizes.tolist(), strict=True):
        x0, y0, x1, y1 = max(x - pad, 0), max(y - pad, 0), min(x + pad, w), min(y + pad, h)
        if x1 <= x0 or y1 <= y0:
            continue  # off the frame
        cover = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.ellipse(cover, ((x - x0, y - y0), axes, float(rng.uniform(0, 180))), 255, -1)
        scenes.blend(img[y0:y1, x0:x1], scenes.soften(cover, 0.3 * size + 0.5), (252,) * 3)


def _camera(img: np.ndarray, rng: Rng) -> np.ndarray:
    """Sensor noise, focus or hand-shake blur and JPEG at quality 60-95: what a phone sends."""
    noise = rng.random(img.shape[:2], np.float32) - 0.5  # uniform: 5x cheaper than normal
    img += noise[..., None] * np.float32(rng.uniform(2, 14))
    out: np.ndarray = np.clip(img, 0, 255, out=img).astype(np.uint8)
    if rng.random() < 0.8:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.3))
    else:  # hand shake: a short line kernel
        k = np.zeros((9, 9), np.float32)
        cv2.line(k, (4, 4), (4 + rng.integers(-4, 5, 2)).tolist(), 1.0, 1)
        out = cv2.filter2D(out, -1, k / k.sum())
    q = int(rng.integers(60, 96))
    _, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q]
    )
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert decoded is not None  # our own JPEG always decodes
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
