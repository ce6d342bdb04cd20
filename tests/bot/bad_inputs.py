"""The files people send that the bot must survive: broken, huge, odd modes and formats, not
eyelids at all, and screenable eyelids in unusual wrappings. Every builder is deterministic.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import cache

import cv2
import numpy as np
from PIL import Image

from bot.training.data.compose import compose, negative
from testbed.bot import SAMPLE

EXIF_ORIENTATION = 0x0112
ROTATE_90_CW_TO_VIEW = 6  # EXIF orientation: the viewer turns the stored picture 90° clockwise


def encode(img: Image.Image | np.ndarray, fmt: str, **kwargs: object) -> bytes:
    """The image in `fmt` (Pillow's name), as bytes."""
    pil = Image.fromarray(img) if isinstance(img, np.ndarray) else img
    buf = io.BytesIO()
    pil.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


RED = (200, 40, 50)


def solid(
    mode: str = "RGB", size: tuple[int, int] = (64, 48), colour: float | tuple[int, ...] = RED
) -> Image.Image:
    """A flat image of one colour (RED unless told), 64x48 unless told."""
    return Image.new(mode, size, colour)


def quadrants(width: int = 64, height: int = 48) -> np.ndarray:
    """(H, W, 3) uint8 with four flat colours, so lossy codecs keep each block's colour."""
    a = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    a[:h, :w], a[:h, w:] = (255, 0, 0), (0, 255, 0)
    a[h:, :w], a[h:, w:] = (0, 0, 255), (255, 255, 0)
    return a


# --- the eyelid the screenable cases are made of


@cache
def cutout_rgba() -> np.ndarray:
    """The shipped sample: a CP-AnemiC conjunctiva cut-out on a transparent background."""
    return np.asarray(Image.open(SAMPLE).convert("RGBA"))


@cache
def eyelid_photo() -> np.ndarray:
    """A 480x640 phone-like photo of a pulled-down lower lid with the sample as conjunctiva."""
    rgba = cutout_rgba()
    return compose(rgba[..., :3].copy(), rgba[..., 3] > 0, seed=3).image


# --- broken bytes


def truncated_jpeg() -> bytes:
    """The first 60% of a JPEG photo: the end of the scan and the EOI marker are missing."""
    data = encode(eyelid_photo(), "JPEG", quality=90)
    return data[: len(data) * 6 // 10]


def corrupt_png() -> bytes:
    """A PNG whose image data was overwritten (the chunk's CRC no longer matches)."""
    data = bytearray(encode(eyelid_photo(), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 50 : start + 2050] = bytes(range(256)) * 7 + bytes(208)
    return bytes(data)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A 10-gigapixel 1-bit PNG header with a few bytes of data: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(bytes(1 + (width + 7) // 8) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def bomb_jpeg(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 64x48 JPEG whose frame header claims `width` x `height` (400 MP unless told): past
    Pillow's own bomb limit, so no scale it could be read at makes it safe."""
    data = bytearray(encode(solid(), "JPEG", quality=90))
    sof = data.index(b"\xff\xc0")  # baseline frame: marker, length, precision, height, width
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@cache
def huge_jpeg(width: int = 8_660, height: int = 5_774) -> bytes:
    """A 50-megapixel JPEG of a smooth gradient (under 1 MB: far below Telegram's 20 MB cap), as
    a phone's 50 MP mode sends it as a file; made once per test session."""
    ramp = Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    img = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM), ramp))
    return encode(img, "JPEG", quality=80)


def heic_like() -> bytes:
    """The start of an HEIC file (ISO-BMFF `ftyp heic`) with no picture in it."""
    ftyp = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    return ftyp + b"\x00\x00\x01\x00meta" + bytes(252)


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect/></svg>'


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zip_file() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("eye.jpg", encode(eyelid_photo(), "JPEG"))
    return buf.getvalue()


# --- odd modes and formats of an eyelid


def sixteen_bit_grey_png() -> bytes:
    """The eyelid photo as a 16-bit greyscale PNG (colour is gone)."""
    grey = cv2.cvtColor(eyelid_photo(), cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
    return encode(Image.fromarray(grey), "PNG")


def sixteen_bit_cutout_png() -> bytes:
    """The cut-out as a 16-bit-per-channel RGBA PNG: the same colours at twice the depth."""
    rgba = cutout_rgba().astype(np.uint16) * 257
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    assert ok
    return data.tobytes()


def grey_jpeg() -> bytes:
    return encode(Image.fromarray(eyelid_photo()).convert("L"), "JPEG", quality=90)


def cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(eyelid_photo()).convert("CMYK"), "JPEG", quality=95)


def rgb_jpeg() -> bytes:
    return encode(eyelid_photo(), "JPEG", quality=95)


def exif_rotated_jpeg() -> bytes:
    """The photo stored on its side, with the EXIF orientation that turns it upright."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CW_TO_VIEW
    sideways = np.ascontiguousarray(np.rot90(eyelid_photo(), k=1))
    return encode(sideways, "JPEG", quality=95, exif=exif.tobytes())


def exif_rotated_twin_png() -> bytes:
    """The rotated JPEG's own pixels turned upright by hand, losslessly: what EXIF asks for."""
    stored = np.asarray(Image.open(io.BytesIO(exif_rotated_jpeg())).convert("RGB"))
    return encode(np.ascontiguousarray(np.rot90(stored, k=-1)), "PNG")


def cutout_png() -> bytes:
    return SAMPLE.read_bytes()


def cutout_webp() -> bytes:
    """The cut-out as lossless WebP with its transparency: the same pixels as the PNG."""
    return encode(Image.fromarray(cutout_rgba()), "WEBP", lossless=True)


def animated_gif() -> bytes:
    """Three frames of flat colours: not an eyelid whichever frame is read."""
    frames = [Image.new("RGB", (160, 120), c) for c in ((200, 90, 90), (90, 200, 90), (0, 0, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def tiny_png() -> bytes:
    return encode(np.full((10, 10, 3), (200, 80, 90), np.uint8), "PNG")


def strip_jpeg() -> bytes:
    """A 1:20 strip (48x960) cut across the eyelid photo, conjunctiva included."""
    wide = cv2.resize(eyelid_photo(), (960, 720), interpolation=cv2.INTER_AREA)
    return encode(np.ascontiguousarray(wide[336:384]), "JPEG", quality=90)


def not_eyelid(kind: str, seed: int = 1) -> bytes:
    """A photo of something else (bot.training.data.compose.negative): text page, solid
    colour, noise."""
    return encode(negative(kind, seed=seed), "JPEG", quality=90)
