"""Grad-CAM (Selvaraju et al. 2017) as a plain function of a model and its input.

The model returns its last convolutional map beside the estimate; we differentiate the
estimate with respect to that map, weight each channel by its mean gradient, and keep the
positive part. Works on one CNN (B, h, w, C) or an ensemble's stacked maps (M, B, h, w, C).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from model import exported, jitcache
from model.features import lower_share


class Explainable(Protocol):
    def __call__(
        self, x: jax.Array, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]: ...

    def head(
        self, fmap: jax.Array, x: jax.Array, colour: jax.Array, meta: jax.Array
    ) -> jax.Array: ...

    def baseline(self) -> jax.Array: ...


@dataclass(frozen=True)
class Explanation:
    estimate: float  # the model's output for this input (Hb, g/dL)
    heatmap: np.ndarray  # (H, W) float32 in [0, 1], at the model's input size
    lower_share: float  # share of the heat inside the mask on its lower half; NaN if no heat


def cam(
    model: Explainable, x: jax.Array, colour: jax.Array, meta: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """(estimates (B,), (B, h, w) non-negative class-activation maps) for a batch; compiled
    by `jitcache.bound` (or exported by `model.export`), and plain NNX code here.

    A regression output has no class, so we explain the estimate's departure from the
    training mean in its own direction: for a low estimate, the evidence pushing it down.
    Plain Grad-CAM would keep only what raises the output and go blank on anaemic cases.
    """
    out, feats = model(x, colour, meta)
    fmap = feats["last_conv"]
    direction = jnp.where(out >= model.baseline(), 1.0, -1.0)
    grads = jax.grad(lambda f: (direction * model.head(f, x, colour, meta)).sum())(fmap)
    weights = grads.mean(axis=(-3, -2), keepdims=True)  # per-channel importance
    maps = jax.nn.relu((fmap * weights).sum(axis=-1))
    # An ensemble's maps are (M, B, h, w); its gradient already carries the 1/M of the mean.
    maps = maps.reshape((-1, *maps.shape[-3:])).sum(axis=0)
    return out, maps


def explain(
    model: Explainable | exported.Model, x: np.ndarray, colour: np.ndarray, meta: np.ndarray
) -> Explanation:
    """Heat map for one input (H, W, 4) and the share of attention on the lower half of its mask."""
    batch = (a[None] for a in (x, colour, meta))  # jit moves NumPy arrays itself
    out, maps = jitcache.bound(cam, model)(*batch)
    raw = np.asarray(maps)[0]
    h, w = x.shape[:2]
    heat = cv2.resize(raw, (w, h), interpolation=cv2.INTER_LINEAR)
    heat = heat / heat.max() if heat.max() > 0 else heat
    share = lower_share(heat, x[..., 3] > 0.5)
    return Explanation(float(out[0]), heat.astype(np.float32), share)


OVERLAY_MAX_SIDE = 640  # px; a chat shows less
# JPEG, as Telegram sends every photo anyway: at 640 px a PNG took 4-7 ms to encode and
# 140-210 kB to upload, this 0.5-0.7 ms and 40-50 kB (mean error 1.2-1.3 of 255 levels);
# full-resolution colour (4:4:4) keeps the outline and the heat map's hues sharp
_JPEG = [
    cv2.IMWRITE_JPEG_QUALITY,
    90,
    cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
    cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
]
_DIM = (np.arange(256) * 0.6).astype(np.uint8)  # the lining's surroundings, darkened
# OpenCV's jet colour map as a (1, 256, 3) BGR table: `cv2.applyColorMap` builds its table
# again on every call (~6 ms); a lookup in this one gives the same pixels in ~0.3 ms
_JET = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_JET).reshape(
    1, 256, 3
)


def jet(grey: np.ndarray) -> np.ndarray:
    """(h, w, 3) BGR uint8: `cv2.applyColorMap(grey, cv2.COLORMAP_JET)`, from the table."""
    return cv2.LUT(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), _JET)


def overlay_jpeg(
    image: np.ndarray,
    mask: np.ndarray,
    heatmap: np.ndarray | None,
    max_side: int = OVERLAY_MAX_SIDE,
) -> bytes:
    """JPEG bytes: the person's own crop with the heat map blended over the conjunctiva (or,
    with no heat map, the conjunctiva as measured), outlined, at most `max_side` px long."""
    scale = max_side / max(image.shape[:2])
    if scale < 1:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        # area averaging where it drops more than every other pixel; above that, bilinear
        # looks the same and OpenCV's area path for such scales costs ~5 ms of a photo
        smooth = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
        image = cv2.resize(image, size, interpolation=smooth)
        mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    h, w = image.shape[:2]
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    blend = bgr
    if heatmap is not None:
        heat = cv2.resize(heatmap, (w, h), interpolation=cv2.INTER_LINEAR)
        colour = jet((heat * 255).astype(np.uint8))
        blend = cv2.addWeighted(bgr, 0.55, colour, 0.45, 0)
    out = cv2.copyTo(blend, mask.view(np.uint8), cv2.LUT(bgr, _DIM))
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    cv2.drawContours(out, contours, -1, (255, 255, 255), max(1, min(h, w) // 100))
    if heatmap is not None:
        _scale_bar(out)
    ok, buf = cv2.imencode(".jpg", out, _JPEG)
    if not ok:
        raise ValueError("could not encode the overlay")
    return buf.tobytes()


def _scale_bar(out: np.ndarray) -> None:
    """A small colour scale in the top right corner, in place: most weight at its top (red),
    none at its bottom (blue); the caption says it in words."""
    h, w = out.shape[:2]
    bar_h, bar_w, pad = max(8, h // 3), max(4, w // 40), max(2, min(h, w) // 50)
    ramp = np.linspace(255, 0, bar_h).astype(np.uint8)[:, None].repeat(bar_w, axis=1)
    top, left = pad, w - pad - bar_w
    if left < 0 or top + bar_h > h:
        return  # a picture too small for a scale
    out[top : top + bar_h, left : left + bar_w] = jet(ramp)
    cv2.rectangle(out, (left - 1, top - 1), (left + bar_w, top + bar_h), (255, 255, 255), 1)
