"""The decoding budget: what a picture will hold in memory is judged from its header (bands x
bytes per sample, a turned or colour-converted copy, HEIF's planes) before any pixel is decoded;
a JPEG over it is read smaller, anything else is refused; deep pictures are converted a strip at
a time."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from bot.pipeline.decode import MAX_DECODE_BYTES, MAX_PIXELS, ORIENTATION, decode, pixel_cost
from testbed.icc import display_profile, tagged_jpeg
from tests.bot.bad_inputs import encode, quadrants
from tests.bot.pipeline.test_decode import no_pixel_decoding, rejected

__all__ = ["no_pixel_decoding"]  # fixture
PIXELS = 64 * 48


def test_the_cost_per_pixel_counts_bands_depth_copies_and_heif_planes():
    assert pixel_cost("L") == 1 + 3  # the picture, and the RGB array made from it
    assert pixel_cost("I;16") == 2 + 3
    assert pixel_cost("F") == pixel_cost("RGB") == pixel_cost("RGBA") == 4 + 3
    assert pixel_cost("RGB", copy=True) == 4 + 4 + 3
    assert pixel_cost("RGB", heif_bits=8) == 4 + 3 + 3
    assert pixel_cost("RGB", heif_bits=10) == 4 + 3 + 6


def test_the_budget_allows_a_phone_photo_and_bounds_the_pixels():
    """A 12 MP phone photo, colour-tagged and turned, fits; the budget and the pixel cap are
    what bench.memory measured (docs/BENCHMARKS.md)."""
    assert 12_000_000 * pixel_cost("RGB", copy=True, heif_bits=8) <= MAX_DECODE_BYTES
    assert MAX_PIXELS * pixel_cost("RGB") <= MAX_DECODE_BYTES


def test_a_deep_picture_over_the_budget_is_refused_before_decoding(no_pixel_decoding):
    """The same pixels: 8-bit grey fits the budget, float and 16-bit grey do not."""
    budget = PIXELS * pixel_cost("L")
    grey = np.full((48, 64), 0.5, np.float32)
    assert rejected(encode(Image.fromarray(grey), "TIFF"), max_cost=budget) == "too_many_pixels"
    sixteen = Image.fromarray(np.full((48, 64), 30000, np.uint16))
    assert rejected(encode(sixteen, "PNG"), max_cost=budget) == "too_many_pixels"
    assert rejected(encode(Image.fromarray(quadrants()), "PNG"), max_cost=budget) == (
        "too_many_pixels"
    )


def test_a_picture_within_the_budget_is_decoded():
    budget = PIXELS * pixel_cost("L")
    out = decode(encode(Image.fromarray(np.full((48, 64), 128, np.uint8)), "PNG"), max_cost=budget)
    assert out.rgb.shape == (48, 64, 3) and (out.rgb == 128).all()


def test_a_turned_tagged_jpeg_counts_its_copy_and_is_read_smaller():
    a = quadrants(256, 192)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    plain = encode(Image.fromarray(a), "JPEG", quality=95)
    turned = tagged_jpeg(
        encode(Image.fromarray(a), "JPEG", quality=95, exif=exif.tobytes()), display_profile()
    )
    budget = 256 * 192 * pixel_cost("RGB")  # the plain JPEG just fits, at full size
    assert decode(plain, max_cost=budget).rgb.shape == (192, 256, 3)
    assert decode(turned, max_cost=budget).rgb.shape == (128, 96, 3)  # half, then turned


def test_a_float_tiff_is_converted_in_strips():
    """Only the RGB array is made at full size: no float copy of the whole picture (the old
    conversion held about five, 990 MB for a small float TIFF of 40 MP)."""
    height, width = 1200, 1000
    grey = np.tile(np.linspace(0.0, 1.0, width, dtype=np.float32), (height, 1))
    data = encode(Image.fromarray(grey), "TIFF", compression="tiff_adobe_deflate")
    tracemalloc.start()
    try:
        out = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.rgb[0, 0, 0] == 0 and out.rgb[0, -1, 0] == 255
    assert peak < height * width * 3 + 8 * 2**20  # the RGB array and a strip's temporaries


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_floats_read_as_the_low_end(value):
    grey = np.tile(np.linspace(0.0, 4.0, 64, dtype=np.float32), (48, 1))
    grey[0, 0] = value
    out = decode(encode(Image.fromarray(grey), "TIFF"))
    assert out.rgb[0, 0, 0] == 0 and out.rgb[0, -1, 0] == 255 and out.rgb[1, 0, 0] == 0
