"""Scenes with no conjunctiva in them, for the "not an eyelid" gate and the segmenter's negatives.

Each kind draws something people send by mistake or to test us: noise, a page of text, a
photographed document, a solid colour (pink and red too: the colours of a conjunctiva), a
landscape, skin with no eye, a face too far away to see an eyelid, a smooth gradient, an eye
whose lower lid is not pulled down, and lips (a pink crescent that is not a conjunctiva). Each
drawer returns float32 RGB; `bot.training.data.compose.negative` puts it through the same light and
camera as the composites, so JPEG or blur cannot give them away.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from bot.training.data import scenes

Rng = np.random.Generator
Shape = tuple[int, int]
F32 = np.float32
Paint = tuple[float, ...] | list[float]
PINKS = ((170, 50, 55), (245, 150, 150))  # low/high RGB of conjunctiva-like colours
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz    "))


def _fill(shape: Shape, colour: np.ndarray) -> np.ndarray:
    img = np.empty((*shape, 3), F32)
    img[:] = colour
    return img


def _colour(rng: Rng) -> np.ndarray:
    """Any colour, but a conjunctiva-like pink or red 40% of the time: the hard negatives."""
    return rng.uniform(*PINKS) if rng.random() < 0.4 else rng.uniform(0, 255, 3)


def _noise(rng: Rng, shape: Shape) -> np.ndarray:
    """Gaussian, uniform, salt-and-pepper or blocky colour noise."""
    kind = rng.integers(4)
    if kind == 0:
        sd = rng.uniform(10, 80)
        return rng.standard_normal((*shape, 3), F32) * sd + rng.uniform(40, 215, 3).astype(F32)
    if kind == 1:
        return rng.random((*shape, 3), F32) * 255
    if kind == 2:
        img, u, p = _fill(shape, _colour(rng)), rng.random(shape, F32), rng.uniform(0.02, 0.2)
        img[u < p], img[u > 1 - p] = 0, 255
        return img
    cells = rng.random((shape[0] // 16 + 1, shape[1] // 16 + 1, 3), F32) * 255
    return cv2.resize(cells, shape[::-1], interpolation=cv2.INTER_NEAREST)


def _text(rng: Rng, shape: Shape) -> np.ndarray:
    """A page of random words in one cv2 font on off-white paper."""
    h, w = shape
    img = _fill(shape, rng.uniform(225, 252) * np.array([1, 0.99, rng.uniform(0.92, 0.99)]))
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, 2, 3, 6]))
    scale = rng.uniform(0.4, 1.0) * w / 640
    ink = rng.uniform((0, 0, 20), (60, 60, 120)) if rng.random() < 0.3 else np.full(3, 25.0)
    step, margin = int(32 * scale) + 6, int(rng.uniform(0.04, 0.12) * w)
    # OpenCV 5 draws text on 8-bit images only, so the words go on a mask first. Hard edges
    # (LINE_8) as OpenCV 4 drew on the float page: anti-aliasing is for 8-bit images only there.
    cover = np.zeros(shape, np.uint8)
    for y in range(margin + step, h - margin // 2, step):
        words = "".join(rng.choice(LETTERS, int(rng.integers(10, 70))))
        cv2.putText(cover, words, (margin, y), font, scale, 255, 1, cv2.LINE_8)
    a = cover[..., None].astype(F32) / 255
    return img * (1 - a) + ink.astype(F32) * a


def _document(rng: Rng, shape: Shape) -> np.ndarray:
    """A text page photographed on a desk: perspective, desk texture, the page's shadow."""
    h, w = shape
    desk = rng.uniform((60, 40, 20), (200, 180, 160))
    img = _fill(shape, desk) * scenes.field(rng, shape, 6, 0.08)[..., None]
    page = _text(rng, (int(h * 1.3), h))
    ph, pw = page.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], F32)
    corners = np.array([[0.2, 0.05], [0.8, 0.05], [0.85, 0.95], [0.15, 0.95]]) * (w, h)
    dst = (corners + rng.normal(0, 0.05, (4, 2)) * (w, h)).astype(F32)
    m = cv2.getPerspectiveTransform(src, dst)
    cover = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), m, (w, h))
    shadow = np.roll(cover, (6, 6), (0, 1))
    scenes.blend(img, scenes.soften(shadow, 6), (0, 0, 0), 0.4)
    scenes.blend(img, cover, cv2.warpPerspective(page, m, (w, h)))
    return img


def _solid(rng: Rng, shape: Shape) -> np.ndarray:
    return _fill(shape, _colour(rng))


