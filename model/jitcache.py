"""A jitted NNX function with its model bound once, for models that are called many times.

`nnx.jit` walks the module's graph on every call; on the CPU that Python work is about half of
Grad-CAM's 4 ms and a fifth of segmentation's, and it holds the GIL that the bot's event loop
needs. `nnx.cached_partial` walks it once per model object; the clones it keeps share the
model's Variables, so weights that change in place (training) are still seen, but the
structure, train/eval mode included, is the one of the first call.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

_BOUND: weakref.WeakKeyDictionary[Any, dict[Callable[..., Any], Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)


def bound(fn: Callable[..., Any], model: Any) -> Callable[..., Any]:
    """`fn` (an `nnx.jit` function whose first argument is `model`) with `model` bound."""
    per_model = _BOUND.setdefault(model, {})
    if fn not in per_model:
        per_model[fn] = nnx.cached_partial(fn, model)
    return per_model[fn]


@nnx.jit
def _first(model: Any, *arrays: jax.Array) -> jax.Array:
    return model(*arrays)[0]


def first_output(model: Any, *arrays: np.ndarray) -> np.ndarray:
    """`model(*arrays)[0]` for NumPy inputs (as float32), compiled once per model and input
    shape: for models whose eager call is slow (the trees' walk is a loop)."""
    return np.asarray(bound(_first, model)(*(jnp.asarray(a, jnp.float32) for a in arrays)))
