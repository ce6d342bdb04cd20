"""Export the served networks from their weights (`model.exported`), without retraining.

Run after every training that changes the shipped weights (the children's ensemble, the adults'
model, the U-Net): `python -m model.export [WEIGHTS_DIR]` (default `model/weights`). Each
program is the function serving calls, with the weights baked in: the ensemble with its
Grad-CAM (`gradcam.cam`), the U-Net's logits (`segment.probabilities`), the adults' estimate.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from model import WEIGHTS, adult, ensemble, exported, gradcam, jitcache, occlusion, segment, unet
from model.features import N_FEATURES

BATCH = 1  # serving sends one photo at a time


def program(fn: Callable[..., Any], model: nnx.Module, *shapes: tuple[int, ...]) -> Any:
    """`fn(model, *inputs)` exported for float32 inputs of these shapes, the model's arrays
    baked in as constants."""
    graphdef, state = nnx.split(model)
    state = jax.tree.map(jnp.asarray, state)  # loaded weights are NumPy: index them in JAX
    inner = getattr(fn, "fun", fn)  # the plain function inside an `nnx.jit`

    def bound(*arrays: jax.Array) -> Any:
        return inner(nnx.merge(graphdef, state), *arrays)

    specs = [jax.ShapeDtypeStruct(s, jnp.float32) for s in shapes]
    return jax.export.export(jax.jit(bound))(*specs)


def children(model: ensemble.Model) -> tuple[exported.Config, Any]:
    """The ensemble's estimate with its Grad-CAM maps (`gradcam.explain`)."""
    c = model.config
    cam = program(
        gradcam.cam,
        model,
        (BATCH, c.cnn.height, c.cnn.width, 4),
        (BATCH, c.cnn.n_colour),
        (BATCH, c.cnn.n_meta),
    )
    names = ("half_width", "attention_threshold", "attention_mae", "height", "width")
    fields = {f: getattr(c, f) for f in names}
    return exported.Config(source="ensemble", **_calibration(c), **fields), cam


def segmenter(model: unet.Model) -> tuple[exported.Config, Any]:
    """The U-Net's logits on one resized photo (`segment.probabilities`)."""
    c = model.config
    logits = program(segment.logits, model, (BATCH, c.height, c.width, 3))
    config = exported.Config(source="unet", version=c.version, height=c.height, width=c.width)
    return config, logits


def adults(model: adult.Model) -> tuple[exported.Config, Any]:
    """The adults' estimate from colour statistics and age and sex (`adult.predict`), for
    the rows of one occlusion map (`occlusion.of_adult`: the estimate is its first row)."""
    c = model.config
    rows = occlusion.ROWS
    estimate = program(jitcache.first, model, (rows, N_FEATURES), (rows, 4))
    config = exported.Config(
        source="adult",
        bin_edges=c.bin_edges,
        half_widths=c.half_widths,
        attention_threshold=c.attention_threshold,
        attention_mae=c.attention_mae,
        **_calibration(c),
    )
    return config, estimate


def _calibration(c: Any) -> dict[str, Any]:
    return {f: getattr(c, f) for f in ("coverage", "refer_margin", "version", "population")}


def export(weights: Path = WEIGHTS) -> list[str]:
    """Export every served network whose weights are in `weights`; their names."""
    made = []
    for name, module, make in (
        ("ensemble", ensemble, children),
        ("adult", adult, adults),
        ("unet", unet, segmenter),
    ):
        if (weights / f"{name}.msgpack").is_file():
            config, prog = make(module.load(weights))  # type: ignore[operator]
            exported.save(weights, config, prog)
            made.append(name)
    return made


if __name__ == "__main__":
    print("exported:", ", ".join(export(Path(sys.argv[1]) if len(sys.argv) > 1 else WEIGHTS)))