def _gradient(rng: Rng, shape: Shape) -> np.ndarray:
    """Linear or radial blend between two colours."""
    h, w = shape
    y, x = np.arange(h, dtype=F32)[:, None] / h, np.arange(w, dtype=F32)[None, :] / w
    if rng.random() < 0.5:
        a = rng.uniform(0, 2 * np.pi)
        t = x * np.cos(a) + y * np.sin(a)
    else:
        t = np.hypot(x - rng.random(), y - rng.random())
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    c0, c1 = _colour(rng).astype(F32), _colour(rng).astype(F32)
    return c0 + t[..., None] * (c1 - c0)


def _landscape(rng: Rng, shape: Shape) -> np.ndarray:
    """Sky gradient, a wavy horizon, textured ground, clouds and trees."""
    h, w = shape
    top, low = rng.uniform((70, 130, 200), (150, 200, 250)), rng.uniform((190, 210, 230), 250)
    t = np.linspace(0, 1, h, dtype=F32)[:, None, None]
    img = np.repeat((top + t * (low - top)).astype(F32), w, axis=1)
    for _ in range(rng.integers(0, 6)):  # clouds
        p = rng.uniform((0, 0), (w, h * 0.4))
        half = rng.uniform((0.05, 0.015), (0.15, 0.04)) * w
        _oval(img, p, (half[0], half[1]), np.full(3, rng.uniform(225, 250)).tolist())
    xs = np.linspace(0, w, 24)
    ys = rng.uniform(0.35, 0.7) * h + np.cumsum(rng.normal(0, 0.015 * h, 24))
    cover = np.zeros(shape, np.uint8)
    cv2.fillPoly(
        cover, [np.vstack([np.stack([xs, ys], 1), [[w, h], [0, h]]]).astype(np.int32)], 255
    )
    ground = (
        rng.uniform((40, 70, 20), (150, 140, 80)) * scenes.field(rng, shape, 12, 0.15)[..., None]
    )
    scenes.blend(img, cover, ground.astype(F32))
    for x in rng.uniform(0, w, rng.integers(0, 12)):  # trees on the horizon
        y, r = np.interp(x, xs, ys), rng.uniform(0.02, 0.08) * w
        _oval(img, np.array([x, y - r]), (r * 0.7, r), (30, 70, 30))
    return img


def _skin(rng: Rng, shape: Shape) -> np.ndarray:
    """A close-up of skin with no eye: moles, creases, sometimes a finger."""
    tone = scenes.skin_tone(rng)
    img = scenes.skin(rng, shape, tone)
    for _ in range(rng.integers(0, 5)):
        p = rng.uniform(0, shape[::-1]).astype(int).tolist()
        cv2.circle(img, p, int(rng.uniform(2, 8)), (tone * 0.45).tolist(), -1, cv2.LINE_AA)
    if rng.random() < 0.4:
        tip = rng.uniform((0.2, 0.2), (0.8, 0.7)) * shape[::-1]
        width = rng.uniform(0.15, 0.35) * shape[1]
        scenes.fingertip(img, rng, tip.astype(F32), rng.uniform(-0.9, 0.9), width, tone)
    return img


def _oval(img: np.ndarray, centre: np.ndarray, half: tuple[float, float], colour: Paint) -> None:
    cv2.ellipse(
        img, centre.astype(int).tolist(), (int(half[0]), int(half[1])), 0, 0, 360, colour, -1
    )


def _face_far(rng: Rng, shape: Shape) -> np.ndarray:
    """A whole face at arm's length: the eyes are a few pixels, no conjunctiva to be seen."""
    h, w = shape
    img = _fill(shape, rng.uniform(40, 230, 3)) * scenes.field(rng, shape, 5, 0.1)[..., None]
    tone, b = scenes.skin_tone(rng), rng.uniform(0.12, 0.3) * h  # b: half the face height
    c = np.array([w / 2, h / 2]) + rng.normal(0, 0.1, 2) * (w, h)
    _oval(img, c + (0, 2.2 * b), (1.6 * b, 0.9 * b), rng.uniform(0, 200, 3).tolist())  # clothes
    neck = np.array([c - (0.3 * b, 0), c + (0.3 * b, 1.5 * b)]).astype(int).tolist()
    cv2.rectangle(img, neck[0], neck[1], (tone * 0.85).tolist(), -1)
    _oval(img, c - (0, 0.15 * b), (0.85 * b, 1.05 * b), rng.uniform(10, 90, 3).tolist())  # hair
    _oval(img, c, (0.72 * b, b), tone.tolist())
    for side in (-1, 1):
        e = c + (side * 0.32 * b, -0.12 * b)
        _oval(img, e, (0.14 * b, 0.055 * b), (225, 220, 212))
        _oval(img, e, (0.05 * b, 0.05 * b), (40, 28, 22))
        p0, p1 = (e - (0.16 * b, 0.14 * b)).astype(int), (e + (0.16 * b, -0.17 * b)).astype(int)
        cv2.line(img, p0.tolist(), p1.tolist(), (tone * 0.4).tolist(), max(int(0.04 * b), 1))
    nose = c.astype(int).tolist(), (c + (0, 0.25 * b)).astype(int).tolist()
    cv2.line(img, nose[0], nose[1], (tone * 0.8).tolist(), max(int(0.03 * b), 1))
    _oval(img, c + (0, 0.5 * b), (0.25 * b, 0.06 * b), (tone * 0.6 + (70, 20, 25)).tolist())
    return img


