"""From U-Net logits to one conjunctiva mask at the photo's own resolution.

The network runs at a small fixed size; its logits are resized to the photo shrunk to at most
WORK_SIDE, thresholded, and only the largest connected component is kept, since a photo shows
one lower eyelid; `find` scales that mask up to the photo, `find_small` leaves it at work size.
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

    mask: np.ndarray  # (H, W) bool: at the photo's resolution (`find`) or at work size
    area_fraction: float  # component pixels / photo pixels
    confidence: float  # mean probability inside the component
    components: int  # how many separate regions passed the threshold


class InputSize(Protocol):
    """A network's input size: `unet.Config` or an exported U-Net's `exported.Config`."""

    @property
    def height(self) -> int: ...

    @property
    def width(self) -> int: ...


def to_input(image: np.ndarray, config: InputSize, thumb: np.ndarray | None = None) -> np.ndarray:
    """(height, width, 3) float32 in [-1, 1] from an RGB uint8 photo of any size; `thumb`:
    its `thumbnail`, where the caller has it."""
    small = thumbnail(image, config) if thumb is None else thumb
    return small.astype(np.float32) / 127.5 - 1.0


def thumbnail(image: np.ndarray, config: InputSize) -> np.ndarray:
    """The RGB uint8 picture at the network's input size (area-averaged), which the photo gates
    read too: made once, it saves a resize of 1.6 ms (640x480 to 128x96, AMD EPYC)."""
    return cv2.resize(image, (config.width, config.height), interpolation=cv2.INTER_AREA)


def logits(model: unet.Model, x: jax.Array) -> jax.Array:
    """The network's logits (B, H, W): compiled by `jitcache.bound`, exported by `model.export`."""
    return model(x)[0]


def logits_at(model: Net, image: np.ndarray, thumb: np.ndarray | None = None) -> np.ndarray:
    """(H, W) float32 logits for an RGB uint8 photo, resized to its own size; `thumb`: its
    `thumbnail`, where the caller has it."""
    x = to_input(image, model.config, thumb)[None]
    out = np.asarray(jitcache.bound(logits, model)(x))[0]
    h, w = image.shape[:2]
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)  # resize logits, not 0/1


def probabilities(model: Net, image: np.ndarray) -> np.ndarray:
    """(H, W) float32 conjunctiva probability for an RGB uint8 photo, at its own size."""
    return sigmoid(logits_at(model, image))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """float32 logistic function, without overflow (in place on a float32 copy)."""
    out = np.multiply(x, 0.5, dtype=np.float32)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


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
    found = find_small(model, work_size(image) if small is None else small, threshold)
    return None if found is None else full_size(found, image.shape[:2])


def find_small(
    model: Net, small: np.ndarray, threshold: float = 0.5, thumb: np.ndarray | None = None
) -> Found | None:
    """`find` in the photo already shrunk by `work_size`, the mask at that size; `thumb`: its
    `thumbnail`, where the caller has it.

    Both looks stay logits, cut at the logit of `threshold`: the same pixels pass as when
    their probabilities are cut at `threshold` (but for logits within 1e-7 of the cut, where
    float32 rounds the probability onto it), and the probability is taken only where the
    confidence needs it, inside the kept component."""
    cut = float(np.log(threshold / (1.0 - threshold)))
    first = logits_at(model, small, thumb)
    logit = two_looks(model, small, cut, look=logits_at, first=first)
    if logit is None or (kept := largest(logit > cut)) is None:
        return None
    mask, components = kept
    confidence = float(sigmoid(logit[mask]).mean())
    return Found(mask, float(mask.mean()), confidence, components)


def work_size(image: np.ndarray) -> np.ndarray:
    """The photo shrunk so its longer side is at most WORK_SIDE."""
    h, w = image.shape[:2]
    f = min(1.0, WORK_SIDE / max(h, w))
    if f == 1.0:
        return image
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


Look = Callable[[Net, np.ndarray], np.ndarray]


def two_looks(
    model: Net,
    small: np.ndarray,
    threshold: float = 0.5,
    look: Look | None = None,
    first: np.ndarray | None = None,
) -> np.ndarray | None:
    """The whole look's map, with the closer look's inside the box around what the first
    found; None when the first finds nothing. `look` (default `probabilities`, looked up at
    call time) maps a model and a picture to a map: probabilities, or logits (`logits_at`),
    with `threshold` in the same units; `first`: the whole look's map, where the caller has
    made it."""
    look = look or probabilities
    prob = look(model, small) if first is None else first
    coarse = largest_box(prob, threshold)
    if coarse is None:
        return None
    t, b, left, r = padded(coarse, prob.shape)
    prob[t:b, left:r] = look(model, small[t:b, left:r])
    return prob


def largest_box(prob: np.ndarray, threshold: float = 0.5) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the biggest region above `threshold`, None if nothing:
    `largest_component`'s box (filling holes never moves it) without filling its holes."""
    biggest = _biggest(prob > threshold)
    if biggest is None:
        return None
    left, top, width, height = cv2.boundingRect(biggest[0].view(np.uint8))
    return top, top + height, left, left + width


def full_size(found: Found, shape: tuple[int, int]) -> Found:
    """The component found at work size, with its mask at the photo's (H, W)."""
    if found.mask.shape == shape:
        return found
    full = upscaled(found.mask, shape)
    return replace(found, mask=full, area_fraction=float(full.mean()))


def upscaled(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A mask found at work size, at the photo's (H, W): its edge interpolated, not blocky."""
    if mask.shape == shape:
        return mask
    h, w = shape
    return cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5


def largest_component(prob: np.ndarray, threshold: float = 0.5) -> Found | None:
    """Keep the biggest region above `threshold`, with its holes filled; None if nothing."""
    kept = largest(prob > threshold)
    if kept is None:
        return None
    mask, components = kept
    return Found(mask, float(mask.mean()), float(prob[mask].mean()), components)


def largest(binary: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The biggest 8-connected region of a boolean map, its holes filled, and how many regions
    there are; None if there is none."""
    biggest = _biggest(binary)
    return None if biggest is None else (fill_holes(biggest[0]), biggest[1])


def _biggest(binary: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The biggest 8-connected region of a boolean map (the first, on a tie) and how many
    regions there are; None if there is none. Labels, then their areas by counting: OpenCV's
    statistics of every region cost twice as much on a 640x480 map."""
    n, labels = cv2.connectedComponents(binary.view(np.uint8), connectivity=8)
    if n <= 1:
        return None
    areas = np.bincount(labels.ravel(), minlength=n)
    return labels == 1 + int(np.argmax(areas[1:])), n - 1


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes (a glint the network missed is still conjunctiva)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)
