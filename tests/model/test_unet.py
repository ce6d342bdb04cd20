"""The conjunctiva U-Net: shapes, input scaling, save/load, one step, a tiny fit, the losses."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from model import seg_train, unet
from tests.model.seg_synthetic import TINY_UNET, forward, rectangles, untrained_unet


def test_default_config_shapes_without_computing():
    """The shipped size, checked abstractly: building it for real costs seconds of compiling."""
    config = unet.Config()
    graph, state = nnx.split(nnx.eval_shape(lambda: unet.build(config)))
    x = jax.ShapeDtypeStruct((2, config.height, config.width, 3), jnp.float32)
    logits, feats = jax.eval_shape(lambda s, x: nnx.merge(graph, s)(x), state, x)
    assert logits.shape == (2, config.height, config.width)
    assert feats["decoder"].shape == (2, config.height, config.width, config.channels[0])


def test_tiny_config_shapes_and_finite_outputs():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 32, 48, 3)).astype(np.float32)
    logits, feats = forward(untrained_unet(), jnp.asarray(x))
    assert logits.shape == (3, 32, 48)
    assert feats["decoder"].shape == (3, 32, 48, TINY_UNET.channels[0])
    assert np.isfinite(np.asarray(logits)).all()


@pytest.mark.parametrize("shape", [(480, 640, 3), (300, 170, 3), (32, 48, 3)])
def test_to_input_range_and_shape(shape):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    x = unet.to_input(image, TINY_UNET)
    assert x.shape == (TINY_UNET.height, TINY_UNET.width, 3) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    black, white = np.zeros(shape, np.uint8), np.full(shape, 255, np.uint8)
    assert np.all(unet.to_input(black, TINY_UNET) == -1.0)
    assert np.all(unet.to_input(white, TINY_UNET) == 1.0)


def test_save_load_round_trip(tmp_path: Path):
    model = untrained_unet()
    unet.save(model, tmp_path)
    assert (tmp_path / "unet.json").is_file() and (tmp_path / "unet.msgpack").is_file()
    loaded = unet.load(tmp_path)
    assert loaded.config == TINY_UNET
    x = jnp.asarray(np.random.default_rng(2).uniform(-1, 1, (2, 32, 48, 3)), jnp.float32)
    (a, fa), (b, fb) = forward(model, x), forward(loaded, x)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(fa["decoder"]), np.asarray(fb["decoder"]))


def test_train_step_changes_params_with_finite_loss():
    model = unet.build(TINY_UNET, seed=1)  # its own model: the shared one must stay untrained
    before = jax.tree.map(np.array, nnx.to_pure_dict(nnx.state(model, nnx.Param)))
    opt = nnx.Optimizer(model, optax.adamw(1e-2), wrt=nnx.Param)
    x, y = rectangles(8, seed=3)
    loss = float(
        seg_train.train_step(model, opt, jax.random.key(0), jnp.asarray(x), jnp.asarray(y))
    )
    assert np.isfinite(loss) and loss > 0
    after = jax.tree.map(np.array, nnx.to_pure_dict(nnx.state(model, nnx.Param)))
    changed = jax.tree.leaves(jax.tree.map(lambda a, b: not np.array_equal(a, b), before, after))
    assert all(changed)  # Adam moves every parameter on the first step


def test_fit_learns_a_bright_rectangle():
    x, y = rectangles(128, seed=4)
    losses: list[float] = []
    tc = seg_train.SegTrainConfig(steps=4 * len(x) // 16, learning_rate=3e-2)
    batches = seg_train.epochs(x, y, 16, seed=0)
    model = seg_train.fit(
        unet.build(TINY_UNET, 0), tc, batches, seed=0, on_step=lambda s, loss: losses.append(loss)
    )
    epoch = np.reshape(losses, (4, -1)).mean(axis=1)
    assert np.isfinite(losses).all() and epoch[-1] < epoch[0]
    xt, yt = rectangles(32, seed=5)  # held out: other rectangles, other noise
    pred = np.asarray(forward(model, jnp.asarray(xt))[0]) > 0
    assert pred.shape == yt.shape
    scores = [seg_train.dice(p, t > 0) for p, t in zip(pred, yt, strict=True)]
    assert np.mean(scores) > 0.8, scores


def _logits(target: np.ndarray, sign: float) -> jax.Array:
    return jnp.asarray(np.where(target > 0, sign * 20.0, -sign * 20.0), jnp.float32)


def test_soft_dice_perfect_and_inverse():
    _, y = rectangles(2, seed=6)
    target = jnp.asarray(y)
    assert float(seg_train.soft_dice(_logits(y, 1.0), target)) == pytest.approx(0.0, abs=1e-4)
    assert float(seg_train.soft_dice(_logits(y, -1.0), target)) == pytest.approx(1.0, abs=1e-2)
    half = float(seg_train.soft_dice(jnp.zeros_like(target), target))  # p = 0.5 everywhere
    assert 0.0 < half < 1.0


def test_dice_edge_cases():
    empty = np.zeros((4, 4), bool)
    a = empty.copy()
    a[0, :] = True
    b = empty.copy()
    b[0, :2] = b[1, :2] = True
    assert seg_train.dice(empty, empty) == 1.0  # nothing to find, nothing found
    assert seg_train.dice(a, empty) == 0.0 and seg_train.dice(empty, a) == 0.0
    assert seg_train.dice(a, a) == 1.0
    assert seg_train.dice(a, b) == pytest.approx(0.5)  # 2 * 2 shared / (4 + 4)


def test_a_size_its_levels_cannot_halve_is_refused():
    with pytest.raises(ValueError, match="divisible by 4, not 34x48"):
        unet.Config(height=34, width=48, channels=(4, 8, 16))
    assert unet.stride(3) == 4 and unet.Config(height=36, width=48, channels=(4, 8, 16)).width == 48
