"""From probabilities to one conjunctiva mask: largest component, filled holes, photo size."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from model import segment
from tests.model.seg_synthetic import untrained_unet

H, W = 60, 80


def blobs() -> tuple[np.ndarray, np.ndarray]:
    """A 20x30 blob at 0.9 and a 4x4 one at 0.8 on a 0.1 background; the big blob's mask."""
    prob = np.full((H, W), 0.1, np.float32)
    big = np.zeros((H, W), bool)
    big[10:30, 20:50] = True
    prob[big] = 0.9
    prob[45:49, 5:9] = 0.8
    return prob, big


def test_keeps_the_largest_blob_and_drops_small_ones():
    prob, big = blobs()
    found = segment.largest_component(prob)
    assert found is not None
    assert found.mask.shape == (H, W) and found.mask.dtype == bool
    np.testing.assert_array_equal(found.mask, big)
    assert found.components == 2
    assert found.area_fraction == pytest.approx(big.sum() / big.size)
    assert found.confidence == pytest.approx(0.9)


def test_fills_holes_and_counts_them_in_confidence():
    prob, big = blobs()
    hole = np.zeros_like(big)
    hole[15:20, 30:35] = True  # a glint the network missed, inside the big blob
    prob[hole] = 0.2
    found = segment.largest_component(prob)
    assert found is not None
    np.testing.assert_array_equal(found.mask, big)  # the hole is back in the mask
    n, k = big.sum(), hole.sum()
    assert found.confidence == pytest.approx((0.9 * (n - k) + 0.2 * k) / n, rel=1e-5)
    assert found.components == 2  # the hole is not a region; the small blob still is


def test_diagonal_neighbours_are_one_component():
    prob = np.zeros((10, 10), np.float32)
    prob[2, 2] = prob[3, 3] = prob[4, 4] = 0.9
    found = segment.largest_component(prob)
    assert found is not None and found.components == 1 and found.mask.sum() == 3


@pytest.mark.parametrize("level", [0.0, 0.3, 0.5])  # 0.5 is not above the threshold
def test_none_when_nothing_is_above_threshold(level):
    assert segment.largest_component(np.full((H, W), level, np.float32)) is None


def test_threshold_is_respected():
    prob, _ = blobs()
    found = segment.largest_component(prob, threshold=0.85)  # only the 0.9 blob passes
    assert found is not None and found.components == 1
    assert segment.largest_component(prob, threshold=0.95) is None


def test_fill_holes_on_a_ring():
    ring = np.zeros((100, 100), np.uint8)
    cv2.circle(ring, (50, 50), 30, 1, thickness=6)
    disk = np.zeros_like(ring)
    cv2.circle(disk, (50, 50), 30, 1, thickness=-1)
    cv2.circle(disk, (50, 50), 30, 1, thickness=6)  # the ring's outer half-width, too
    filled = segment.fill_holes(ring.astype(bool))
    assert filled.dtype == bool
    np.testing.assert_array_equal(filled, disk.astype(bool))
    solid = np.zeros((20, 20), bool)
    solid[5:15, 5:15] = True
    np.testing.assert_array_equal(segment.fill_holes(solid), solid)  # nothing to fill


@pytest.mark.parametrize("shape", [(300, 170, 3), (120, 400, 3)])
def test_probabilities_at_the_photos_own_size(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    prob = segment.probabilities(untrained_unet(), image)
    assert prob.shape == shape[:2] and prob.dtype == np.float32
    assert np.isfinite(prob).all() and prob.min() >= 0.0 and prob.max() <= 1.0


def test_refine_box_pads_by_the_longer_side_and_clips():
    mask = np.zeros((100, 200), bool)
    mask[40:50, 20:120] = True  # 10 x 100: the margin is 15% of 100 on every side
    assert segment.refine_box(mask, pad=0.15) == (25, 65, 5, 135)
    mask[:] = False
    mask[0:10, 150:200] = True  # at the corner: clipped to the image
    t, b, left, r = segment.refine_box(mask, pad=0.5)
    assert (t, r) == (0, 200) and b == 35 and left == 125


def test_refine_box_of_empty_mask_raises():
    with pytest.raises(ValueError):
        segment.refine_box(np.zeros((5, 5), bool))


def test_find_looks_again_inside_the_box(monkeypatch: pytest.MonkeyPatch):
    """The second look's logits replace the first's inside the box, not outside."""
    image = np.zeros((H, W, 3), np.uint8)
    calls: list[tuple[int, ...]] = []

    def fake(model: object, img: np.ndarray, thumb: object = None) -> np.ndarray:
        calls.append(img.shape)
        logit = np.full(img.shape[:2], -5.0, np.float32)
        if len(calls) == 1:
            logit[20:30, 20:60] = 2.0  # the whole photo: a coarse strip
        else:
            logit[:, :] = np.log(4.0)  # the close look: all of the box, at probability 0.8
        return logit

    monkeypatch.setattr(segment, "logits_at", fake)
    found = segment.find(untrained_unet(), image)
    assert found is not None and len(calls) == 2
    t, b, left, r = segment.refine_box(np.pad(np.ones((10, 40), bool), ((20, 30), (20, 20))))
    assert calls[1] == (b - t, r - left, 3)
    assert found.mask[t:b, left:r].all() and found.mask.sum() == (b - t) * (r - left)
    assert found.confidence == pytest.approx(0.8)


def test_find_returns_none_when_nothing_is_seen(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(
        segment, "logits_at", lambda m, img, thumb=None: np.full(img.shape[:2], -5.0, np.float32)
    )
    assert segment.find(untrained_unet(), np.zeros((H, W, 3), np.uint8)) is None


def test_sigmoid_is_the_logistic_function_in_float32():
    x = np.array([-1e4, -20.0, -1.0, 0.0, 1e-3, 1.0, 20.0, 1e4], np.float32)
    out = segment.sigmoid(x)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    exact = 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -700, 700)))
    np.testing.assert_allclose(out, exact, atol=1e-7)
    assert x[3] == 0.0  # the input is left as it was
