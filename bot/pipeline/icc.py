"""Matrix/TRC display profiles, written from colorants (or chromaticities) and tone curves.

Pillow can build only sRGB, Lab and XYZ profiles, so a profile for another RGB space (what a
HEIF file's colour code points name) is written by the ICC.1:2001-04 layout, version 2: a
128-byte header, a tag table, and desc, wtpt, rXYZ/gXYZ/bXYZ (colorants adapted to D50) and
rTRC/gTRC/bTRC tags. LittleCMS then converts with it as with any embedded profile.
"""

from __future__ import annotations

import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)  # the profile connection space's white (ICC.1, 7.2.16)
# Bradford's cone response matrix (ICC.1 Annex E), for adapting a white point to D50
_BRADFORD = np.array(
    [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (8 + 3 + 67)


def _from_xy(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def d50_colorants(xy: tuple[float, ...]) -> np.ndarray:
    """`display_profile`'s colorants for red, green, blue and white chromaticities (x, y each,
    flat): the primaries' RGB -> XYZ with white at Y = 1, its white adapted to D50 by Bradford."""
    primaries = np.stack([_from_xy(*xy[i : i + 2]) for i in (0, 2, 4)], axis=1)
    white = _from_xy(*xy[6:8])
    to_xyz = primaries * np.linalg.solve(primaries, white)
    cone = _BRADFORD @ np.array(D50) / (_BRADFORD @ white)
    return np.linalg.solve(_BRADFORD, cone[:, None] * _BRADFORD) @ to_xyz


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
    tags = [(b"desc", _desc(name)), (b"wtpt", _xyz_tag(*D50))]
    tags += [(s, _xyz_tag(*colorants[:, i])) for i, s in enumerate((b"rXYZ", b"gXYZ", b"bXYZ"))]
    tags += [(s, curve) for s in (b"rTRC", b"gTRC", b"bTRC")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + b"\0" * 4
        + _s15(D50[0])
        + _s15(D50[1])
        + _s15(D50[2])
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + table + data
