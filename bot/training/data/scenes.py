"""Drawing helpers for `bot.training.data.compose`: skin, the eye around a pulled-down lower
lid, lashes and a fingertip.

Everything draws into float32 RGB arrays (0..255) with cv2 and takes its randomness from the
caller's `np.random.Generator`, so a seed always gives one picture. Wide blurs run on a 4-8x
smaller copy and paints touch only their layer's bounding box: a composite must stay far under
50 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Rng = np.random.Generator
Shape = tuple[int, int]
Paint = np.ndarray | tuple[float, ...]

# Fitzpatrick I-VI anchor tones (RGB); sampling between neighbours gives a continuous range.
SKIN_TONES = np.array(
    [
        (245, 218, 196),
        (234, 192, 162),
        (214, 160, 122),
        (180, 124, 88),
        (126, 84, 58),
        (74, 50, 38),
    ],
    np.float32,
)
# Brown and dark brown most often, as in the people we screen.
IRIS_COLOURS = np.array(
    [(70, 42, 24), (40, 27, 20), (56, 36, 24), (110, 84, 48), (88, 112, 130), (90, 104, 68)],
    np.float32,
)


def skin_tone(rng: Rng) -> np.ndarray:
    """One skin colour from anywhere in the Fitzpatrick range, jittered per channel."""
    t = rng.uniform(0, len(SKIN_TONES) - 1)
    i = min(int(t), len(SKIN_TONES) - 2)
    tone = SKIN_TONES[i] + (t - i) * (SKIN_TONES[i + 1] - SKIN_TONES[i])
    return (tone * rng.uniform(0.94, 1.06, 3)).astype(np.float32)


def field(rng: Rng, shape: Shape, cells: int, amp: float) -> np.ndarray:
    """Smooth random field around 1: a coarse random grid upsampled bicubically."""
    grid = rng.standard_normal((cells, cells + 1)).astype(np.float32)
    h, w = shape  # bicubic to 1/4 size, then bilinear: as smooth, 10x cheaper than bicubic
    small = cv2.resize(
        grid, (max(w // 4, cells + 1), max(h // 4, cells)), interpolation=cv2.INTER_CUBIC
    )
    return 1 + amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def soften(layer: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones on a 4-8x smaller copy, which looks the same and costs far less."""
    if sigma < 4:
        return cv2.GaussianBlur(layer, (0, 0), max(sigma, 0.3))
    h, w = layer.shape[:2]
    f = 4 if sigma < 20 else 8
    small = cv2.resize(layer, (max(w // f, 1), max(h // f, 1)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blend(img: np.ndarray, cover: np.ndarray, colour: Paint, opacity: float = 1.0) -> None:
    """Paint `colour` (RGB, or an image shaped like `img`) over `img` in place, opacity x cover/255.

    Only the bounding box of the uint8 `cover` is touched: most layers are small, the frame is not.
    """
    x, y, w, h = cv2.boundingRect(cover)
    if w == 0:
        return
    win = np.s_[y : y + h, x : x + w]
    paint = colour[win] if isinstance(colour, np.ndarray) and colour.ndim == 3 else colour
    a = cover[win].astype(np.float32)[..., None] * np.float32(opacity / 255)
    img[win] += a * (np.asarray(paint, np.float32) - img[win])


def skin(rng: Rng, shape: Shape, tone: np.ndarray, dark: np.ndarray | None = None) -> np.ndarray:
    """Skin with blotches, mottling and pores, darkened by `dark` (0..1) where given."""
    half = rng.random((shape[0] // 2 + 1, shape[1] // 2 + 1), np.float32) - 0.5
    pores = cv2.resize(half, shape[::-1], interpolation=cv2.INTER_LINEAR) * 3.5  # 2-px grain
    gain = field(rng, shape, 4, 0.03) * field(rng, shape, 24, 0.012)
    gain *= 1 + rng.uniform(0.04, 0.1) * pores
    if dark is not None:
        gain *= 1 - dark
    red = gain * field(rng, shape, 10, 0.02)  # redness varies faster than overall tone
    return cv2.merge([red * tone[0], gain * tone[1], gain * tone[2]])


def curve(p0: np.ndarray, p1: np.ndarray, bulge: float, n: int = 10) -> np.ndarray:
    """Points of a gently bowed stroke from p0 to p1 (a lash, a vessel, a crease)."""
    t = np.linspace(0, 1, n, dtype=np.float32)[:, None]
    d = p1 - p0
    pts = p0 + t * d + bulge * (4 * t * (1 - t)) * np.array([-d[1], d[0]], np.float32)
    return np.round(pts).astype(np.int32)


@dataclass(frozen=True)
class Lid:
    """Where the eye's parts sit: the sclera above the conjunctiva, the lid margin below it."""

    xs: np.ndarray  # columns across the conjunctiva
    top: np.ndarray  # its upper edge (sclera side) at xs
    bot: np.ndarray  # its lower edge (lid-margin side) at xs
    left: np.ndarray  # eye corners (x, y)
    right: np.ndarray
    height: float  # how far the eye opening reaches above the corners' line
    margin: float  # lid-margin thickness in px
    gaze: float  # iris centre height as a fraction of `height`: people look up for this photo
    tone: np.ndarray  # skin colour

    @property
    def span(self) -> float:
        return float(self.right[0] - self.left[0])


def lid_from_mask(mask: np.ndarray, rng: Rng) -> Lid:
    """Fit the eye to a placed conjunctiva mask, so sclera and lid margin hug its two edges."""
    cols = np.flatnonzero(mask.any(0))
    sub = mask[:, cols]
    xs = np.arange(cols[0], cols[-1] + 1, dtype=np.float32)
    top = np.interp(xs, cols, sub.argmax(0))
    bot = np.interp(xs, cols, len(mask) - 1 - sub[::-1].argmax(0))
    ext, lift = rng.uniform(0.04, 0.2, 2) * len(xs), rng.uniform(0.01, 0.1, 2) * len(xs)
    return Lid(
        xs,
        top,
        bot,
        left=np.array([xs[0] - ext[0], top[0] - lift[0]], np.float32),
        right=np.array([xs[-1] + ext[1], top[-1] - lift[1]], np.float32),
        height=rng.uniform(0.25, 0.55) * len(xs),
        margin=rng.uniform(0.03, 0.07) * len(xs),
        gaze=rng.uniform(0.75, 1.35),
        tone=skin_tone(rng),
    )


def upper_lid(lid: Lid) -> np.ndarray:
    """Upper boundary of the eye opening, right corner to left, kept above the conjunctiva."""
    x = np.linspace(lid.right[0], lid.left[0], 40, dtype=np.float32)
    t = (x - lid.left[0]) / lid.span
    base = lid.left[1] + t * (lid.right[1] - lid.left[1])
    arc = lid.height * np.clip(np.sin(np.pi * t), 0, 1) ** 0.6
    return np.stack([x, np.minimum(base - arc, np.interp(x, lid.xs, lid.top) - 4)], 1)


def margin_chains(lid: Lid) -> tuple[np.ndarray, np.ndarray]:
    """Inner (conjunctiva side) and outer (skin side) edges of the lower lid margin."""
    t = (lid.xs - lid.xs[0]) / max(len(lid.xs) - 1, 1)
    thick = lid.margin * (0.35 + 0.65 * np.clip(np.sin(np.pi * t), 0, 1) ** 0.5)
    inner = np.vstack([lid.left, np.stack([lid.xs, lid.bot - 1], 1), lid.right])
    outer = np.vstack([lid.left, np.stack([lid.xs, lid.bot + thick], 1), lid.right])
    return inner, outer


def iris(img: np.ndarray, rng: Rng, centre: np.ndarray, r: float) -> None:
    """Iris with fine radial streaks, a soft dark limbus and a pupil, painted in place."""
    x0, y0 = max(int(centre[0] - r) - 1, 0), max(int(centre[1] - r) - 1, 0)
    x1, y1 = min(int(centre[0] + r) + 2, img.shape[1]), min(int(centre[1] + r) + 2, img.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32) - centre[::-1, None, None]
    rr, ang = np.hypot(xx, yy) / r, np.arctan2(yy, xx)
    k, ph = rng.integers(25, 90, 4), rng.uniform(0, 6.3, 4)
    streak = sum(np.sin(k[i] * ang + ph[i]) for i in range(4)) * rng.uniform(0.02, 0.05)
    colour = IRIS_COLOURS[rng.integers(len(IRIS_COLOURS))] * rng.uniform(0.7, 1.15)
    shade = (1 + streak) * (1 - 0.5 * np.clip((rr - 0.75) / 0.25, 0, 1))  # dark limbal ring
    shade *= 0.12 + 0.88 * np.clip((rr - rng.uniform(0.3, 0.45)) * r / 1.5, 0, 1)  # pupil
    a = np.clip((1 - rr) * r / 1.5, 0, 1)[..., None]
    patch = img[y0:y1, x0:x1]
    patch += a * (colour * shade[..., None] - patch)


def _sclera(rng: Rng, lid: Lid, inside: np.ndarray, off: np.ndarray) -> np.ndarray:
    """The white of the eye in a window at `off`: shaded, veined, pink at the fold, the iris."""
    g = rng.uniform(0.94, 0.99)  # never bluer than green: a lavender sclera looks drawn
    white = rng.uniform(190, 238) * np.array([1, g, g * rng.uniform(0.93, 0.99)], np.float32)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3) / (0.1 * lid.span)
    depth = np.minimum(depth, 1.0)
    shade = 0.55 + 0.45 * np.sqrt(depth)  # darker towards the lids that curve over it
    pink = shade * (1 - rng.uniform(0.02, 0.1) * (1 - depth))  # and pinker
    img = cv2.merge([shade * white[0], pink * white[1], pink * white[2]])
    vessel = (rng.uniform(0.25, 0.6) * (np.array([185, 60, 60]) - white) + white * 0.8).tolist()
    for _ in range(rng.integers(4, 18)):
        p0 = (lid.left if rng.random() < 0.5 else lid.right) - off
        p0 = p0 + rng.normal(0, (0.08, 0.03)) * lid.span
        p1 = p0 + rng.normal(0, 0.18, 2) * lid.span
        cv2.polylines(img, [curve(p0, p1, rng.normal(0, 0.25))], False, vessel, 1)
    fornix = np.zeros(inside.shape, np.uint8)  # bulbar conjunctiva pinkens towards the fold
    pts = (np.stack([lid.xs, lid.top], 1) - off).astype(np.int32)
    cv2.polylines(fornix, [pts], False, 255, max(int(lid.margin * rng.uniform(0.5, 1.5)), 2))
    blend(img, soften(fornix, lid.margin * 0.6), (220, 135, 130), rng.uniform(0.15, 0.55))
    corner = (lid.left if rng.random() < 0.5 else lid.right) - off  # caruncle, inner corner
    axes = (int(0.06 * lid.span), int(0.04 * lid.span))
    cv2.ellipse(img, (corner.astype(int).tolist(), axes, 0), (200, 120, 115), -1)
    cx = (lid.left[0] + lid.right[0]) / 2 + rng.normal(0, 0.08) * lid.span
    centre = np.array([cx, np.interp(cx, lid.xs, lid.top) - lid.gaze * lid.height]) - off
    iris(img, rng, centre.astype(np.float32), rng.uniform(0.17, 0.23) * lid.span)
    return img


def eye_background(rng: Rng, shape: Shape, lid: Lid) -> np.ndarray:
    """Skin, the eye opening and the lower lid margin: everything behind the conjunctiva."""
    inner, outer = margin_chains(lid)
    upper = upper_lid(lid)
    shade = np.zeros(shape, np.uint8)  # hollows around the eye: darker on most faces
    cv2.polylines(shade, [(outer + (0, 0.2 * lid.span)).astype(np.int32)], False, 255, 9)
    cv2.polylines(shade, [(upper - (0, 0.1 * lid.span)).astype(np.int32)], False, 160, 9)
    dark = soften(shade, 0.12 * lid.span) * np.float32(rng.uniform(0.05, 0.25) / 255)
    img = skin(rng, shape, lid.tone, dark)
    line = (lid.tone * rng.uniform(0.75, 0.92)).tolist()  # upper-lid crease, wrinkles below
    crease = upper - (0, lid.height * rng.uniform(0.2, 0.4))
    cv2.polylines(img, [crease.astype(np.int32)], False, line, 2)
    for k in range(rng.integers(0, 4)):
        pts = outer[1:-1:4] + (0, lid.margin * (2 + 1.5 * k))
        cv2.polylines(img, [(pts + rng.normal(0, 1, pts.shape)).astype(np.int32)], False, line, 1)
    inside = np.zeros(shape, np.uint8)
    lower = np.stack([lid.xs, lid.top + 1], 1)  # +1: no gap left under the pasted conjunctiva
    cv2.fillPoly(inside, [np.vstack([lid.left, lower, lid.right, upper]).astype(np.int32)], 255)
    x, y, w, h = cv2.boundingRect(inside)
    win = np.s_[y : y + h, x : x + w]
    blend(img[win], soften(inside[win], 0.8), _sclera(rng, lid, inside[win], np.array([x, y])))
    rim_width = max(int(lid.margin / 3), 1)  # upper lid margin: a thin dark line
    cv2.polylines(img, [upper.astype(np.int32)], False, (lid.tone * 0.45).tolist(), rim_width)
    rim = np.zeros(shape, np.uint8)  # lower lid margin: skin turning red to the wet inner edge
    cv2.fillPoly(rim, [np.vstack([inner, outer[::-1]]).astype(np.int32)], 255)
    red = lid.tone * 0.55 + np.array([190, 100, 95], np.float32) * rng.uniform(0.25, 0.4)
    blend(img, soften(rim, 1.0), red * rng.uniform(0.85, 1.0))
    return img


def lashes(
    img: np.ndarray, rng: Rng, base: np.ndarray, up: bool, length: float, n: int
) -> np.ndarray:
    """`n` thin dark curved hairs rooted along `base` (left to right), leaning outwards.

    Painted in place; returns their coverage so the caller can take it out of the mask.
    """
    cover = np.zeros(img.shape[:2], np.uint8)
    if len(base) < 3:  # a lid a pixel or two wide: no room for lashes
        return cover > 0
    d = np.gradient(base, axis=0)
    normal = np.stack([d[:, 1], -d[:, 0]], 1) * (1 if up else -1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-6
    i = rng.choice(len(base), size=min(len(base), n), replace=False)
    lean = np.sign(base[i, :1] - base[:, :1].mean()) * rng.uniform(0.1, 0.7, (len(i), 1))
    d = (normal[i] + np.hstack([lean, np.zeros_like(lean)])) * length
    d *= rng.uniform(0.5, 1.2, (len(i), 1))
    t = np.linspace(0, 1, 8)[None, :, None]
    bow = rng.normal(0.12, 0.08, (len(i), 1, 1)) * 4 * t * (1 - t)
    strokes = base[i, None] + t * d[:, None] + bow * np.stack([-d[:, 1], d[:, 0]], 1)[:, None]
    thick = 2 if length > 30 and rng.random() < 0.5 else 1
    cv2.polylines(cover, list(np.round(strokes).astype(np.int32)), False, 255, thick, cv2.LINE_AA)
    blend(img, cover, rng.uniform(12, 50) * np.array([1, 0.9, 0.85], np.float32))
    return cover >= 128


def fingertip(
    img: np.ndarray, rng: Rng, tip: np.ndarray, angle: float, width: float, tone: np.ndarray
) -> np.ndarray:
    """A finger reaching up to `tip` from below, nail towards the camera, painted in place.

    `angle` tilts it from vertical (radians). Returns the pixels it covers, so the caller can
    take them out of the conjunctiva mask.
    """
    h, w = img.shape[:2]
    down = np.array([np.sin(angle), np.cos(angle)], np.float32)
    side = np.array([down[1], -down[0]], np.float32) * width / 2
    c = tip + down * width / 2
    far = c + down * 2 * (h + w)
    cover = np.zeros((h, w), np.uint8)
    body = np.array([c + side, c - side, far - side * 1.2, far + side * 1.2], np.int32)
    cv2.fillConvexPoly(cover, body, 255)
    cv2.circle(cover, c.astype(int).tolist(), int(width / 2), 255, -1)
    x, y, bw, bh = cv2.boundingRect(cover)  # shade and nail drawn in the finger's window only
    if bw == 0:
        return cover > 0  # below the frame
    dy, dx = int(width * 0.12), int(width * 0.08)  # its shadow falls down-right onto the lid
    shadow = np.zeros_like(cover)
    shadow[dy:, dx:] = cover[: h - dy, : w - dx]
    blend(img, soften(shadow, width * 0.12), (0, 0, 0), rng.uniform(0.2, 0.45))
    depth = cv2.distanceTransform(cover[y : y + bh, x : x + bw], cv2.DIST_L2, 3) / (width / 2)
    shade = 0.6 + 0.4 * np.sqrt(np.minimum(depth, 1))
    tone = tone * rng.uniform(0.95, 1.08) * np.array([1.04, 0.96, 0.95], np.float32)
    finger = cv2.merge([shade * tone[0], shade * tone[1], shade * tone[2]])
    nail, axes = c - down * width * 0.1 - (x, y), (int(width * 0.5), int(width * 0.58))
    deg = float(np.degrees(-angle))
    free_edge = (nail - down * width * 0.04).astype(int).tolist()
    cv2.ellipse(finger, (free_edge, axes, deg), (tone * 0.6 + 90).tolist(), -1)
    pink = tone * 0.7 + np.array([230, 180, 175], np.float32) * 0.3
    cv2.ellipse(finger, (nail.astype(int).tolist(), axes, deg), pink.tolist(), -1)
    blend(img[y : y + bh, x : x + bw], soften(cover[y : y + bh, x : x + bw], 1.0), finger)
    return cover >= 128
