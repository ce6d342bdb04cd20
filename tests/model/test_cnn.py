"""The CNN regressor, its checkpoint round trip, one training step, a short fit, augmentation."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from model import cnn, train
from model.features import N_FEATURES
from model.preprocess import to_input
from tests.model.synthetic import FAST, TINY, arrays, forward, random_inputs


@pytest.mark.parametrize(
    ("config", "fmap_hw"),
    [
        (TINY, (8, 16)),  # one 2x2 pooling between the two conv stages
        # same layer shapes as TINY plus one stage, so initialisation compiles nothing new
        (dataclasses.replace(TINY, channels=(8, 8, 8)), (4, 8)),
    ],
    ids=["two-stages", "three-stages"],
)
def test_call_shapes(config: cnn.Config, fmap_hw: tuple[int, int]) -> None:
    model = cnn.build(config, seed=0)
    model.eval()
    x, colour, meta = random_inputs(np.random.default_rng(0), 4, config)
    est, feats = forward(model, jnp.asarray(x), jnp.asarray(colour), jnp.asarray(meta))
    assert est.shape == (4,)
    assert feats["last_conv"].shape == (4, *fmap_hw, config.channels[-1])
    assert np.isfinite(np.asarray(est)).all()
    assert (np.asarray(feats["last_conv"]) >= 0).all()  # after ReLU


@nnx.jit
def _features_then_head(model: cnn.Model, x, colour, meta):
    fmap = model.features(x)
    return fmap, model.head(fmap, x, colour, meta)


def test_head_of_features_equals_call_in_eval_mode() -> None:
    model = cnn.build(TINY, seed=1)
    model.eval()
    x, colour, meta = (jnp.asarray(a) for a in random_inputs(np.random.default_rng(1), 4))
    est, feats = forward(model, x, colour, meta)
    fmap, two_step = _features_then_head(model, x, colour, meta)
    np.testing.assert_allclose(np.asarray(fmap), np.asarray(feats["last_conv"]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(two_step), np.asarray(est), rtol=1e-6)
    # eval mode is deterministic (dropout off)
    np.testing.assert_array_equal(np.asarray(forward(model, x, colour, meta)[0]), np.asarray(est))


def test_save_load_round_trip(tmp_path) -> None:
    model = cnn.build(TINY, seed=3)
    model.eval()
    # non-default normalisation constants must survive the round trip too
    model.colour_mean[...] = jnp.linspace(-1.0, 1.0, N_FEATURES)
    model.colour_std[...] = jnp.linspace(0.5, 2.0, N_FEATURES)
    model.hb_mean[...] = jnp.asarray(12.3)
    model.hb_std[...] = jnp.asarray(1.7)
    cnn.save(model, tmp_path, name="member")
    assert (tmp_path / "member.json").exists()
    assert (tmp_path / "member.msgpack").exists()

    loaded = cnn.load(tmp_path, name="member")
    assert loaded.config == TINY
    assert isinstance(loaded.config.channels, tuple)
    x, colour, meta = (jnp.asarray(a) for a in random_inputs(np.random.default_rng(3), 4))
    a, fa = forward(model, x, colour, meta)
    b, fb = forward(loaded, x, colour, meta)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(fa["last_conv"]), np.asarray(fb["last_conv"]))
    assert float(loaded.hb_mean[...]) == pytest.approx(12.3)
    # loaded for inference: dropout is off, so repeated calls agree
    np.testing.assert_array_equal(np.asarray(forward(loaded, x, colour, meta)[0]), np.asarray(b))


def test_one_train_step_updates_params_and_returns_finite_loss() -> None:
    rng = np.random.default_rng(4)
    x, colour, meta = random_inputs(rng, 32)
    hb = rng.normal(11.0, 1.5, 32).astype(np.float32)
    model = cnn.build(TINY, seed=4)
    train.set_statistics(model, train.Arrays(x, colour, meta, hb))
    params_before = jax.tree.map(np.array, nnx.state(model, nnx.Param))
    stats_before = jax.tree.map(np.array, nnx.state(model, cnn.Stat))
    opt = nnx.Optimizer(model, optax.adamw(1e-2), wrt=nnx.Param)
    model.train()
    batch = tuple(jnp.asarray(a) for a in (x, colour, meta, hb))
    loss = train.train_step(model, opt, jax.random.key(0), batch, FAST)
    assert loss.shape == ()
    assert np.isfinite(float(loss))
    assert float(loss) > 0.0

    params_after = jax.tree.map(np.array, nnx.state(model, nnx.Param))
    changed = jax.tree.leaves(
        jax.tree.map(lambda a, b: not np.array_equal(a, b), params_before, params_after)
    )
    assert all(changed), "every parameter array should move after one AdamW step"
    # the normalisation constants are not trained
    stats_after = jax.tree.map(np.array, nnx.state(model, cnn.Stat))
    for a, b in zip(jax.tree.leaves(stats_before), jax.tree.leaves(stats_after), strict=True):
        np.testing.assert_array_equal(a, b)


def _redness_images(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs from RGB crops whose redness (hence mean a*) sets Hb linearly."""
    level = rng.uniform(0.0, 1.0, n)
    h, w = 24, 48
    yy, xx = np.mgrid[:h, :w]
    mask = ((yy - 11.5) / 10.0) ** 2 + ((xx - 23.5) / 21.0) ** 2 <= 1.0
    xs, a_mean = [], []
    for lv in level:
        rgb = np.array([205.0, 160.0 - 110.0 * lv, 155.0 - 90.0 * lv])
        img = np.clip(rgb + rng.normal(0.0, 6.0, (h, w, 3)), 0, 255).astype(np.uint8)
        x = to_input(img, mask, TINY.height, TINY.width)
        xs.append(x)
        m = x[..., 3] > 0
        a_mean.append(x[..., 1][m].mean())
    a = np.asarray(a_mean)
    hb = 7.0 + 9.0 * (a - 0.25) / 0.7  # linear in the mean a* of the input: about 7..16 g/dL
    return np.stack(xs), hb.astype(np.float32)


