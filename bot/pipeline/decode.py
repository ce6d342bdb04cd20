"""Safe decoding of untrusted image bytes (what a person sent) into an RGB array.

The checks run cheapest first: byte count, then the header (format, pixel count, size) before
any pixel is decoded, so a small file that claims billions of pixels (a "decompression bomb")
costs nothing. Whatever the bytes, the only exception that leaves `decode` is `ImageRejected`,
with a code (and the values its message needs) that `bot.texts` says in the person's language.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pillow_heif
from PIL import Image, ImageMode, ImageOps

from bot.pipeline import colour

MAX_BYTES = 20 * 1024 * 1024  # Telegram bots may download files of up to 20 MB
# What one picture may hold in memory while it is decoded, from its header (`pixel_cost`): the
# picture as Pillow holds it, a turned or colour-converted copy of it, the RGB array made from
# it, and for HEIF the planes libheif decodes first. A JPEG over it is read at a scale that
# fits (libjpeg's DCT scaling), other pictures are refused. With MAX_PIXELS it keeps the
# costliest accepted picture's screening within 300 MB above an ordinary photo's (measured by
# `python -m bench.memory`, docs/BENCHMARKS.md): 17 MP turned or colour-tagged, 18 MP of 8-bit
# HEIC (13 MP tagged), 20 MP otherwise.
MAX_DECODE_BYTES = 180 * 1024 * 1024
# The pipeline's full-size arrays grow with the pixels whatever their depth: 20 MP is over any
# phone photo's default (a 200 MP sensor bins to 12.5 MP); a larger JPEG is read smaller
MAX_PIXELS = 20_000_000
MIN_SIDE = 32  # pixels; smaller cannot hold a usable eyelid

# Pillow's names for the formats we open. The JPEG opener also returns "MPO": the multi-picture
# JPEGs some phones write; we read their first picture and call them JPEG. "HEIF" is HEIC/HEIF,
# what iPhones and many Android phones save, opened by libheif through pillow-heif; it applies
# the file's own rotation and mirror and leaves the EXIF orientation at 1, so nothing turns twice.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "HEIF")
# only the primary picture: no thumbnails, depth maps or auxiliary pictures are decoded
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")

# refusals before any model runs; their texts are `reject.<code>` in the catalogues
CODES = ("empty", "too_large_file", "too_many_pixels", "unsupported_format", "corrupt", "too_small")
ORIENTATION = 0x0112  # the EXIF tag
_STRIP = 256  # rows converted at a time: bounds the float temporaries of a deep picture


class ImageRejected(Exception):
    """The bytes are not an image we can use: `code` says why (`reject.<code>` is its message)
    and `params` holds the values that message shows (e.g. `mb`, the size limit)."""

    def __init__(self, code: str, params: Mapping[str, int] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params = dict(params or {})

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, dict[str, int]]]:
        # it crosses from the inference process to the bot's: keep both fields
        return ImageRejected, (self.code, self.params)


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray  # (H, W, 3) uint8 sRGB, EXIF orientation applied
    alpha: np.ndarray | None  # (H, W) bool, alpha > 0; None when there was no transparency
    format: str  # Pillow's format name: "PNG", "JPEG", ...


def _reject(code: str, **params: int) -> ImageRejected:
    return ImageRejected(code, params)


def check_size(size: int, max_bytes: int) -> None:
    """Refuse an empty file or one over `max_bytes`, before anything reads it."""
    if size == 0:
        raise _reject("empty")
    if size > max_bytes:
        raise _reject("too_large_file", mb=max_bytes // (1024 * 1024))


def _held(mode: str) -> int:
    """Bytes a pixel of `mode` takes as Pillow holds it: one band at its sample size (L, P, 1,
    I;16, I, F), several bands in four bytes (RGB, RGBA, LA, CMYK, ...)."""
    spec = ImageMode.getmode(mode)
    return int(spec.typestr[-1]) if len(spec.bands) == 1 else 4


def pixel_cost(mode: str, *, copy: bool = False, heif_bits: int = 0) -> int:
    """Bytes a pixel costs while it is decoded: Pillow's picture (and its turned or converted
    `copy`, held beside it for a moment), our RGB array, libheif's planes of `heif_bits`."""
    planes = 0 if not heif_bits else 3 * (2 if heif_bits > 8 else 1)
    return _held(mode) * (2 if copy else 1) + 3 + planes


