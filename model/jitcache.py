"""A jitted NNX function with its model bound once, for models that are called many times.

`nnx.jit` walks the module's graph on every call; on the CPU that Python work is about half of
Grad-CAM's 4 ms and a fifth of segmentation's, and it holds the GIL that the bot's event loop
needs. `nnx.cached_partial` walks it once per model object; the clones it keeps share the
model's Variables, so weights that change in place (training) are still seen, but the
structure, train/eval mode included, is the one of the first call.

A model that serves people never changes: `freeze` splits it once into its structure and its
arrays, and `bound` then gives a plain `jax.jit` of the function over those arrays. Its call
is a few microseconds of Python instead of the graph walk and merge `cached_partial` still
does on each call (2-5 ms a call on the 2-core machine, docs/BENCHMARKS.md). `disk_cache`
keeps compiled programs on disk, so a new process loads them instead of compiling again. An
exported program (`model.exported`) is its function already bound: serving then needs no Flax,
which this module imports only for NNX models.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from model import exported

# compiled programs of this machine, made on first use (`disk_cache`); nothing is downloaded
CACHE = Path.home() / ".cache" / "anemia-screen" / "xla"
_BOUND: weakref.WeakKeyDictionary[Any, dict[Callable[..., Any], Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)
_FROZEN: weakref.WeakKeyDictionary[Any, tuple[Any, list[jax.Array], Any]] = (
    weakref.WeakKeyDictionary()
)


def freeze(model: Any) -> None:
    """Promise that `model` will not change any more (its weights, structure and mode): its
    functions bound from now on skip NNX's per-call graph work."""
    from flax import nnx

    graphdef, state = nnx.split(model)
    leaves, treedef = jax.tree.flatten(state)
    _FROZEN[model] = (graphdef, leaves, treedef)
    _BOUND.pop(model, None)


def _frozen_call(fn: Callable[..., Any], model: Any) -> Callable[..., Any]:
    from flax import nnx

    graphdef, leaves, treedef = _FROZEN[model]
    inner = getattr(fn, "fun", fn)  # the plain function inside an `nnx.jit`

    def pure(arrays: list[jax.Array], *args: Any) -> Any:
        return inner(nnx.merge(graphdef, jax.tree.unflatten(treedef, arrays)), *args)

    jitted = jax.jit(pure)
    return lambda *args: jitted(leaves, *args)


def bound(fn: Callable[..., Any], model: Any) -> Callable[..., Any]:
    """`fn` (a function, or an `nnx.jit` one, whose first argument is `model`) with `model`
    bound; an exported program is its own function bound."""
    if isinstance(model, exported.Model):
        return model
    per_model = _BOUND.setdefault(model, {})
    if fn not in per_model:
        frozen = model in _FROZEN
        per_model[fn] = _frozen_call(fn, model) if frozen else _cached(fn, model)
    return per_model[fn]


def _cached(fn: Callable[..., Any], model: Any) -> Callable[..., Any]:
    from flax import nnx

    return nnx.cached_partial(_nnx_jit(fn), model)


@functools.cache
def _nnx_jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One `nnx.jit` per plain function, so its traces are shared by every model."""
    from flax import nnx

    return fn if hasattr(fn, "fun") else nnx.jit(fn)  # `fun`: already an `nnx.jit`


def first(model: Any, *arrays: jax.Array) -> jax.Array:
    """The model's first output (its estimate)."""
    return model(*arrays)[0]


def first_output(model: Any, *arrays: np.ndarray) -> np.ndarray:
    """`model(*arrays)[0]` for NumPy inputs (as float32), compiled once per model and input
    shape: for models whose eager call is slow (the trees' walk is a loop)."""
    return np.asarray(bound(first, model)(*(np.asarray(a, np.float32) for a in arrays)))


def disk_cache(directory: Path) -> bool:
    """Keep every compiled program of this process in `directory` (made if missing) and load
    it from there in the next process: start-up then skips XLA's compilation. False (and no
    cache) where the folder cannot be made."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return True
