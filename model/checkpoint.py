"""The one place model files are read and written: a frozen config as JSON, the state as msgpack.

Never pickle: a shipped weights file must not be able to run code when it is loaded.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
from flax import nnx, serialization

C = TypeVar("C")
M = TypeVar("M", bound=nnx.Module)
_SAVED = nnx.Not(nnx.RngState)  # weights and constants; dropout keys are re-made on load


def _from_json(cls: type[C], raw: dict[str, Any]) -> C:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in raw:
            continue  # a field added later keeps its default
        v = raw[f.name]
        if dataclasses.is_dataclass(hints[f.name]):
            v = _from_json(hints[f.name], v)
        kwargs[f.name] = tuple(v) if isinstance(v, list) else v
    return cls(**kwargs)


def save(directory: Path, name: str, config: Any, module: nnx.Module) -> None:
    """Write `<name>.json` (hyperparameters) and `<name>.msgpack` (weights and constants)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(
        json.dumps(dataclasses.asdict(config), indent=2, sort_keys=True) + "\n"
    )
    pure = nnx.to_pure_dict(nnx.state(module, _SAVED))
    (directory / f"{name}.msgpack").write_bytes(serialization.msgpack_serialize(pure))


def _concrete_rngs(module: nnx.Module) -> None:
    """Give an abstract module's random-number state real values (fixed: only dropout uses it)."""

    def make(leaf: jax.ShapeDtypeStruct) -> jax.Array:
        if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            return jax.random.key(0)
        return jnp.zeros(leaf.shape, leaf.dtype)

    nnx.update(module, jax.tree.map(make, nnx.state(module, nnx.RngState)))


def load(directory: Path, name: str, config_cls: type[C], build: Callable[[C], M]) -> M:
    """Rebuild a module from its config and fill it with the saved state.

    The module is built abstractly (shapes only): initialising random weights that the file
    replaces anyway took most of the start-up time."""
    config = _from_json(config_cls, json.loads((directory / f"{name}.json").read_text()))
    module = nnx.eval_shape(lambda: build(config))
    _concrete_rngs(module)
    state = nnx.state(module, _SAVED)
    pure = serialization.msgpack_restore((directory / f"{name}.msgpack").read_bytes())
    nnx.replace_by_pure_dict(state, pure)
    nnx.update(module, state)
    return module


def reconfigured(model: M, build: Callable[[Any], M], **fields: object) -> M:
    """The same weights under the model's config with `fields` replaced (its interval,
    referral margin or version: fields that change no weight's shape)."""
    out = build(dataclasses.replace(model.config, **fields))  # type: ignore[attr-defined]
    nnx.update(out, nnx.state(model))
    return out
