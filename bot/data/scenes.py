"""Drawing helpers for `bot.data.compose`: skin, the eye around a pulled-down lower lid, lashes,
a fingertip, light and the phone camera, plus the scenes that hold no conjunctiva at all.

Everything draws into float32 RGB arrays (0..255) with cv2 and takes its randomness from the
caller's `np.random.Generator`, so one seed always gives one picture. Blurs wider than a few
pixels run on a quarter-size copy: a 480x640 composite has to stay well under 50 ms.
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
IRIS_COLOURS = np.array(
    [(70, 42, 24), (40, 27, 20), (110, 84, 48), (88, 112, 130), (90, 104, 68)], np.float32
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
    return 1 + amp * cv2.resize(grid, shape[::-1], interpolation=cv2.INTER_CUBIC)


def soften(layer: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones on a quarter-size copy, which looks the same and is 16x cheaper."""
    if sigma < 4:
        return cv2.GaussianBlur(layer, (0, 0), max(sigma, 0.3))
    h, w = layer.shape[:2]
    small = cv2.resize(layer, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blend(img: np.ndarray, cover: np.ndarray, colour: Paint, opacity: float = 1.0) -> None:
    """Paint `colour` (RGB, or an image like `img`) over `img` in place, opacity x cover/255.

    Only the bounding box of `cover` is touched: most layers are small, the frame is not.
    """
    x, y, w, h = cv2.boundingRect(cover)
    if w == 0:
        return
    win = np.s_[y : y + h, x : x + w]
    paint = colour[win] if isinstance(colour, np.ndarray) and colour.ndim == 3 else colour
    a = cover[win].astype(np.float32)[..., None] * np.float32(opacity / 255)
    img[win] += a * (np.asarray(paint, np.float32) - img[win])


def skin(rng: Rng, shape: Shape, tone: np.ndarray) -> np.ndarray:
    """Skin with blotches, mottling and pores, so it never reads as a flat fill."""
    pores = cv2.GaussianBlur(rng.standard_normal(shape, np.float32), (0, 0), 0.8)
    gain = field(rng, shape, 4, 0.05) * field(rng, shape, 24, 0.03)
    gain *= 1 + rng.uniform(0.06, 0.14) * pores
    img = gain[..., None] * tone
    img[..., 0] *= field(rng, shape, 10, 0.03)  # redness varies faster than overall tone
    return img


def curve(p0: np.ndarray, p1: np.ndarray, bulge: float, n: int = 10) -> np.ndarray:
    """Points of a gently bowed stroke from p0 to p1 (a lash, a vessel, a crease)."""
    t = np.linspace(0, 1, n, dtype=np.float32)[:, None]
    d = p1 - p0
    normal = np.array([-d[1], d[0]], np.float32)
    pts = p0 + t * d + bulge * (4 * t * (1 - t)) * normal
    return np.round(pts).astype(np.int32)


@dataclass(frozen=True)
class Lid:
    """Where the eye's parts sit: the sclera above the conjunctiva, the lid margin below it."""

    xs: np.ndarray  # sampled columns across the conjunctiva
    top: np.ndarray  # its upper edge (sclera side) at xs
    bot: np.ndarray  # its lower edge (lid-margin side) at xs
    left: np.ndarray  # inner/outer eye corners (x, y)
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
    span = len(xs)
    ext, lift = rng.uniform(0.04, 0.2, 2) * span, rng.uniform(0.01, 0.1, 2) * span
    return Lid(
        xs, top, bot,
        left=np.array([xs[0] - ext[0], top[0] - lift[0]], np.float32),
        right=np.array([xs[-1] + ext[1], top[-1] - lift[1]], np.float32),
        height=rng.uniform(0.25, 0.55) * span, margin=rng.uniform(0.03, 0.07) * span,
        gaze=rng.uniform(0.6, 1.15), tone=skin_tone(rng),
    )  # fmt: skip


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


def _iris(img: np.ndarray, rng: Rng, centre: np.ndarray, r: float) -> None:
    """Iris with fine radial streaks, a soft dark limbus and a pupil, painted in place."""
    h, w = img.shape[:2]
    x0, y0 = max(int(centre[0] - r) - 1, 0), max(int(centre[1] - r) - 1, 0)
    x1, y1 = min(int(centre[0] + r) + 2, w), min(int(centre[1] + r) + 2, h)
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    rr = np.hypot(xx - centre[0], yy - centre[1]) / r
    ang = np.arctan2(yy - centre[1], xx - centre[0])
    k, ph = rng.integers(25, 90, 4), rng.uniform(0, 6.3, 4)
    streak = sum(np.sin(k[i] * ang + ph[i]) for i in range(4)) * rng.uniform(0.02, 0.05)
    colour = IRIS_COLOURS[rng.integers(len(IRIS_COLOURS))] * rng.uniform(0.7, 1.15)
    pupil = rng.uniform(0.3, 0.45)
    shade = (1 + streak) * (1 - 0.5 * np.clip((rr - 0.75) / 0.25, 0, 1))
    shade *= 0.12 + 0.88 * np.clip((rr - pupil) * r / 1.5, 0, 1)
    a = np.clip((1 - rr) * r / 1.5, 0, 1)[..., None]
    patch = img[y0:y1, x0:x1]
    patch += a * (colour * shade[..., None] - patch)


def _sclera(rng: Rng, lid: Lid, inside: np.ndarray, off: np.ndarray) -> np.ndarray:
    """The white of the eye in a window at `off`: shaded, veined, pink at the fold, the iris."""
    white = rng.uniform((212, 202, 192), (246, 238, 230)).astype(np.float32)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3) / (0.1 * lid.span)
    img = white * (0.55 + 0.45 * np.minimum(depth, 1.0) ** 0.6)[..., None]
    vessels = np.zeros(inside.shape, np.uint8)
    for _ in range(rng.integers(4, 18)):
        p0 = (lid.left if rng.random() < 0.5 else lid.right) - off
        p0 = p0 + rng.normal(0, (0.08, 0.03)) * lid.span
        p1 = p0 + rng.normal(0, 0.18, 2) * lid.span
        cv2.polylines(vessels, [curve(p0, p1, rng.normal(0, 0.25))], False, 255, 1, cv2.LINE_AA)
    blend(img, vessels, (185, 60, 60), rng.uniform(0.25, 0.6))
    fornix = np.zeros(inside.shape, np.uint8)  # bulbar conjunctiva pinkens towards the fold
    pts = (np.stack([lid.xs, lid.top], 1) - off).astype(np.int32)
    cv2.polylines(fornix, [pts], False, 255, max(int(lid.margin * rng.uniform(0.5, 1.5)), 2))
    blend(img, soften(fornix, lid.margin * 0.6), (220, 135, 130), rng.uniform(0.15, 0.55))
    corner = (lid.left if rng.random() < 0.5 else lid.right) - off  # caruncle, inner corner
    axes = (int(0.06 * lid.span), int(0.04 * lid.span))
    cv2.ellipse(img, (tuple(corner.astype(int).tolist()), axes, 0), (200, 120, 115), -1)
    cx = (lid.left[0] + lid.right[0]) / 2 + rng.normal(0, 0.08) * lid.span
    centre = np.array([cx, np.interp(cx, lid.xs, lid.top) - lid.gaze * lid.height]) - off
    _iris(img, rng, centre, rng.uniform(0.17, 0.23) * lid.span)
    return img


