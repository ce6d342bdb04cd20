"""Pictures in the colours the models learned from: sRGB.

Phones tag their photos with the colour space they were taken in (Display P3 on recent iPhones
and many Android phones), and a photo sent to the bot as a file keeps its tag. Every training
photo (CP-AnemiC, Eyes-defy-anemia) is untagged, which by convention means sRGB. Read as it is
stored, a P3 photo's numbers describe a more saturated red than the same numbers in sRGB, so
an eyelid would reach the models paler than it is: the colour is outside what they learned.
A tagged picture is therefore converted to sRGB by its own ICC profile (LittleCMS, which ships
inside Pillow), perceptual intent, before anything measures it.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageCms

SRGB = ImageCms.createProfile("sRGB")
_OUT_MODE = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB"}  # what we convert from


@functools.lru_cache(maxsize=16)  # a phone tags every photo with the same few profiles
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
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


def to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """`img` converted from its embedded ICC profile `icc` to sRGB (alpha kept); as stored when
    there is no profile, it is sRGB, or it does not fit the picture."""
    transform = _transform(icc, img.mode) if icc and img.mode in _OUT_MODE else None
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
