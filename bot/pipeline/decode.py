"""Safe decoding of untrusted image bytes (what a person sent) into an RGB array.

The checks run cheapest first: byte count, then the header (format, pixel count, size) before
any pixel is decoded, so a small file that claims billions of pixels (a "decompression bomb")
costs nothing. Whatever the bytes, the only exception that leaves `decode` is `ImageRejected`,
whose `message` is one plain sentence that can be shown to the person as it is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from bot.pipeline import colour, i18n

MAX_BYTES = 20 * 1024 * 1024  # Telegram bots may download files of up to 20 MB
# above any phone photo's default (a 200 MP sensor bins to 12.5 MP); a JPEG over it is read at
# a scale that fits, other formats are refused
MAX_PIXELS = 40_000_000
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


class ImageRejected(Exception):
    """The bytes are not an image we can use; `code` is for programs, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, str]]:
        # it crosses from the inference process to the bot's: keep both fields
        return ImageRejected, (self.code, self.message)


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray  # (H, W, 3) uint8 sRGB, EXIF orientation applied
    alpha: np.ndarray | None  # (H, W) bool, alpha > 0; None when there was no transparency
    format: str  # Pillow's format name: "PNG", "JPEG", ...


def _reject(code: str, **fmt: object) -> ImageRejected:
    return ImageRejected(code, i18n.t("en", f"reject.{code}", **fmt))


def check_size(size: int, max_bytes: int) -> None:
    """Refuse an empty file or one over `max_bytes`, before anything reads it."""
    if size == 0:
        raise _reject("empty")
    if size > max_bytes:
        raise _reject("too_large_file", mb=max_bytes // (1024 * 1024))


def _fit_jpeg(img: Image.Image, max_pixels: int) -> None:
    """Have a JPEG over the pixel limit decoded at 1/2, 1/4 or 1/8 scale where one fits: libjpeg
    scales in its DCT, so the full picture is never held (a 50 MP phone photo sent as a file)."""
    width, height = img.size
    if img.format not in ("JPEG", "MPO") or width * height <= max_pixels:
        return
    for scale in (2, 4, 8):
        size = (-(-width // scale), -(-height // scale))  # libjpeg rounds up
        if size[0] * size[1] <= max_pixels:
            img.draft(img.mode, size)
            return


def _check_header(img: Image.Image, max_pixels: int) -> str:
    """Reject on what the header claims, before any pixel is decoded; return the format."""
    fmt = "JPEG" if img.format == "MPO" else img.format
    if fmt not in FORMATS:
        raise _reject("unsupported_format")
    width, height = img.size
    if width * height > max_pixels:
        raise _reject("too_many_pixels")
    if min(width, height) < MIN_SIDE:
        raise _reject("too_small")
    return fmt


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block leaves the picture as stored."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # EXIF parsing has many failure modes and orientation is optional
        return img


def _grey_to_u8(grey: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit integer or float greys to 0-255, scaling (never clipping) the range."""
    if grey.dtype.kind == "f":
        grey = np.nan_to_num(grey.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = (0.0, 1.0) if grey.min() >= 0 and grey.max() <= 1 else (grey.min(), grey.max())
    elif grey.min() >= 0 and grey.max() <= 65535:
        lo, hi = 0, 65535  # Pillow's containers for 16-bit PNG and TIFF
    else:
        lo, hi = grey.min(), grey.max()
    scaled = (grey.astype(np.float32) - lo) * (255.0 / max(float(hi - lo), 1e-12))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _to_arrays(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode to (H, W, 3) uint8 RGB and an alpha mask when anything is transparent."""
    if img.mode in (*_SIXTEEN_BIT, "I", "F"):
        grey = _grey_to_u8(np.asarray(img))
        return np.repeat(grey[..., None], 3, axis=2), None
    has_alpha = "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info
    if not has_alpha:
        return np.array(img.convert("RGB")), None  # a copy: asarray would be read-only
    rgba = np.asarray(img.convert("RGBA"))
    alpha = rgba[..., 3]
    return np.ascontiguousarray(rgba[..., :3]), (None if (alpha == 255).all() else alpha > 0)


def _open(data: bytes, max_pixels: int) -> Decoded:
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.UnidentifiedImageError as e:
        raise _reject("unsupported_format") from e
    with img:
        _fit_jpeg(img, max_pixels)
        fmt = _check_header(img, max_pixels)
        img.load()  # the first frame only, for GIF, WebP, MPO and multi-page TIFF
        try:
            rgb, alpha = _to_arrays(colour.tagged_to_srgb(_upright(img), img.info))
        except colour.UnreadableColours as e:  # an HDR photo: no number would be honest
            raise _reject("unsupported_format") from e
    return Decoded(rgb=rgb, alpha=alpha, format=fmt)


def decode(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Decoded:
    """Decode untrusted bytes to RGB (+ alpha mask), or raise ImageRejected; nothing else."""
    check_size(len(data), max_bytes)
    try:
        return _open(data, max_pixels)
    except ImageRejected:
        raise
    # Pillow raises the error above 2x Image.MAX_IMAGE_PIXELS on open; the warning is
    # raised only where a caller's warning filter turns it into an error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _reject("too_many_pixels") from e
    except Exception as e:  # truncated or corrupt data: OSError, SyntaxError, ValueError, ...
        raise _reject("corrupt") from e