def eye_background(rng: Rng, shape: Shape, lid: Lid) -> np.ndarray:
    """Skin, the eye opening and the lower lid margin: everything behind the conjunctiva."""
    img = skin(rng, shape, lid.tone)
    inner, outer = margin_chains(lid)
    upper = upper_lid(lid)
    shade = np.zeros(shape, np.uint8)  # hollows around the eye: darker on most faces
    cv2.polylines(shade, [(outer + (0, 0.2 * lid.span)).astype(np.int32)], False, 255, 9)
    cv2.polylines(shade, [(upper - (0, 0.1 * lid.span)).astype(np.int32)], False, 160, 9)
    img *= 1 - rng.uniform(0.05, 0.25) * soften(shade, 0.12 * lid.span)[..., None] / 255
    lines = np.zeros(shape, np.uint8)  # upper-lid crease and fine wrinkles under the eye
    cv2.polylines(lines, [(upper - (0, lid.height * rng.uniform(0.2, 0.4))).astype(np.int32)], False, 255, 2)
    for k in range(rng.integers(0, 4)):
        pts = outer[1:-1:4] + (0, lid.margin * (2 + 1.5 * k)) + rng.normal(0, 1, (len(outer[1:-1:4]), 2))
        cv2.polylines(lines, [pts.astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    blend(img, soften(lines, 1.0), lid.tone * 0.75, rng.uniform(0.3, 0.8))
    inside = np.zeros(shape, np.uint8)
    cv2.fillPoly(inside, [np.vstack([lid.left, np.stack([lid.xs, lid.top + 1], 1), lid.right, upper]).astype(np.int32)], 255)
    x, y, w, h = cv2.boundingRect(inside)
    win = np.s_[y : y + h, x : x + w]
    blend(img[win], soften(inside[win], 0.8), _sclera(rng, lid, inside[win], np.array([x, y])))
    cv2.polylines(img, [upper.astype(np.int32)], False, (lid.tone * 0.5).tolist(), max(int(lid.margin / 3), 1), cv2.LINE_AA)
    rim = np.zeros(shape, np.uint8)
    cv2.fillPoly(rim, [np.vstack([inner, outer[::-1]]).astype(np.int32)], 255)
    red = lid.tone * 0.55 + np.array([190, 100, 95], np.float32) * rng.uniform(0.25, 0.4)
    blend(img, soften(rim, 1.0), red * rng.uniform(0.85, 1.0))
    return img


def lashes(img: np.ndarray, rng: Rng, base: np.ndarray, up: bool, length: float, n: int) -> np.ndarray:
    """`n` thin dark curved hairs rooted along `base`, leaning outwards; returns their coverage."""
    cover = np.zeros(img.shape[:2], np.uint8)
    d = np.gradient(base, axis=0)
    normal = np.stack([d[:, 1], -d[:, 0]], 1) * (1 if up else -1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-6
    mid = base[:, 0].mean()
    strokes = []
    for i in rng.choice(len(base), size=min(len(base), n), replace=False):
        lean = np.array([np.sign(base[i, 0] - mid) * rng.uniform(0.1, 0.7), 0], np.float32)
        tip = base[i] + (normal[i] + lean) * length * rng.uniform(0.5, 1.2)
        strokes.append(curve(base[i], tip, rng.normal(0.12, 0.08), 8))
    thick = 2 if length > 30 and rng.random() < 0.5 else 1
    cv2.polylines(cover, strokes, False, 255, thick, cv2.LINE_AA)
    blend(img, cover, np.full(3, rng.uniform(12, 50), np.float32) * (1, 0.9, 0.85))
    return cover >= 128


def fingertip(img: np.ndarray, rng: Rng, tip: np.ndarray, angle: float, width: float, tone: np.ndarray) -> np.ndarray:
    """A finger reaching up to `tip` from below (nail towards the camera), painted in place.

    `angle` tilts it from vertical (radians). Returns the pixels it covers, so the caller can
    take them out of the conjunctiva mask.
    """
    h, w = img.shape[:2]
    down = np.array([np.sin(angle), np.cos(angle)], np.float32)
    side = np.array([down[1], -down[0]], np.float32) * width / 2
    c = tip + down * width / 2
    far = c + down * 2 * (h + w)
    cover = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(cover, np.array([c + side, c - side, far - side * 1.2, far + side * 1.2], np.int32), 255)
    cv2.circle(cover, tuple(int(v) for v in c), int(width / 2), 255, -1)
    shadow = np.zeros_like(cover)
    shadow[int(width * 0.12) :, int(width * 0.08) :] = cover[: h - int(width * 0.12), : w - int(width * 0.08)]
    img *= 1 - rng.uniform(0.2, 0.45) * (soften(shadow, width * 0.12) / 255)[..., None]
    tone = tone * rng.uniform(0.95, 1.08) * np.array([1.04, 0.96, 0.95], np.float32)
    depth = cv2.distanceTransform(cover, cv2.DIST_L2, 3) / (width / 2)
    finger = tone * (0.6 + 0.4 * np.minimum(depth, 1) ** 0.5)[..., None]
    nail, deg = c + down * width * 0.05, float(np.degrees(-angle))
    axes = (int(width * 0.3), int(width * 0.42))
    cv2.ellipse(finger, (tuple(int(v) for v in nail - down * width * 0.05), axes, deg), (232, 222, 214), -1)
    pink = tone * 0.55 + np.array([235, 195, 188], np.float32) * 0.45
    cv2.ellipse(finger, (tuple(int(v) for v in nail), axes, deg), pink.tolist(), -1)
    blend(img, soften(cover, 1.0), finger)
    return cover >= 128


def light(img: np.ndarray, rng: Rng, mask: np.ndarray | None) -> np.ndarray:
    """Uneven light, an occasional soft shadow edge and a colour cast, metered on the subject.

    Phones expose for the middle of the frame, so the field is rescaled to put the conjunctiva
    near its own brightness: segmentation sees uneven light, the Hb colours stay usable.
    """
    h, w = img.shape[:2]
    gain = field(rng, (h, w), 3, rng.uniform(0.05, 0.22))
    if rng.random() < 0.5:  # a shadow from the hand or the phone, soft-edged
        ang, soft = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.4) * w
        ramp = np.add.outer(
            np.arange(h, dtype=np.float32) * np.sin(ang), np.arange(w) * np.cos(ang)
        )
        edge = rng.uniform(ramp.min(), ramp.max())
        gain *= 1 - rng.uniform(0.2, 0.5) * np.clip((ramp - edge) / soft, 0, 1)
    ref = gain[mask].mean() if mask is not None and mask.any() else gain.mean()
    gain *= rng.uniform(0.9, 1.08) / ref
    return img * gain[..., None] * rng.uniform(0.95, 1.05, 3).astype(np.float32)


def glints(img: np.ndarray, rng: Rng, spots: np.ndarray, size: float) -> None:
    """Specular highlights in place: small sharp ones at `spots` (x, y), plus soft sheen on skin."""
    sharp, sheen = np.zeros(img.shape[:2], np.uint8), np.zeros(img.shape[:2], np.uint8)
    for x, y in spots.astype(int):
        axes = tuple(int(v) for v in rng.uniform(0.5, 1.5, 2) * size + 1)
        cv2.ellipse(sharp, ((int(x), int(y)), axes, rng.uniform(0, 180)), 255, -1)
    for _ in range(rng.integers(0, 4)):
        p = (int(rng.uniform(0, img.shape[1])), int(rng.uniform(0, img.shape[0])))
        cv2.circle(
            sheen, p, int(rng.uniform(0.03, 0.1) * img.shape[1]), int(rng.uniform(30, 90)), -1
        )
    g = soften(sharp, 0.35 * size + 0.5) / 255 + soften(sheen, 0.04 * img.shape[1]) / 255
    img += np.minimum(g, 1)[..., None] * (250 - img)


def camera(img: np.ndarray, rng: Rng) -> np.ndarray:
    """Focus or hand blur, sensor noise and JPEG at quality 60-95: what a phone sends."""
    if rng.random() < 0.8:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
    else:  # hand shake: a short line kernel
        k = np.zeros((9, 9), np.float32)
        cv2.line(k, (4, 4), tuple(int(v) for v in 4 + rng.uniform(-4, 4, 2)), 1.0, 1)
        img = cv2.filter2D(img, -1, k / k.sum())
    img = img + rng.standard_normal(img.shape[:2], np.float32)[..., None] * rng.uniform(0.5, 4)
    out = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    q = int(rng.integers(60, 96))
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
