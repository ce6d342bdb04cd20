"""Matrix/TRC display profiles, written from colorants and tone curves.

Pillow can build only sRGB, Lab and XYZ profiles, so a profile for another RGB space (what a
HEIF file's colour code points name) is written by the ICC.1:2001-04 layout, version 2: a
128-byte header, a tag table, and desc, wtpt, rXYZ/gXYZ/bXYZ (colorants adapted to D50) and
rTRC/gTRC/bTRC tags. LittleCMS then converts with it as with any embedded profile.
"""

from __future__ import annotations

import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)  # the profile connection space's white (ICC.1, 7.2.16)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (8 + 3 + 67)


def gamma_curve(gamma: float) -> bytes:
    """A pure power-law tone curve (gamma 1: linear)."""
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def sampled_curve(linear: np.ndarray) -> bytes:
    """A tone curve sampled at evenly spaced stored values in [0, 1]: the linear light of each."""
    table = np.rint(np.clip(linear, 0.0, 1.0) * 65535).astype(">u2").tobytes()
    return b"curv\0\0\0\0" + struct.pack(">I", len(linear)) + table


def display_profile(name: str, colorants: np.ndarray, curve: bytes) -> bytes:
    """A display RGB profile: D50 colorants (columns red, green, blue; rows X, Y, Z) and one
    tone curve for all three channels."""
    tags = [(b"desc", _desc(name)), (b"wtpt", _xyz(*D50))]
    tags += [(s, _xyz(*colorants[:, i])) for i, s in enumerate((b"rXYZ", b"gXYZ", b"bXYZ"))]
    tags += [(s, curve) for s in (b"rTRC", b"gTRC", b"bTRC")]
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
