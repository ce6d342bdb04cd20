"""The shipped Hb estimator: CNN members trained with different seeds, averaged, plus the
split-conformal half-width that turns an estimate into an interval.

Each member is a `cnn.Model`; averaging seeds cuts the variance a few hundred images leave in
any one network. Grad-CAM works on the ensemble as on one network: `__call__` returns the
stacked last feature maps and `head` maps them back to the averaged estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
from flax import nnx

from model import checkpoint, cnn, served


@dataclass(frozen=True)
class Config(served.Calibration):
    cnn: cnn.Config = field(default_factory=cnn.Config)
    members: int = 3
    half_width: float = float("nan")  # g/dL; set from out-of-fold residuals by training
    # share of Grad-CAM on the lower half below which we warn: training sets it where a low
    # share went with larger errors out of fold, and None (no warning) where it did not; 0.4
    # is the fixed share of weights made before that test
    attention_threshold: float | None = 0.4
    attention_mae: float | None = None  # g/dL: the out-of-fold MAE below that share

    @property
    def height(self) -> int:
        """px, of the members' input (as `model.exported.Config` has it)."""
        return self.cnn.height

    @property
    def width(self) -> int:
        return self.cnn.width


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        self.members = nnx.List([cnn.Model(config.cnn, rngs=rngs) for _ in range(config.members)])

    def head(self, fmaps: jax.Array, x: jax.Array, colour: jax.Array, meta: jax.Array) -> jax.Array:
        """Averaged Hb (B,) from stacked member feature maps (M, B, h, w, C)."""
        outs = [m.head(fmaps[i], x, colour, meta) for i, m in enumerate(self.members)]
        return jnp.mean(jnp.stack(outs), axis=0)

    def baseline(self) -> jax.Array:
        """Mean of the members' training-set mean Hb (g/dL)."""
        return jnp.mean(jnp.stack([m.baseline() for m in self.members]))

    def __call__(
        self, x: jax.Array, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(averaged Hb (B,), {"last_conv": (M, B, h, w, C), "members": (M, B)})."""
        fmaps = jnp.stack([m.features(x) for m in self.members])
        members = jnp.stack([m.head(fmaps[i], x, colour, meta) for i, m in enumerate(self.members)])
        return members.mean(axis=0), {"last_conv": fmaps, "members": members}


def build(config: Config) -> Model:
    """An empty ensemble in inference mode (members are trained one by one, never here)."""
    model = Model(config, rngs=nnx.Rngs(0))
    model.eval()
    return model


def assemble(config: Config, members: list[cnn.Model]) -> Model:
    """An ensemble holding the given trained members' weights."""
    model = build(config)
    for slot, trained in zip(model.members, members, strict=True):
        nnx.update(slot, nnx.state(trained, nnx.Not(nnx.RngState)))
    return model


def save(model: Model, directory: Path, name: str = "ensemble") -> None:
    """Write the ensemble's config (with its interval width) and all member weights."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "ensemble") -> Model:
    """Read an ensemble written by `save`, ready for inference."""
    return checkpoint.load(directory, name, Config, build)
