"""Colour-tagged pictures for the tests and benchmarks: a Display P3-like profile (P3
colorants, a 2.2 gamma; no wide-gamut profile ships with any package here, so it is written by
`bot.pipeline.icc`); a JPEG, PNG or HEIC carrying it; and HEIC tagged by H.273 code points.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pillow_heif
from PIL import Image, ImageCms

from bot.pipeline import icc as writer

pillow_heif.register_heif_opener()  # lets Pillow write HEIC

# Display P3's colorants adapted to the D50 profile connection space (Bradford), as Apple's
# "Display P3" profile holds them (columns: red, green, blue; rows: X, Y, Z)
P3_D50 = np.array(
    [[0.5151, 0.2920, 0.1571],
     [0.2412, 0.6922, 0.0666],
     [-0.0011, 0.0419, 0.7841]]
)  # fmt: skip


def display_profile(
    name: str = "Test wide gamut", colorants: np.ndarray = P3_D50, gamma: float = 2.2
) -> bytes:
    """A display RGB profile with these D50 colorants and a pure power-law response."""
    return writer.display_profile(name, colorants, writer.gamma_curve(gamma))


def tagged_jpeg(data: bytes, icc: bytes) -> bytes:
    """The same JPEG (the same compressed pixels) with `icc` embedded as an APP2 ICC_PROFILE
    segment right after the start-of-image marker, as phones write it (one chunk: < 64 kB)."""
    segment = b"ICC_PROFILE\0\x01\x01" + icc
    return data[:2] + b"\xff\xe2" + struct.pack(">H", len(segment) + 2) + segment + data[2:]


def tagged_png(data: bytes, icc: bytes) -> bytes:
    """The same picture as a PNG carrying `icc` (PNG is lossless: the same pixels and alpha)."""
    buf = io.BytesIO()
    with Image.open(io.BytesIO(data)) as img:
        img.save(buf, "PNG", icc_profile=icc)
    return buf.getvalue()


def p3_heic(rgb: np.ndarray, exif: bytes | None = None, quality: int = 90) -> bytes:
    """An sRGB picture as an iPhone saves it: converted into `display_profile()`'s P3 space
    (LittleCMS), HEIC, tagged with that profile. EXIF given as bytes is kept, and an EXIF turn
    is also written as the file's own rotation, as phones do."""
    icc = display_profile("Display P3 (test)")
    to_p3 = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(icc)), "RGB", "RGB"
    )
    p3 = ImageCms.applyTransform(Image.fromarray(rgb), to_p3)
    assert p3 is not None
    buf = io.BytesIO()
    p3.save(buf, "HEIF", quality=quality, icc_profile=icc, **({"exif": exif} if exif else {}))
    return buf.getvalue()


# H.273 code points of Display P3 as a HEIF nclx box holds them: P3 primaries with D65 white,
# sRGB's transfer curve, BT.601 YCbCr, full range
P3_CODES = {
    "color_primaries": 12,
    "transfer_characteristics": 13,
    "matrix_coefficients": 6,
    "full_range_flag": 1,
}


def nclx_heic(rgb: np.ndarray, codes: dict[str, int] = P3_CODES, quality: int = 90) -> bytes:
    """The same pixels as HEIC tagged by H.273 code points (an nclx box, no ICC profile), as
    HEIF writers other than Apple's tag them; quality -1 is lossless up to YCbCr rounding."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(
        buf, "HEIF", quality=quality, save_nclx_profile=True, nclx_profile=codes
    )
    return buf.getvalue()
