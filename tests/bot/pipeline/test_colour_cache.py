"""The colour-profile cache: keyed by the profile's digest, bounded in bytes, and an oversized
tag not used at all (a sender's junk profiles cannot fill the inference process's memory)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bot.pipeline import colour
from testbed.icc import display_profile


def picture() -> Image.Image:
    return Image.fromarray(np.full((8, 8, 3), (200, 60, 60), np.uint8))


def padded(profile: bytes, size: int) -> bytes:
    """`profile` with junk after its end: still readable, `size` bytes, a distinct digest."""
    return profile + np.random.default_rng(size).bytes(size - len(profile))


def test_keys_are_digests_and_the_cache_stays_within_its_bytes():
    cache = colour.TransformCache(max_bytes=2 * 2**20)
    profile = display_profile()
    junk = [padded(profile, 400_000 + k) for k in range(16)]  # 6.4 MB of profiles in all
    for icc in junk:
        assert cache.get(icc, "RGB") is not None  # the P3 primaries are read; the tail ignored
    assert cache.bytes <= cache.max_bytes and len(cache.entries) < len(junk)
    assert all(len(digest) == 32 for digest, _ in cache.entries)  # no profile bytes are kept
    assert cache.bytes == sum(cost for _, cost in cache.entries.values())


def test_the_last_used_profile_stays_cached():
    cache = colour.TransformCache(max_bytes=3 * (colour.TRANSFORM_BYTES + 1100))
    first, *others = [padded(display_profile(), 1000 + k) for k in range(4)]
    kept = cache.get(first, "RGB")
    for icc in others:
        assert cache.get(first, "RGB") is kept  # used again: last to go
        cache.get(icc, "RGB")
    assert len(cache.entries) == 3 and cache.get(first, "RGB") is kept


def test_an_oversized_profile_is_not_used():
    big = padded(display_profile(), colour.MAX_PROFILE_BYTES + 1)
    img = picture()
    assert colour.to_srgb(img, big) is img  # as stored, like a broken tag
    fits = padded(display_profile(), colour.MAX_PROFILE_BYTES)
    assert np.asarray(colour.to_srgb(img, fits))[0, 0].tolist() != [200, 60, 60]
