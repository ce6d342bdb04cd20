"""Untrusted image bytes: every format and mode we accept, and every way bytes can be bad."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from bot.pipeline.decode import MAX_PIXELS, MIN_SIDE, Decoded, ImageRejected, decode

RED = (200, 40, 50)


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def solid(mode: str = "RGB", size: tuple[int, int] = (64, 48), colour=RED) -> Image.Image:
    return Image.new(mode, size, colour)


def quadrants(width: int = 64, height: int = 48) -> np.ndarray:
    """(H, W, 3) uint8 with four flat colours, so lossy codecs keep each block's colour."""
    a = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    a[:h, :w], a[:h, w:] = (255, 0, 0), (0, 255, 0)
    a[h:, :w], a[h:, w:] = (0, 0, 255), (255, 255, 0)
    return a


def rejected(data: bytes, **kwargs) -> str:
    with pytest.raises(ImageRejected) as info:
        decode(data, **kwargs)
    assert info.value.message.endswith(".") and info.value.message[0].isupper()
    return info.value.code


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


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
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 200,  # HEIC header
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
    # 7000x6000 = 42 MP: over our 40 MP but under Pillow's own bomb limit (about 89 MP)
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


# ---- formats and modes


def check(out: Decoded, shape: tuple[int, int], fmt: str) -> None:
    assert isinstance(out, Decoded)
    assert out.rgb.shape == (*shape, 3) and out.rgb.dtype == np.uint8
    assert out.rgb.flags.writeable and out.rgb.flags.c_contiguous
    assert out.format == fmt


