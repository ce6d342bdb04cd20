"""bench.roundtrip: 12 MP copies of the photos, and the table of medians after the first pass."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from bench import roundtrip


def test_a_photo_is_enlarged_to_12_megapixels_the_way_it_is_turned() -> None:
    for w, h in ((640, 480), (480, 640)):
        rgb = np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8)
        ok, buf = cv2.imencode(".jpg", rgb)
        assert ok
        with Image.open(io.BytesIO(roundtrip.enlarged(buf.tobytes()))) as big:
            assert big.format == "JPEG"
            assert big.size == ((4032, 3024) if w > h else (3024, 4032))


def test_the_first_pass_is_left_out_of_the_medians() -> None:
    passes = [(500.0, 90.0, 1.0), (50.0, 1.0, 1.5), (60.0, 3.0, 1.5)]
    table = roundtrip.table({("as sent", True): passes, ("as sent", False): passes[:1]})
    assert "| as sent | yes | 55.0 | 2.00 | 1.50 |" in table
    assert "| as sent | no | 500.0 | 90.00 | 1.00 |" in table  # one pass: that one
