"""Pictures in the colours the models learned from: sRGB.

Phones tag their photos with the colour space they were taken in (Display P3 on recent iPhones
and many Android phones), and a photo sent to the bot as a file keeps its tag. Every training
photo (CP-AnemiC, Eyes-defy-anemia) is untagged, which by convention means sRGB. Read as it is
stored, a P3 photo's numbers describe a more saturated red than the same numbers in sRGB, so
an eyelid would reach the models paler than it is: the colour is outside what they learned.
A tagged picture is therefore converted to sRGB by its own ICC profile (LittleCMS, which ships
inside Pillow), perceptual intent, before anything measures it. HEIF photos may instead carry
their colour space as ITU-T H.273 code points (an "nclx" box: primaries and transfer curve);
those are converted by the same colour science in numpy, and an HDR curve (PQ, HLG) is refused,
since no tone mapping would give the colours the models learned from.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping

import cv2
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


class UnreadableColours(ValueError):
    """The picture's colour space cannot be brought to sRGB (an HDR transfer curve)."""


def _srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


# H.273 transfer characteristics for standard dynamic range, stored value -> linear light.
# BT.709's family (1, 6, 14, 15) and unspecified (2) are read with sRGB's curve, as decoders
# commonly show them and as an untagged picture is read.
_AS_SRGB = (1, 2, 6, 13, 14, 15)
_DECODERS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    **dict.fromkeys(_AS_SRGB, _srgb_decode),
    4: lambda v: v**2.2, 5: lambda v: v**2.8, 8: lambda v: v,
}  # fmt: skip
_SRGB_XY = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290))  # IEC 61966-2-1, D65
_BRADFORD = np.array(
    [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
)


def _xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _to_xyz(xy: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Linear RGB -> XYZ for these red, green, blue and white chromaticities (white Y = 1)."""
    primaries = np.stack([_xyz(*p) for p in xy[:3]], axis=1)
    return primaries * np.linalg.solve(primaries, _xyz(*xy[3]))


def _nclx_matrix(nclx: dict[str, float]) -> np.ndarray:
    """Linear RGB in the nclx primaries -> linear sRGB, the white adapted by Bradford."""
    names = ("red", "green", "blue", "white")
    xy = tuple((nclx[f"color_primary_{n}_x"], nclx[f"color_primary_{n}_y"]) for n in names)
    cone = _BRADFORD @ _xyz(*_SRGB_XY[3]) / (_BRADFORD @ _xyz(*xy[3]))
    adapt = np.linalg.solve(_BRADFORD, cone[:, None] * _BRADFORD)
    return np.linalg.solve(_to_xyz(_SRGB_XY), adapt @ _to_xyz(xy))


def _srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light to 8-bit sRGB (IEC 61966-2-1), out-of-gamut colours clipped."""
    v = np.clip(linear, 0.0, 1.0)
    encoded = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.rint(encoded * 255).astype(np.uint8)


# linear light in 65536 steps -> 8-bit sRGB: on a 12 MP photo the table takes 0.17 s where the
# curve itself takes 0.44 s; it differs by at most one level, on about 0.1% of the values
_ENCODE = _srgb_encode(np.linspace(0.0, 1.0, 65536))


def nclx_to_srgb(img: Image.Image, nclx: dict[str, float]) -> Image.Image:
    """`img` converted from the colour space its H.273 code points name to sRGB (alpha kept);
    as stored for sRGB's primaries (or none named) with an sRGB-like curve; UnreadableColours
    for an HDR curve."""
    transfer = int(nclx.get("transfer_characteristics", 2))
    primaries = int(nclx.get("color_primaries", 2))
    decoder = _DECODERS.get(transfer)
    if decoder is None:
        raise UnreadableColours(f"transfer characteristics {transfer}")
    own = primaries in (1, 2)  # BT.709's primaries are sRGB's; unspecified ones read as sRGB's
    if (own and transfer in _AS_SRGB) or img.mode not in ("RGB", "RGBA"):
        return img
    table = decoder(np.arange(256) / 255.0).astype(np.float32)
    rgba = np.asarray(img)
    matrix = (np.eye(3) if own else _nclx_matrix(nclx)).astype(np.float32)
    linear = np.asarray(cv2.transform(table[rgba[..., :3]], matrix), np.float32)
    np.clip(linear, 0.0, 1.0, out=linear)
    linear *= 65535
    linear += 0.5  # rounds on the cast below
    out = rgba.copy()
    out[..., :3] = _ENCODE[linear.astype(np.uint16)]
    return Image.fromarray(out)  # RGB or RGBA, by the last axis


def tagged_to_srgb(img: Image.Image, info: Mapping[str | tuple[int, int], object]) -> Image.Image:
    """`img` in sRGB by the tag its file carries in `info`: an ICC profile first, else HEIF's
    nclx code points; as stored when untagged."""
    icc, nclx = info.get("icc_profile"), info.get("nclx_profile")
    if isinstance(icc, bytes) and icc:
        return to_srgb(img, icc)
    return nclx_to_srgb(img, nclx) if isinstance(nclx, dict) else img
