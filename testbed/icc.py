"""Colour-tagged pictures for the tests and benchmarks: a matrix/TRC v2 display profile from
colorants and a gamma; a JPEG, PNG or HEIC carrying it; and HEIC tagged by H.273 code points.

Pillow can build only sRGB, Lab and XYZ profiles, and no wide-gamut profile ships with any
package here, so one is written by the ICC.1:2001-04 layout: a 128-byte header, a tag table,
and desc, wtpt, rXYZ/gXYZ/bXYZ (colorants adapted to D50) and rTRC/gTRC/bTRC tags.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pillow_heif
from PIL import Image, ImageCms

pillow_heif.register_heif_opener()  # lets Pillow write HEIC

# Display P3's colorants adapted to the D50 profile connection space (Bradford), as Apple's
# "Display P3" profile holds them (columns: red, green, blue; rows: X, Y, Z)
P3_D50 = np.array(
    [[0.5151, 0.2920, 0.1571],
     [0.2412, 0.6922, 0.0666],
     [-0.0011, 0.0419, 0.7841]]
)  # fmt: skip
D50 = (0.9642, 1.0, 0.8249)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (8 + 3 + 67)


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def display_profile(
    name: str = "Test wide gamut", colorants: np.ndarray = P3_D50, gamma: float = 2.2
) -> bytes:
    """A display RGB profile with these D50 colorants and a pure power-law response."""
    tags = [(b"desc", _desc(name)), (b"wtpt", _xyz(*D50))]
    tags += [(s, _xyz(*colorants[:, i])) for i, s in enumerate((b"rXYZ", b"gXYZ", b"bXYZ"))]
    tags += [(s, _curve(gamma)) for s in (b"rTRC", b"gTRC", b"bTRC")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size) + b"\0" * 4 + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
        + b"\0" * 12 + b"acsp" + b"\0" * 24 + b"\0" * 4 + _s15(D50[0]) + _s15(D50[1])
        + _s15(D50[2]) + b"\0" * 48
    )  # fmt: skip
    assert len(header) == 128
    return header + table + data


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
P3_CODES = {"color_primaries": 12, "transfer_characteristics": 13, "matrix_coefficients": 6,
            "full_range_flag": 1}  # fmt: skip


def nclx_heic(rgb: np.ndarray, codes: dict[str, int] = P3_CODES, quality: int = 90) -> bytes:
    """The same pixels as HEIC tagged by H.273 code points (an nclx box, no ICC profile), as
    HEIF writers other than Apple's tag them; quality -1 is lossless up to YCbCr rounding."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "HEIF", quality=quality, save_nclx_profile=True,
                              nclx_profile=codes)  # fmt: skip
    return buf.getvalue()
