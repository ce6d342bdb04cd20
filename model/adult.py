"""The adults' Hb model: colour statistics and sex -> the mean of a support-vector regressor
(`model.svr`) and extremely randomised trees (`model.trees`), with its interval and referral
margin.

Why two members: on patient-grouped folds of Eyes-defy (172 adults, three fold seeds) the
average erred less than the SVR alone (MAE 1.07 against 1.10) and as little as the trees alone,
with less error than the trees in India, the harder site (`docs/cv/adult_models.md`). Both
see the same inputs: colour levels of the conjunctiva (not the spread of colour inside it,
which moves with resolution) and sex; not age, so no adult's age is outside the range it was
fitted on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from model import checkpoint, jitcache, served, svr, trees


@dataclass(frozen=True)
class Config(served.Binned):
    """The members' configs; the interval (`served.Binned`) gives each bin of the estimate the
    widest width of the sites it was validated on, since a new user's camera is none of them
    (`conformal.widest`)."""

    svr: svr.Config = field(default_factory=svr.Config)
    trees: trees.Config = field(default_factory=trees.Config)


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        self.svr = svr.Model(config.svr, rngs=rngs)
        self.trees = trees.Model(config.trees, rngs=rngs)

    def __call__(
        self, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb (B,) in g/dL, {"svr", "trees": each member's estimate (B,)})."""
        a, _ = self.svr(colour, meta)
        b, _ = self.trees(colour, meta)
        return (a + b) / 2.0, {"svr": a, "trees": b}


def build(config: Config) -> Model:
    """An empty model of the config's shape (filled by `fit` or `load`)."""
    return Model(config, rngs=nnx.Rngs(0))


def fit(config: Config, colour: np.ndarray, meta: np.ndarray, hb: np.ndarray, seed: int) -> Model:
    """Fit both members on these rows."""
    a = svr.fit(config.svr, colour, meta, hb, seed)
    b = trees.fit(config.trees, colour, meta, hb, seed)
    model = build(dataclasses.replace(config, svr=a.config, trees=b.config))
    nnx.update(model.svr, nnx.state(a))
    nnx.update(model.trees, nnx.state(b))
    return model


def with_calibration(model: Model, **fields: object) -> Model:
    """The same weights under a config with the interval, referral margin or version set."""
    return checkpoint.reconfigured(model, build, **fields)


def predict(model: Model, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Hb estimates (g/dL) for rows of NumPy inputs."""
    return jitcache.first_output(model, colour, meta)


def save(model: Model, directory: Path, name: str = "adult") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "adult") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
