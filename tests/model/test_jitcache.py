"""A bound jitted function gives what the plain one gives, is made once per model, sees weights
changed in place, and goes when its model goes."""

from __future__ import annotations

import gc

import jax.numpy as jnp
import numpy as np
from flax import nnx

from model import jitcache


@nnx.jit
def apply(model: nnx.Linear, x: jnp.ndarray) -> jnp.ndarray:
    return model(x)


def test_bound_matches_plain_call_and_is_made_once() -> None:
    model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    x = jnp.ones((4, 3))
    fast = jitcache.bound(apply, model)
    np.testing.assert_allclose(fast(x), apply(model, x), rtol=1e-6)
    assert jitcache.bound(apply, model) is fast
    assert jitcache.bound(apply, nnx.Linear(3, 2, rngs=nnx.Rngs(1))) is not fast


def test_weights_changed_in_place_are_seen() -> None:
    model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    x = jnp.ones((1, 3))
    fast = jitcache.bound(apply, model)
    before = np.asarray(fast(x))
    bias = model.bias
    assert bias is not None
    bias[...] = bias[...] + 1.0
    np.testing.assert_allclose(np.asarray(fast(x)), before + 1.0, rtol=1e-6)


def test_cache_lets_the_model_go() -> None:
    model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    jitcache.bound(apply, model)(jnp.ones((1, 3)))
    gc.collect()  # only this test's model may go below
    count = len(jitcache._BOUND)
    del model
    gc.collect()
    assert len(jitcache._BOUND) == count - 1


def test_a_frozen_model_gives_the_same_and_goes_when_it_goes() -> None:
    model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    x = np.ones((4, 3), np.float32)
    before = np.asarray(jitcache.bound(apply, model)(x))
    jitcache.freeze(model)
    frozen = jitcache.bound(apply, model)
    np.testing.assert_allclose(np.asarray(frozen(x)), before, rtol=1e-6)
    gc.collect()
    count = len(jitcache._FROZEN)
    del model, frozen
    gc.collect()
    assert len(jitcache._FROZEN) == count - 1