def _orientation(img: Image.Image, loaded: bool) -> int:
    """The EXIF orientation, 1 when there is none or it cannot be read. Before the pixels are
    `loaded` only the EXIF block the header gave is read: Pillow's getexif() would load a
    PNG's pixels to look for an eXIf chunk after them."""
    try:
        if loaded:  # everything the file holds is known
            return int(img.getexif().get(ORIENTATION, 1))
        raw = img.info.get("exif")
        if not isinstance(raw, bytes) or not raw:
            return 1
        exif = Image.Exif()
        exif.load(raw)
        return int(exif.get(ORIENTATION, 1))
    except Exception:  # a broken EXIF block: `_upright` keeps the picture as stored
        return 1


def _needs_copy(img: Image.Image, loaded: bool = False) -> bool:
    """Whether decoding makes a second picture: an EXIF turn or a colour tag to convert."""
    tagged = bool(img.info.get("icc_profile")) or isinstance(img.info.get("nclx_profile"), dict)
    return tagged or _orientation(img, loaded) != 1


def _cost(img: Image.Image, loaded: bool = False) -> int:
    """Bytes decoding `img` holds at once (see MAX_DECODE_BYTES): from its header, or once
    `loaded`, from all the file said."""
    width, height = img.size
    bits = int(img.info.get("bit_depth", 8)) if img.format == "HEIF" else 0
    return width * height * pixel_cost(img.mode, copy=_needs_copy(img, loaded), heif_bits=bits)


