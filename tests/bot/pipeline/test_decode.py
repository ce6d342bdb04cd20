"""Untrusted image bytes: every way bytes can be bad, refused with the right code (formats and
modes we accept: test_decode_formats; any bytes at all: test_decode_fuzz)."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from bot.pipeline.decode import MAX_PIXELS, MIN_SIDE, ImageRejected, decode
from bot.texts.i18n import has
from tests.bot.bad_inputs import encode, png_chunk, quadrants, solid


def rejected(data: bytes, **kwargs) -> str:
    with pytest.raises(ImageRejected) as info:
        decode(data, **kwargs)
    assert has(f"reject.{info.value.code}")  # a message for people says it
    return info.value.code


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of zeros: width*height pixels in a few kB, built row by row
    so the test never holds the picture in memory."""
    z = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then packed bits
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + (png_chunk(b"IEND", b""))
    )


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if any pixel data is decoded."""

    def load(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


# ---- bad bytes


def test_empty():
    assert rejected(b"") == "empty"


def test_oversize_byte_string_is_rejected_by_length_alone():
    assert rejected(b"\0" * 2001, max_bytes=2000) == "too_large_file"
    good = encode(solid(), "PNG")
    assert rejected(good, max_bytes=len(good) - 1) == "too_large_file"
    assert decode(good, max_bytes=len(good)).rgb.shape == (48, 64, 3)


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        b"Hello, this is my eye photo, honestly.\n" * 10,
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 200,  # no picture
    ],
    ids=["random", "pdf", "text", "heic"],
)
def test_not_an_image(data):
    assert rejected(data) == "unsupported_format"


def test_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("eye.png", encode(solid(), "PNG"))
    assert rejected(buf.getvalue()) == "unsupported_format"


@pytest.mark.parametrize("fmt", ["ICO", "PPM", "TGA", "PCX"])
def test_formats_pillow_reads_but_we_do_not(fmt):
    assert rejected(encode(solid(), fmt)) == "unsupported_format"


def test_truncated_jpeg():
    rng = np.random.default_rng(1)
    data = encode(Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)), "JPEG")
    assert rejected(data[: len(data) // 2]) == "corrupt"


def test_corrupt_png_idat():
    rng = np.random.default_rng(2)
    data = bytearray(encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), np.uint8)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 60] = bytes(b ^ 0xFF for b in data[start + 10 : start + 60])
    assert rejected(bytes(data)) == "corrupt"


def test_decompression_bomb_is_rejected_before_decoding(no_pixel_decoding):
    data = bomb_png(20_000, 20_000)  # 400 MP in a few kB
    assert len(data) < 100_000
    assert rejected(data) == "too_many_pixels"


def test_our_pixel_limit_is_checked_before_decoding(no_pixel_decoding):
    # 7000x6000 = 42 MP: over our 20 MP and under Pillow's own bomb limit (about 89 MP)
    assert MAX_PIXELS < 7000 * 6000
    assert rejected(bomb_png(7000, 6000)) == "too_many_pixels"
    assert rejected(encode(solid(), "PNG"), max_pixels=64 * 48 - 1) == "too_many_pixels"


def test_bomb_warning_as_error_is_still_rejected(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # warns over 2000 px, errs over 4000
    data = encode(solid(), "PNG")  # 3072 px
    with pytest.warns(Image.DecompressionBombWarning):
        assert decode(data).rgb.shape == (48, 64, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert rejected(data) == "too_many_pixels"


@pytest.mark.parametrize("size", [(10, 10), (MIN_SIDE - 1, 500), (500, MIN_SIDE - 1)])
def test_too_small(size):
    assert rejected(encode(solid(size=size), "PNG")) == "too_small"


def test_narrow_strip_big_enough_is_accepted():
    out = decode(encode(solid(size=(MIN_SIDE, 20 * MIN_SIDE)), "PNG"))
    assert out.rgb.shape == (20 * MIN_SIDE, MIN_SIDE, 3)


def test_a_jpeg_over_the_pixel_limit_is_read_smaller_and_other_formats_are_refused():
    """A 50 MP phone photo sent as a file: libjpeg decodes it at the largest 1/2^k that fits."""
    a = quadrants(256, 192)
    out = decode(encode(Image.fromarray(a), "JPEG", quality=95), max_pixels=20_000)
    assert out.rgb.shape == (96, 128, 3) and out.format == "JPEG"  # half: 12,288 pixels
    small = cv2.resize(a, (128, 96), interpolation=cv2.INTER_AREA)
    assert np.abs(out.rgb[10:38, 10:54].astype(int) - small[10:38, 10:54]).max() <= 12
    assert decode(encode(Image.fromarray(a), "JPEG"), max_pixels=5_000).rgb.shape == (48, 64, 3)
    assert rejected(encode(Image.fromarray(a), "PNG"), max_pixels=20_000) == "too_many_pixels"
    assert rejected(encode(Image.fromarray(a), "JPEG"), max_pixels=700) == "too_many_pixels"


def test_a_jpeg_with_odd_sides_over_the_limit_is_read_smaller_too():
    """Odd sides round up under libjpeg's scaling (257 px at 1/2 is 129): still read smaller."""
    a = cv2.resize(quadrants(256, 192), (257, 193), interpolation=cv2.INTER_NEAREST)
    out = decode(encode(Image.fromarray(a), "JPEG", quality=95), max_pixels=20_000)
    assert out.rgb.shape == (97, 129, 3)