def _sclera_only(rng: Rng, shape: Shape) -> np.ndarray:
    """A close-up of an open eye whose lower lid is not pulled down: no conjunctiva shows."""
    h, w = shape
    span = rng.uniform(0.4, 0.85) * w
    cx, cy = w / 2 + rng.normal(0, 0.05) * w, h * rng.uniform(0.45, 0.6)
    xs = np.arange(int(cx - span * 0.42), int(cx + span * 0.42), dtype=F32)
    t = (xs - xs[0]) / (xs[-1] - xs[0])
    edge = (
        cy
        + rng.uniform(0.04, 0.12) * span * np.sin(np.pi * t)
        + (t - 0.5) * rng.normal(0, 0.1) * span
    )
    left, right = (
        np.array([xs[0] - 0.08 * span, edge[0]]),
        np.array([xs[-1] + 0.08 * span, edge[-1]]),
    )
    lid = scenes.Lid(
        xs,
        edge,
        edge,
        left=left.astype(F32),
        right=right.astype(F32),
        height=rng.uniform(0.3, 0.5) * span,
        margin=rng.uniform(0.02, 0.04) * span,
        gaze=rng.uniform(0.3, 0.7),
        tone=scenes.skin_tone(rng),
    )
    img = scenes.eye_background(rng, shape, lid)
    _, outer = scenes.margin_chains(lid)
    scenes.lashes(
        img, rng, outer[1:-1], False, rng.uniform(0.03, 0.08) * span, int(rng.integers(15, 45))
    )
    scenes.lashes(
        img,
        rng,
        scenes.upper_lid(lid)[::-1],
        True,
        rng.uniform(0.06, 0.14) * span,
        int(rng.integers(35, 80)),
    )
    return img


def _lips(rng: Rng, shape: Shape) -> np.ndarray:
    """A mouth close-up: a pink-red crescent on skin that must not pass for a conjunctiva."""
    h, w = shape
    tone = scenes.skin_tone(rng)
    img = scenes.skin(rng, shape, tone)
    half, c = (
        rng.uniform(0.25, 0.42) * w,
        np.array([w / 2, h / 2]) + rng.normal(0, 0.05, 2) * (w, h),
    )
    u = np.linspace(-1, 1, 48)
    mouth = c[1] + 0.04 * half * u**2
    upper = mouth - half * rng.uniform(0.15, 0.3) * (1 - u**2) * (1 - 0.3 * np.exp(-((u * 6) ** 2)))
    lower = mouth + half * rng.uniform(0.2, 0.4) * (1 - u**2)
    x = c[0] + u * half
    lip = tone * 0.6 + np.array([185, 70, 80]) * rng.uniform(0.3, 0.45)
    for edge in (upper, lower):
        cv2.fillPoly(
            img,
            [np.stack([np.r_[x, x[::-1]], np.r_[mouth, edge[::-1]]], 1).astype(np.int32)],
            lip.tolist(),
            cv2.LINE_AA,
        )
    cv2.polylines(
        img,
        [np.stack([x, mouth], 1).astype(np.int32)],
        False,
        (tone * 0.35).tolist(),
        max(int(0.008 * half), 1),
        cv2.LINE_AA,
    )
    return img


KINDS: dict[str, Callable[[Rng, Shape], np.ndarray]] = {
    "noise": _noise,
    "text": _text,
    "document": _document,
    "solid": _solid,
    "landscape": _landscape,
    "skin": _skin,
    "face_far": _face_far,
    "gradient": _gradient,
    "sclera_only": _sclera_only,
    "lips": _lips,
}
NEGATIVE_KINDS: tuple[str, ...] = tuple(KINDS)