def test_fit_learns_hb_from_mean_a_star() -> None:
    rng = np.random.default_rng(5)
    x_train, hb_train = _redness_images(rng, 128)
    x_test, hb_test = _redness_images(rng, 64)
    assert hb_train.std() > 1.5  # a strong signal to find

    losses: list[float] = []
    model = train.fit(
        TINY, FAST, arrays(x_train, hb_train), seed=0, on_epoch=lambda _, loss: losses.append(loss)
    )
    assert len(losses) == FAST.epochs
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])

    pred = train.predict(model, arrays(x_test, hb_test), batch_size=40)  # uneven last batch
    assert pred.shape == (64,)
    mae = np.abs(pred - hb_test).mean()
    baseline = np.abs(hb_train.mean() - hb_test).mean()
    assert mae < 0.5 * baseline, (mae, baseline)


# --- augmentation -------------------------------------------------------------------------

# compiled once: op-by-op dispatch of `augment` is slow on a busy CPU
_augment = jax.jit(train.augment, static_argnames=("tc",))


def _asymmetric_batch(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    h, w = TINY.height, TINY.width
    mask = np.zeros((h, w), np.float32)
    mask[3:12, 2:20] = 1.0  # off-centre both ways: any flip moves it
    mask[5:7, 20:25] = 1.0
    lum = rng.uniform(20.0, 90.0, (n, h, w))  # L* in (0, 100]
    x = np.zeros((n, h, w, 4), np.float32)
    x[..., 0] = (lum / 50.0 - 1.0) * mask
    x[..., 1] = rng.normal(0.3, 0.2, (n, h, w)) * mask
    x[..., 2] = rng.normal(0.1, 0.2, (n, h, w)) * mask
    x[..., 3] = mask
    meta = np.tile(np.array([[2.5, 1.0, 0.0, 1.0]], np.float32), (n, 1))
    return x, meta


def test_augment_flips_horizontally_keeps_mask_zeros_and_scales_lightness() -> None:
    n = 64
    x, meta = _asymmetric_batch(n)
    tc = dataclasses.replace(FAST, brightness=0.1, meta_drop=0.0)
    xa, ma = (
        np.asarray(a) for a in _augment(jax.random.key(1), jnp.asarray(x), jnp.asarray(meta), tc)
    )
    assert xa.shape == x.shape
    np.testing.assert_array_equal(ma, meta)  # meta_drop = 0: nothing hidden

    flipped = 0
    for i in range(n):
        same = np.array_equal(xa[i, ..., 1:], x[i, ..., 1:])
        hflip = np.array_equal(xa[i, ..., 1:], x[i, :, ::-1, 1:])
        assert same != hflip, f"row {i}: neither identity nor a horizontal flip"
        assert not np.array_equal(xa[i, ..., 3], x[i, ::-1, :, 3]), "vertical flip"
        ref = x[i, :, ::-1] if hflip else x[i]
        flipped += hflip
        m = ref[..., 3] > 0
        # colour stays zero outside the (moved) mask
        assert np.all(xa[i][~m][:, :3] == 0.0)
        # channel 0 is (L/50 - 1) * mask; the scale acts on L, uniformly over the image
        scale = (xa[i, ..., 0][m] + 1.0) / (ref[..., 0][m] + 1.0)
        np.testing.assert_allclose(scale, scale.mean(), rtol=1e-4)
        assert 0.9 - 1e-5 <= scale.mean() <= 1.1 + 1e-5
    assert 0 < flipped < n  # both outcomes happen


def test_augment_without_brightness_only_flips() -> None:
    x, meta = _asymmetric_batch(16)
    xa, _ = _augment(jax.random.key(2), jnp.asarray(x), jnp.asarray(meta), FAST)
    xa = np.asarray(xa)
    for i in range(16):
        ref = x[i, :, ::-1] if xa[i, 4, 2, 3] == 0.0 else x[i]  # mask moved: it was flipped
        np.testing.assert_allclose(xa[i], ref, atol=1e-6)


def test_augment_hides_age_and_sex_only_by_zeroing() -> None:
    n = 256
    x, meta = _asymmetric_batch(n)
    tc = dataclasses.replace(FAST, meta_drop=0.5)
    _, ma = _augment(jax.random.key(3), jnp.asarray(x), jnp.asarray(meta), tc)
    ma = np.asarray(ma)
    age_hidden = np.all(ma[:, :2] == 0.0, axis=1)
    sex_hidden = np.all(ma[:, 2:] == 0.0, axis=1)
    # each group is either untouched or all zeros (age and its known-flag go together)
    np.testing.assert_array_equal(ma[~age_hidden, :2], meta[~age_hidden, :2])
    np.testing.assert_array_equal(ma[~sex_hidden, 2:], meta[~sex_hidden, 2:])
    # both groups are hidden sometimes, independently
    assert 0.3 < age_hidden.mean() < 0.7
    assert 0.3 < sex_hidden.mean() < 0.7
    assert (age_hidden & ~sex_hidden).any()
    assert (sex_hidden & ~age_hidden).any()
