"""Pictures in the colours the models learned from: sRGB.

Phones tag their photos with the colour space they were taken in (Display P3 on recent iPhones
and many Android phones), and a photo sent to the bot as a file keeps its tag. Every training
photo (CP-AnemiC, Eyes-defy-anemia) is untagged, which by convention means sRGB. Read as it is
stored, a P3 photo's numbers describe a more saturated red than the same numbers in sRGB, so
an eyelid would reach the models paler than it is: the colour is outside what they learned.
A tagged picture is therefore converted to sRGB by its own ICC profile (LittleCMS, which ships
inside Pillow), perceptual intent, before anything measures it. HEIF photos may instead carry
their colour space as ITU-T H.273 code points (an "nclx" box: primaries and transfer curve);
a profile is written for those (`bot.pipeline.icc`) and converts the same way, and an HDR
curve (PQ, HLG) is refused, since no tone mapping would give the colours the models learned
from.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageCms

from bot.pipeline import icc

SRGB = ImageCms.createProfile("sRGB")
_OUT_MODE = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB"}  # what we convert from
Transform = ImageCms.ImageCmsTransform


# A photo's profile is a few KB (Display P3: about 500 bytes; a camera's with tables, tens of
# KB); a larger tag is not a photo's, and the picture is used as stored, as with a broken tag
MAX_PROFILE_BYTES = 1024 * 1024
# What the cached transforms may hold. Each is charged its profile's size and LittleCMS's
# optimised pipeline (at most a 33-point 3-D table of three 16-bit samples, about 216 KB): a
# phone tags every photo with the same few profiles, and a sender's junk cannot fill memory.
CACHE_BYTES = 8 * 1024 * 1024
TRANSFORM_BYTES = 33**3 * 3 * 2


def _build(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """The transform from profile `icc` to sRGB for pictures in `mode`; None when the profile
    is sRGB already, cannot be read, or does not fit the mode (a grey profile on colour)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if ImageCms.getProfileDescription(profile).strip().lower().startswith("srgb"):
            return None
        # cached transforms are shared by the inference threads: no 1-pixel cache (per call
        # since LittleCMS 2.3 anyway; it costs nothing measurable on a whole photo)
        flags = ImageCms.Flags.NOCACHE
        return ImageCms.buildTransform(profile, SRGB, mode, _OUT_MODE[mode], flags=flags)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken tag: the picture is used as stored, like an untagged one


class TransformCache:
    """Transforms by (SHA-256 of the profile, mode), least recently used first out, within
    `max_bytes` as charged above; safe for the inference threads."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes, self.bytes = max_bytes, 0
        self.entries: OrderedDict[tuple[bytes, str], tuple[Transform | None, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, icc: bytes, mode: str) -> Transform | None:
        key = (hashlib.sha256(icc).digest(), mode)
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        transform = _build(icc, mode)  # outside the lock: another thread may build it too
        cost = len(icc) + TRANSFORM_BYTES
        with self.lock:
            if key not in self.entries:
                self.entries[key] = (transform, cost)
                self.bytes += cost
            while self.bytes > self.max_bytes and len(self.entries) > 1:
                self.bytes -= self.entries.popitem(last=False)[1][1]
        return transform


_transforms = TransformCache()


def to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """`img` converted from its embedded ICC profile `icc` to sRGB (alpha kept); as stored when
    there is no profile, it is sRGB, or it does not fit the picture."""
    transform = None
    if icc and len(icc) <= MAX_PROFILE_BYTES and img.mode in _OUT_MODE:
        transform = _transforms.get(icc, img.mode)
    if transform is None:
        return img
    try:
        return ImageCms.applyTransform(img, transform) or img
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img


def embedded_profile(data: bytes) -> bytes | None:
    """The ICC profile an image file carries (read from its header), or None."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            icc = img.info.get("icc_profile")
    except Exception:  # not for Pillow to read: the caller's own decoder has the last word
        return None
    return icc if isinstance(icc, bytes) and icc else None


def rgb_to_srgb(rgb: np.ndarray, icc: bytes | None) -> np.ndarray:
    """An (H, W, 3) uint8 picture decoded elsewhere (OpenCV), converted by `to_srgb`."""
    return rgb if not icc else np.array(to_srgb(Image.fromarray(rgb), icc))


class UnreadableColours(ValueError):
    """The picture's colour space cannot be brought to sRGB (an HDR transfer curve)."""


def _srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


# H.273 transfer characteristics for standard dynamic range, as ICC tone curves. BT.709's
# family (1, 6, 14, 15) and unspecified (2) are read with sRGB's curve, as decoders commonly
# show them and as an untagged picture is read.
_AS_SRGB = (1, 2, 6, 13, 14, 15)
_CURVES = {
    **dict.fromkeys(_AS_SRGB, icc.sampled_curve(_srgb_decode(np.linspace(0.0, 1.0, 1024)))),
    4: icc.gamma_curve(2.2),
    5: icc.gamma_curve(2.8),
    8: icc.gamma_curve(1.0),
}
_SRGB_XY = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)  # IEC 61966-2-1, D65
_XY = tuple(f"color_primary_{n}_{c}" for n in ("red", "green", "blue", "white") for c in "xy")


@functools.lru_cache(maxsize=16)
def _nclx_profile(transfer: int, xy: tuple[float, ...]) -> bytes:
    """A profile for these code points: their chromaticities and transfer curve."""
    return icc.display_profile(f"HEIF nclx {transfer}", icc.d50_colorants(xy), _CURVES[transfer])


def nclx_to_srgb(img: Image.Image, nclx: dict[str, float]) -> Image.Image:
    """`img` converted from the colour space its H.273 code points name to sRGB (alpha kept),
    by `to_srgb` with a profile written for them; as stored for sRGB's primaries (or none
    named) with an sRGB-like curve; UnreadableColours for an HDR curve."""
    transfer = int(nclx.get("transfer_characteristics", 2))
    if transfer not in _CURVES:
        raise UnreadableColours(f"transfer characteristics {transfer}")
    own = int(nclx.get("color_primaries", 2)) in (1, 2)  # BT.709's are sRGB's; unnamed: read so
    if own and transfer in _AS_SRGB:
        return img
    xy = _SRGB_XY if own else tuple(float(nclx[k]) for k in _XY)
    return to_srgb(img, _nclx_profile(transfer, xy))


def tagged_to_srgb(img: Image.Image, info: Mapping[str | tuple[int, int], object]) -> Image.Image:
    """`img` in sRGB by the tag its file carries in `info`: an ICC profile first, else HEIF's
    nclx code points; as stored when untagged."""
    icc_profile, nclx = info.get("icc_profile"), info.get("nclx_profile")
    if isinstance(icc_profile, bytes) and icc_profile:
        return to_srgb(img, icc_profile)
    return nclx_to_srgb(img, nclx) if isinstance(nclx, dict) else img
