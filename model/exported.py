"""A served network as an exported program (`jax.export`): serving calls it with JAX alone, so
the inference process neither imports Flax nor rebuilds the models' structure before it starts.

`<name>.export` (the program, its weights baked in) and `<name>.export.json` (this `Config`)
lie beside `<name>.json` and `<name>.msgpack`, the weights they were made from. They are made,
after every training that changes those weights, by `python -m model.export`. A program whose
weights have changed since (their digest differs) is stale: `load` returns None, and serving
uses the NNX model until the command is run again (as it does on a backend other than the
one the programs were exported for).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from model import served


@dataclass(frozen=True, kw_only=True)
class Config(served.Binned):
    """What serving reads of the source model's config, and which weights the program holds."""

    source: str  # the weights' name: "ensemble", "adult", "unet"
    digest: str = ""  # sha256 of the source's .json and .msgpack, set by `save`
    height: int = 0  # px, an image network's input; 0 for the adults' model
    width: int = 0
    half_width: float = float("nan")  # g/dL, the children's interval (`ensemble.Config`)
    # the source config's low-attention warning: the share below which it fires (None: no
    # warning for this model's people) and the out-of-fold MAE it predicts
    attention_threshold: float | None = 0.4
    attention_mae: float | None = None


class Model:
    """An exported program, called like the jitted function it was exported from."""

    def __init__(self, config: Config, program: jax.export.Exported) -> None:
        self.config = config
        self.program = program
        self._run = compiled(program)

    def __call__(self, *arrays: Any) -> Any:
        """The program's outputs for these inputs, cast to the dtypes it was exported for."""
        cast = (
            np.asarray(a, aval.dtype) for a, aval in zip(arrays, self.program.in_avals, strict=True)
        )
        return self._run(*cast)


# XLA:CPU hands some convolutions, with the pooling, bias and ReLU around them, to YNNPACK by
# default; an empty list of YNNPACK fusions keeps them on XLA's own kernels. On the 2-core
# AVX2 machine one U-Net look then takes 8.6-10.6 ms of wall time instead of 12.7-13.2, for
# about the same CPU time, and segmentation with its gates 35-37 ms instead of 51-54
# (docs/BENCHMARKS.md, "XLA's own kernels"). The outputs differ by float rounding (the U-Net's
# logits by at most 1e-5).
KERNELS = {"xla_cpu_experimental_ynn_fusion_type": ""}


def compiled(program: jax.export.Exported) -> Any:
    """The program compiled for its input shapes with `KERNELS`, or without them by an XLA
    that does not know the option."""
    try:
        return jax.jit(program.call, compiler_options=KERNELS).lower(*program.in_avals).compile()
    except jax.errors.JaxRuntimeError:  # "No such compile option": another jaxlib
        return jax.jit(program.call).lower(*program.in_avals).compile()


def _digest(directory: Path, source: str) -> str:
    h = hashlib.sha256()
    for suffix in (".json", ".msgpack"):
        h.update((directory / f"{source}{suffix}").read_bytes())
    return h.hexdigest()


def save(directory: Path, config: Config, program: jax.export.Exported) -> None:
    """Write the program and its config, stamped with the digest of the weights beside it."""
    config = dataclasses.replace(config, digest=_digest(directory, config.source))
    (directory / f"{config.source}.export").write_bytes(program.serialize())
    text = json.dumps(dataclasses.asdict(config), indent=2, sort_keys=True)
    (directory / f"{config.source}.export.json").write_text(text + "\n")


def load(directory: Path, name: str) -> Model | None:
    """The program exported from the weights `name`; None when there is none or it is stale."""
    meta = directory / f"{name}.export.json"
    if not meta.is_file() or not (directory / f"{name}.msgpack").is_file():
        return None
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(meta.read_text()).items()
    }
    config = Config(**fields)
    if config.digest != _digest(directory, name):
        return None
    program = jax.export.deserialize(bytearray((directory / f"{name}.export").read_bytes()))
    # exported for the CPU (`model.export`): on an accelerator the NNX model serves
    return Model(config, program) if jax.default_backend() in program.platforms else None