def _fit_jpeg(img: Image.Image, max_pixels: int, max_cost: int) -> None:
    """Have a JPEG over the limits decoded at 1/2, 1/4 or 1/8 scale where one fits: libjpeg
    scales in its DCT, so the full picture is never held (a 50 MP phone photo sent as a file)."""
    width, height = img.size
    per_pixel = pixel_cost(img.mode, copy=_needs_copy(img))
    fits = lambda w, h: w * h <= max_pixels and w * h * per_pixel <= max_cost  # noqa: E731
    if img.format not in ("JPEG", "MPO") or fits(width, height):
        return
    for scale in (2, 4, 8):
        if fits(-(-width // scale), -(-height // scale)):  # libjpeg rounds the size up
            # Pillow picks the largest scale with `width // scale >= asked`: asking for the
            # rounded-up size of an odd side would get scale 1
            img.draft(img.mode, (width // scale, height // scale))
            return


def _check_header(img: Image.Image, max_pixels: int, max_cost: int) -> str:
    """Reject on what the header claims, before any pixel is decoded; return the format."""
    fmt = "JPEG" if img.format == "MPO" else img.format
    if fmt not in FORMATS:
        raise _reject("unsupported_format")
    width, height = img.size
    if width * height > max_pixels or _cost(img) > max_cost:
        raise _reject("too_many_pixels")
    if min(width, height) < MIN_SIDE:
        raise _reject("too_small")
    return fmt


def decode_cost(data: bytes) -> int:
    """What decoding these bytes would hold (MAX_DECODE_BYTES), from the header; for tools."""
    with Image.open(io.BytesIO(data), formats=FORMATS) as img:
        _fit_jpeg(img, MAX_PIXELS, MAX_DECODE_BYTES)
        return _cost(img)


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (`img` itself when there is none: no copy of its pixels);
    a broken EXIF block leaves the picture as stored."""
    try:
        if img.getexif().get(ORIENTATION, 1) == 1:
            return img
        return ImageOps.exif_transpose(img)
    except Exception:  # EXIF parsing has many failure modes and orientation is optional
        return img


def _strips(img: Image.Image) -> list[Image.Image]:
    """`img` in bands of _STRIP rows, so that no conversion copies the whole picture at once."""
    width, height = img.size
    return [img.crop((0, y, width, min(y + _STRIP, height))) for y in range(0, height, _STRIP)]


def _grey_range(img: Image.Image) -> tuple[float, float]:
    """The range a deep grey picture (16-bit, 32-bit integer, float) is scaled from: 0-1 for
    float in it, 0-65535 for 16-bit containers (PNG, TIFF), else its own finite extremes."""
    lo, hi = np.inf, -np.inf
    for strip in _strips(img):
        a = np.asarray(strip)
        finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    if not np.isfinite(lo):
        return 0.0, 1.0  # nothing finite: all black
    if img.mode == "F" and lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if img.mode != "F" and lo >= 0 and hi <= 65535:
        return 0.0, 65535.0  # Pillow's containers for 16-bit PNG and TIFF
    return lo, hi


def _grey_to_u8(img: Image.Image, out: np.ndarray) -> None:
    """16-bit, 32-bit integer or float greys to 0-255 in `out` (H, W, 3), scaling (never
    clipping) the range; NaN and infinities read as the range's low end."""
    lo, hi = _grey_range(img)
    scale = 255.0 / max(hi - lo, 1e-12)
    for i, strip in enumerate(_strips(img)):
        a = np.asarray(strip, np.float64)
        a = np.where(np.isfinite(a), a, lo)
        grey = np.clip(np.rint((a - lo) * scale), 0, 255).astype(np.uint8)
        out[i * _STRIP : i * _STRIP + grey.shape[0]] = grey[..., None]


def _to_arrays(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode to (H, W, 3) uint8 RGB and an alpha mask when anything is transparent,
    a strip at a time (the whole picture is held once by Pillow and once here)."""
    width, height = img.size
    rgb = np.empty((height, width, 3), np.uint8)
    if img.mode in (*_SIXTEEN_BIT, "I", "F"):
        _grey_to_u8(img, rgb)
        return rgb, None
    has_alpha = "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info
    alpha = np.empty((height, width), bool) if has_alpha else None
    for i, strip in enumerate(_strips(img)):
        rows = slice(i * _STRIP, i * _STRIP + strip.height)
        if alpha is None:
            rgb[rows] = np.asarray(strip.convert("RGB"))
            continue
        rgba = np.asarray(strip.convert("RGBA"))
        rgb[rows], alpha[rows] = rgba[..., :3], rgba[..., 3] > 0
    return rgb, (None if alpha is None or alpha.all() else alpha)


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """`new`, releasing `old`'s pixels at once when it is another picture."""
    if new is not old:
        old.close()
    return new


def _plain_jpeg(img: Image.Image, data: bytes, stored: tuple[int, int]) -> np.ndarray | None:
    """The RGB pixels of an untagged, upright, whole-size colour JPEG that ends where a JPEG
    ends (the common phone photo), decoded by OpenCV; None for anything else.

    OpenCV and Pillow both decode with libjpeg-turbo's defaults, to the same pixels (all 66
    Eyes-defy photos); Pillow's copy of them into an array took twice its decoding, so a
    plain JPEG skips it. A file cut short is left to Pillow, which refuses it."""
    if img.format != "JPEG" or img.mode != "RGB" or not data.endswith(b"\xff\xd9"):
        return None
    if _needs_copy(img) or img.size != stored:  # tagged, turned, or read at a smaller scale
        return None
    import cv2  # here: the bot's own process reads only the header, the inference one pixels

    flags = cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    rgb = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    width, height = img.size
    return rgb if rgb is not None and rgb.shape == (height, width, 3) else None


def _open(data: bytes, max_pixels: int, max_cost: int) -> Decoded:
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.UnidentifiedImageError as e:
        raise _reject("unsupported_format") from e
    with img:
        stored = img.size
        _fit_jpeg(img, max_pixels, max_cost)
        fmt = _check_header(img, max_pixels, max_cost)
        if (plain := _plain_jpeg(img, data, stored)) is not None:
            return Decoded(rgb=plain, alpha=None, format=fmt)
        img.load()  # the first frame only, for GIF, WebP, MPO and multi-page TIFF
        # a turn or a tag can be learnt only now (a PNG's chunks after its pixels)
        if _cost(img, loaded=True) > max_cost:
            raise _reject("too_many_pixels")
        info = dict(img.info)
        picture = _replace(img, _upright(img))  # the stored picture goes once it is turned
        try:
            picture = _replace(picture, colour.tagged_to_srgb(picture, info))
        except colour.UnreadableColours as e:  # an HDR photo: no number would be honest
            raise _reject("unsupported_format") from e
        try:
            rgb, alpha = _to_arrays(picture)
        finally:
            picture.close()
    return Decoded(rgb=rgb, alpha=alpha, format=fmt)


def decode(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_cost: int = MAX_DECODE_BYTES,
) -> Decoded:
    """Decode untrusted bytes to RGB (+ alpha mask), or raise ImageRejected; nothing else."""
    check_size(len(data), max_bytes)
    try:
        return _open(data, max_pixels, max_cost)
    except ImageRejected:
        raise
    # Pillow raises the error above 2x Image.MAX_IMAGE_PIXELS on open; the warning is
    # raised only where a caller's warning filter turns it into an error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _reject("too_many_pixels") from e
    except Exception as e:  # truncated or corrupt data: OSError, SyntaxError, ValueError, ...
        raise _reject("corrupt") from e
