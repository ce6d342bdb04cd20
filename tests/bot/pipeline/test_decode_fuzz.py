"""Any bytes at all: random and mutated images only ever raise ImageRejected, never crash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pipeline.decode import ImageRejected, decode
from tests.bot.bad_inputs import encode, quadrants


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


SEEDS = [encode(quadrants(), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "HEIF")]


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