@pytest.mark.parametrize(
    ("fmt", "kwargs", "tolerance"),
    [
        ("PNG", {}, 0),
        ("BMP", {}, 0),
        ("TIFF", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("WEBP", {"quality": 90}, 12),
        ("JPEG", {"quality": 95}, 12),
    ],
)
def test_rgb_formats(fmt, kwargs, tolerance):
    a = quadrants()
    out = decode(encode(Image.fromarray(a), fmt, **kwargs))
    check(out, (48, 64), fmt)
    assert out.alpha is None
    inner = (slice(4, 20), slice(4, 28))  # away from block edges, where lossy codecs blur
    diff = np.abs(out.rgb[inner].astype(int) - a[inner].astype(int))
    assert diff.max() <= tolerance


def test_mpo_reads_as_jpeg():
    data = encode(solid(), "MPO", save_all=True, append_images=[solid(colour=(0, 0, 255))])
    out = decode(data)
    check(out, (48, 64), "JPEG")
    assert np.abs(out.rgb[24, 32].astype(int) - RED).max() <= 6


def test_sixteen_bit_png_is_scaled_not_clipped():
    grey = np.linspace(0, 65535, 64 * 48).round().astype(np.uint16).reshape(48, 64)
    grey[0, :4] = (0, 1000, 32896, 65535)  # 32896 = 128 * 257
    img = Image.fromarray(grey)
    assert img.mode == "I;16"
    out = decode(encode(img, "PNG"))
    check(out, (48, 64), "PNG")
    assert out.rgb[0, :4, 0].tolist() == [0, 4, 128, 255]  # clipping would give 255 for 1000
    np.testing.assert_array_equal(out.rgb[..., 0], np.rint(grey / 257).astype(np.uint8))
    assert (out.rgb[..., 0] == out.rgb[..., 2]).all()


def test_32_bit_and_float_tiff():
    ints = np.full((40, 40), 32896, np.int32)
    floats = np.full((40, 40), 0.5, np.float32)
    for a in (ints, floats):
        out = decode(encode(Image.fromarray(a), "TIFF"))
        check(out, (40, 40), "TIFF")
        assert (out.rgb == 128).all()


def test_float_tiff_outside_unit_range_is_stretched():
    a = np.tile(np.linspace(-3.0, 5.0, 40, dtype=np.float32), (40, 1))
    out = decode(encode(Image.fromarray(a), "TIFF"))
    assert (out.rgb[0, 0, 0], out.rgb[0, -1, 0]) == (0, 255)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_greyscale(fmt):
    out = decode(encode(solid("L", colour=90), fmt))
    check(out, (48, 64), fmt)
    assert np.abs(out.rgb.astype(int) - 90).max() <= 1


def test_one_bit():
    img = solid("1", colour=0)
    img.paste(1, (0, 0, 32, 48))
    out = decode(encode(img, "PNG"))
    assert (out.rgb[:, :32] == 255).all() and (out.rgb[:, 32:] == 0).all()


def test_cmyk_jpeg():
    cmyk = solid().convert("CMYK")
    out = decode(encode(cmyk, "JPEG", quality=95))
    check(out, (48, 64), "JPEG")
    assert np.abs(out.rgb[24, 32].astype(int) - RED).max() <= 8


def transparent_centre(mode: str) -> tuple[Image.Image, np.ndarray]:
    """An image with a fully transparent left third and an opaque, half-transparent rest."""
    img = solid("RGBA").convert(mode)
    a = np.full((48, 64), 255, np.uint8)
    a[:, :20], a[:, 40:] = 0, 128
    img.putalpha(Image.fromarray(a))
    return img, a > 0


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_mask(mode):
    img, mask = transparent_centre(mode)
    out = decode(encode(img, "PNG"))
    check(out, (48, 64), "PNG")
    np.testing.assert_array_equal(out.alpha, mask)
    if mode == "RGBA":
        assert tuple(out.rgb[10, 30]) == RED


def test_webp_alpha():
    img, mask = transparent_centre("RGBA")
    out = decode(encode(img, "WEBP", lossless=True))
    np.testing.assert_array_equal(out.alpha, mask)


def test_opaque_alpha_channel_gives_no_mask():
    out = decode(encode(solid("RGBA", colour=(*RED, 255)), "PNG"))
    assert out.alpha is None and tuple(out.rgb[0, 0]) == RED


def test_palette_with_transparency():
    img = Image.new("P", (64, 48), 1)
    img.putpalette([0, 0, 0, *RED] + [0] * (256 - 2) * 3)
    img.paste(0, (0, 0, 16, 48))
    out = decode(encode(img, "PNG", transparency=0))
    mask = np.ones((48, 64), bool)
    mask[:, :16] = False
    np.testing.assert_array_equal(out.alpha, mask)
    assert tuple(out.rgb[0, 40]) == RED


def test_palette_without_transparency():
    img = solid().convert("P", palette=Image.Palette.ADAPTIVE)
    out = decode(encode(img, "PNG"))
    assert out.alpha is None and tuple(out.rgb[0, 0]) == RED


def test_exif_orientation_6_is_applied():
    a = quadrants(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    out = decode(encode(Image.fromarray(a), "JPEG", quality=95, exif=exif))
    check(out, (64, 48), "JPEG")  # width and height swapped
    want = np.rot90(a, k=-1)  # clockwise
    for y, x in [(12, 12), (12, 36), (52, 12), (52, 36)]:  # the four block centres
        assert np.abs(out.rgb[y, x].astype(int) - want[y, x]).max() <= 12


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_does_not_reject_the_picture(monkeypatch):
    data = encode(Image.fromarray(quadrants()), "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    check(decode(data), (48, 64), "JPEG")

    def broken(img):
        raise SyntaxError("bad EXIF")

    monkeypatch.setattr("bot.pipeline.decode.ImageOps.exif_transpose", broken)
    check(decode(data), (48, 64), "JPEG")


def test_animated_gif_gives_first_frame():
    colours = (RED, (0, 0, 255), (0, 255, 0))
    frames = [solid(colour=c).convert("P", palette=Image.Palette.ADAPTIVE) for c in colours]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3
    out = decode(data)
    check(out, (48, 64), "GIF")
    assert tuple(out.rgb[24, 32]) == RED


def test_multi_page_tiff_gives_first_page():
    pages = [solid(colour=c) for c in (RED, (0, 0, 255))]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert tuple(decode(data).rgb[0, 0]) == RED


# ---- anything at all


def mutated(base: bytes) -> st.SearchStrategy[bytes]:
    """`base` with a few bytes overwritten and possibly cut short."""
    edits = st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(0, 255)), max_size=8)
    cut = st.integers(1, len(base))

    def apply(args: tuple[list[tuple[int, int]], int]) -> bytes:
        out = bytearray(base)
        for i, b in args[0]:
            out[i] = b
        return bytes(out[: args[1]])

    return st.tuples(edits, cut).map(apply)


SEEDS = [
    encode(Image.fromarray(quadrants()), fmt)
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
]


def only_rejected(data: bytes) -> None:
    try:
        out = decode(data, max_pixels=1_000_000)  # keeps each example fast
    except ImageRejected as e:
        assert e.code in {
            "empty",
            "too_large_file",
            "too_many_pixels",
            "unsupported_format",
            "corrupt",
            "too_small",
        }
        return
    assert out.rgb.dtype == np.uint8 and out.rgb.ndim == 3 and out.rgb.shape[2] == 3


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # Pillow on bad data
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_only_raise_image_rejected(data):
    only_rejected(data)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # Pillow on bad data
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEEDS).flatmap(mutated))
def test_mutated_images_only_raise_image_rejected(data):
    only_rejected(data)
