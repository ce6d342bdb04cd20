"""Grad-CAM must point at the region that carries the signal.

A tiny CNN is trained on synthetic inputs (all-ones mask) where Hb is set only by the a*
level of the BOTTOM band of rows, while the TOP band holds a* noise unrelated to Hb. The
bands span the full width, so the training flips (horizontal only) keep the signal where it
is. The heat must then sit on the bottom band, which is also the lower half of the mask, so
`lower_share` is exercised too. Colour statistics and age/sex are zeros: only the
convolutional path can learn, and only the conv map is explained.
"""

from __future__ import annotations

import cv2
import jax.numpy as jnp
import numpy as np
import pytest

from model import cnn, ensemble, gradcam, train
from model.features import lower_half
from tests.model.synthetic import FAST, TINY, arrays, side_inputs

H, W = TINY.height, TINY.width
SIGNAL = slice(10, 16)  # bottom band: Hb lives here
NOISE = slice(0, 6)  # top band: a* noise independent of Hb


def _images(rng: np.random.Generator, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(level)
    x = np.zeros((n, H, W, 4), np.float32)
    x[..., 3] = 1.0  # all-ones mask
    x[..., 0] = rng.normal(0.0, 0.1, (n, H, W))  # faint lightness texture everywhere
    x[:, SIGNAL, :, 1] = (0.3 + 0.7 * level)[:, None, None]
    x[:, NOISE, :, 1] = rng.uniform(0.0, 1.0, (n, NOISE.stop - NOISE.start, W))
    return x, (8.0 + 6.0 * level).astype(np.float32)


@pytest.fixture(scope="module")
def trained() -> cnn.Model:
    rng = np.random.default_rng(0)
    x, hb = _images(rng, rng.uniform(0.0, 1.0, 192))
    model = train.fit(TINY, FAST, arrays(x, hb), seed=0)
    # colour statistics are all zero: they stay zero after standardisation
    assert float(jnp.abs(model.colour_mean[...]).max()) == 0.0
    return model


def _explain_all(model, x: np.ndarray) -> list[gradcam.Explanation]:
    colour, meta = side_inputs(1)
    return [gradcam.explain(model, xi, colour[0], meta[0]) for xi in x]


def test_model_learned_the_signal(trained) -> None:
    rng = np.random.default_rng(1)
    x, hb = _images(rng, rng.uniform(0.0, 1.0, 64))
    pred = train.predict(trained, arrays(x, hb))
    assert np.abs(pred - hb).mean() < 0.4 * np.abs(hb - hb.mean()).mean()


def test_heat_sits_on_the_signal_band(trained) -> None:
    # Hb above the training mean: Grad-CAM shows the evidence that raises the estimate
    x, hb = _images(np.random.default_rng(2), np.linspace(0.55, 1.0, 10))
    exps = _explain_all(trained, x)
    heat = np.stack([e.heatmap for e in exps])
    assert heat.shape == (10, H, W)
    assert heat.dtype == np.float32
    assert heat.min() >= 0.0
    assert heat.max() <= 1.0 + 1e-6
    assert all(e.heatmap.max() == pytest.approx(1.0) for e in exps)  # normalised per image

    signal, noise = heat[:, SIGNAL].mean(), heat[:, NOISE].mean()
    assert signal > 2.0 * noise, (signal, noise)

    shares = np.array([e.lower_share for e in exps])
    assert ((shares >= 0.0) & (shares <= 1.0)).all()
    assert shares.mean() > 0.6, shares

    # the estimate reported is the model's own output
    pred = train.predict(trained, arrays(x, hb))
    np.testing.assert_allclose([e.estimate for e in exps], pred, rtol=1e-5, atol=1e-4)


def test_lower_share_matches_the_heat_on_the_lower_half(trained) -> None:
    x, _ = _images(np.random.default_rng(3), np.array([0.9]))
    e = _explain_all(trained, x)[0]
    lower = lower_half(x[0, ..., 3] > 0.5)
    assert e.lower_share == pytest.approx(e.heatmap[lower].sum() / e.heatmap.sum(), rel=1e-5)


def test_heat_is_on_the_signal_band_for_low_hb_too(trained) -> None:
    # Hb well below the training mean: the map shows the evidence pulling the estimate down
    x, _ = _images(np.random.default_rng(4), np.linspace(0.0, 0.15, 6))
    exps = _explain_all(trained, x)
    heat = np.stack([e.heatmap for e in exps])
    assert heat[:, SIGNAL].mean() > 2.0 * heat[:, NOISE].mean()
    shares = np.array([e.lower_share for e in exps])
    assert shares.mean() > 0.55, shares


def test_cam_on_an_ensemble_stacks_member_maps(trained) -> None:
    x, _ = _images(np.random.default_rng(5), np.linspace(0.2, 1.0, 4))
    colour, meta = side_inputs(4)
    batch = (jnp.asarray(x), jnp.asarray(colour), jnp.asarray(meta))
    est_one, maps_one = gradcam.cam(trained, *batch)
    assert maps_one.shape == (4, H // 2, W // 2)

    # an ensemble of two copies of the same member explains like the member (up to scale)
    twin = ensemble.assemble(ensemble.Config(cnn=TINY, members=2), [trained, trained])
    est_twin, maps_twin = gradcam.cam(twin, *batch)
    assert maps_twin.shape == (4, H // 2, W // 2)
    np.testing.assert_allclose(np.asarray(est_twin), np.asarray(est_one), rtol=1e-5)
    one, two = np.asarray(maps_one), np.asarray(maps_twin)
    assert (one.max(axis=(1, 2)) > 0).all()
    np.testing.assert_allclose(
        two / two.max(axis=(1, 2), keepdims=True),
        one / one.max(axis=(1, 2), keepdims=True),
        rtol=1e-4,
        atol=1e-5,
    )
    e_one = gradcam.explain(trained, x[3], colour[0], meta[0])
    e_twin = gradcam.explain(twin, x[3], colour[0], meta[0])
    np.testing.assert_allclose(e_twin.heatmap, e_one.heatmap, rtol=1e-4, atol=1e-5)
    assert e_twin.lower_share == pytest.approx(e_one.lower_share, rel=1e-4)

    # with a different second member the maps are still one (h, w) map per image
    other = cnn.build(TINY, seed=11)
    other.eval()
    pair = ensemble.assemble(ensemble.Config(cnn=TINY, members=2), [trained, other])
    est_pair, maps_pair = gradcam.cam(pair, *batch)
    assert maps_pair.shape == (4, H // 2, W // 2)
    assert (np.asarray(maps_pair) >= 0.0).all()
    est_other, _ = gradcam.cam(other, *batch)
    np.testing.assert_allclose(
        np.asarray(est_pair), (np.asarray(est_one) + np.asarray(est_other)) / 2, rtol=1e-5
    )


def test_raw_cam_of_an_ensemble_is_the_mean_of_member_maps(trained) -> None:
    x, _ = _images(np.random.default_rng(7), np.linspace(0.5, 1.0, 4))
    colour, meta = side_inputs(4)
    batch = (jnp.asarray(x), jnp.asarray(colour), jnp.asarray(meta))
    twin = ensemble.assemble(ensemble.Config(cnn=TINY, members=2), [trained, trained])
    _, maps_one = gradcam.cam(trained, *batch)
    _, maps_twin = gradcam.cam(twin, *batch)
    np.testing.assert_allclose(np.asarray(maps_twin), np.asarray(maps_one), rtol=1e-4, atol=1e-6)


def test_overlay_jpeg_is_a_jpeg_of_the_crop_size(trained) -> None:
    rng = np.random.default_rng(6)
    h, w = 37, 53
    yy, xx = np.mgrid[:h, :w]
    # a smooth picture: JPEG keeps it to a few levels, so its pixels can be compared
    image = np.stack([40 + 3 * xx, 200 - 2 * yy, 90 + yy + xx], axis=-1).astype(np.uint8)
    mask = ((yy - 18) / 14.0) ** 2 + ((xx - 26) / 22.0) ** 2 <= 1.0
    x, _ = _images(rng, np.array([0.9]))
    heat = _explain_all(trained, x)[0].heatmap

    jpeg = gradcam.overlay_jpeg(image, mask, heat)
    assert isinstance(jpeg, bytes)
    assert jpeg.startswith(b"\xff\xd8\xff")
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape == (h, w, 3)
    # outside the mask: the person's own pixels, dimmed (BGR order), no heat colours
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    for y, x_ in ((0, 0), (-1, -1)):
        dimmed = (bgr[y, x_] * 0.6).astype(int)
        assert np.abs(decoded[y, x_].astype(int) - dimmed).max() <= 6
    # an all-zero heat map (nothing explained) still renders
    blank = gradcam.overlay_jpeg(image, mask, np.zeros((H, W), np.float32))
    shown = cv2.imdecode(np.frombuffer(blank, np.uint8), cv2.IMREAD_COLOR)
    assert shown is not None and shown.shape == (h, w, 3)


def test_the_colour_table_is_opencvs_jet() -> None:
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = cv2.applyColorMap(grey, cv2.COLORMAP_JET)
    np.testing.assert_array_equal(gradcam.jet(grey), expected)


def test_a_large_crop_is_scaled_down_to_the_overlay_cap() -> None:
    h, w = 900, 1500
    image = np.full((h, w, 3), 120, np.uint8)
    mask = np.zeros((h, w), bool)
    mask[300:600, 400:1100] = True
    jpeg = gradcam.overlay_jpeg(image, mask, np.ones((H, W), np.float32), max_side=600)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (360, 600, 3)
    pixels = decoded.astype(int)
    assert np.abs(pixels[0, 0] - 72).max() <= 2  # outside the mask: dimmed, as at full size
    assert np.abs(pixels[180, 300] - 72).max() > 20  # inside: the heat colours
