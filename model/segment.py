"""From U-Net logits to one conjunctiva mask at the photo's own resolution.

The network runs at a small fixed size; its logits are resized to the photo, thresholded,
and only the largest connected component is kept, since a photo shows one lower eyelid.
`find` looks twice: once at the whole photo, then again at a box around what it found, so a
strip that is a few network pixels thick in a wide photo gets its edges from a view in which it
fills the frame (the same network, trained on both views).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol, TypeAlias

import cv2
import jax
import numpy as np

from model import exported, jitcache

if TYPE_CHECKING:  # not imported at run time: serving an exported U-Net needs no Flax
    from model import unet

Net: TypeAlias = "unet.Model | exported.Model"


@dataclass(frozen=True)
class Found:
    """The kept component and how sure the network was about it."""

    mask: np.ndarray  # (H, W) bool at the photo's resolution
    area_fraction: float  # component pixels / photo pixels
    confidence: float  # mean probability inside the component
    components: int  # how many separate regions passed the threshold


class InputSize(Protocol):
    """A network's input size: `unet.Config` or an exported U-Net's `exported.Config`."""

    @property
    def height(self) -> int: ...

    @property
    def width(self) -> int: ...


def to_input(image: np.ndarray, config: InputSize) -> np.ndarray:
    """(height, width, 3) float32 in [-1, 1] from an RGB uint8 photo of any size."""
    small = cv2.resize(image, (config.width, config.height), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 127.5 - 1.0


def logits(model: unet.Model, x: jax.Array) -> jax.Array:
    """The network's logits (B, H, W): compiled by `jitcache.bound`, exported by `model.export`."""
    return model(x)[0]


def probabilities(model: Net, image: np.ndarray) -> np.ndarray:
    """(H, W) float32 conjunctiva probability for an RGB uint8 photo, at its own size."""
    x = to_input(image, model.config)[None]
    out = np.asarray(jitcache.bound(logits, model)(x))[0]
    h, w = image.shape[:2]
    up = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)  # resize logits, not 0/1
    return (0.5 * (1.0 + np.tanh(0.5 * up))).astype(np.float32)  # sigmoid without overflow


# Margin around the coarse mask, as a share of its box's longer side. The coarse look often
# misses the thin ends of the lining at the corners of the eye; a box that cuts them off can
# never find them. 0.25 against 0.15: median Dice on held-out real photos 0.819 vs 0.809
# (train-seg's 3-level CV networks, 66 photos); networks learn second looks with 0.05-0.3 margins.
REFINE_PAD = 0.25


def refine_box(mask: np.ndarray, pad: float = REFINE_PAD) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the mask's box with `pad` of its longer side on each side."""
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if ys.size == 0:
        raise ValueError("empty mask")
    return padded((int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1), mask.shape, pad)


def padded(
    box: tuple[int, int, int, int], shape: tuple[int, ...], pad: float = REFINE_PAD
) -> tuple[int, int, int, int]:
    """The box (top, bottom, left, right) with `pad` of its longer side on each side, clipped
    to `shape`."""
    top, bottom, left, right = box
    m = round(pad * max(bottom - top, right - left))
    h, w = shape[:2]
    return max(top - m, 0), min(bottom + m, h), max(left - m, 0), min(right + m, w)


WORK_SIDE = 640  # px: both looks work at most at this size; the mask is scaled up after


def find(
    model: Net, image: np.ndarray, threshold: float = 0.5, small: np.ndarray | None = None
) -> Found | None:
    """The conjunctiva in a photo: a look at the whole, then a closer look around what it found.

    A 12 MP photo is searched at WORK_SIDE (the network sees 128 px either way, and the mask's
    edge moves by less than a pixel of the photo); the mask comes back at the photo's size.
    `small`: `work_size(image)` where the caller has it already."""
    small = work_size(image) if small is None else small
    prob = two_looks(model, small, threshold)
    found = None if prob is None else largest_component(prob, threshold)
    return None if found is None else full_size(found, image.shape[:2])


def work_size(image: np.ndarray) -> np.ndarray:
    """The photo shrunk so its longer side is at most WORK_SIDE."""
    h, w = image.shape[:2]
    f = min(1.0, WORK_SIDE / max(h, w))
    if f == 1.0:
        return image
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


Look = Callable[[Net, np.ndarray], np.ndarray]


def two_looks(
    model: Net, small: np.ndarray, threshold: float = 0.5, look: Look | None = None
) -> np.ndarray | None:
    """Probabilities of the whole look, with the closer look's inside the box around what the
    first found; None when the first finds nothing. `look` (default `probabilities`, looked up
    at call time) maps a model and a picture to probabilities."""
    look = look or probabilities
    prob = look(model, small)
    coarse = largest_box(prob, threshold)
    if coarse is None:
        return None
    t, b, left, r = padded(coarse, prob.shape)
    prob[t:b, left:r] = look(model, small[t:b, left:r])
    return prob


def largest_box(prob: np.ndarray, threshold: float = 0.5) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the biggest region above `threshold`, None if nothing:
    `largest_component`'s box (filling holes never moves it) without making its mask."""
    binary = (prob > threshold).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return None
    left, top, width, height = stats[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])), :4]
    return int(top), int(top + height), int(left), int(left + width)


def full_size(found: Found, shape: tuple[int, int]) -> Found:
    """The component found at work size, with its mask at the photo's (H, W)."""
    if found.mask.shape == shape:
        return found
    h, w = shape
    full = cv2.resize(found.mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    return replace(found, mask=full, area_fraction=float(full.mean()))


def largest_component(prob: np.ndarray, threshold: float = 0.5) -> Found | None:
    """Keep the biggest region above `threshold`, with its holes filled; None if nothing."""
    binary = (prob > threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = fill_holes(labels == biggest)
    return Found(
        mask=mask,
        area_fraction=float(mask.mean()),
        confidence=float(prob[mask].mean()),
        components=n - 1,
    )


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes (a glint the network missed is still conjunctiva)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)
