"""Colour-feature ("non-deep") Hb regressor: ridge regression on regional colour statistics.

Inputs are `features.colour_features` plus age/sex (`preprocess.meta_vector`), standardised
with training-set constants. Ridge keeps it small and stable on a few hundred images; its
penalty is chosen by leave-one-out inside the training set (scikit-learn's RidgeCV).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from model import checkpoint
from model.cnn import N_META, Stat
from model.features import N_FEATURES


@dataclass(frozen=True)
class Config:
    n_inputs: int = N_FEATURES + N_META
    alphas: tuple[float, ...] = tuple(float(a) for a in np.logspace(-2, 3, 11))


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        self.mean = Stat(jnp.zeros(config.n_inputs))
        self.std = Stat(jnp.ones(config.n_inputs))
        self.linear = nnx.Linear(config.n_inputs, 1, rngs=rngs)

    def __call__(self, colour: jax.Array, meta: jax.Array) -> jax.Array:
        """Hb (g/dL) of shape (B,) from colour statistics (B, F) and age/sex (B, 4)."""
        z = (jnp.concatenate([colour, meta], axis=-1) - self.mean[...]) / self.std[...]
        return self.linear(z)[:, 0]


def build(config: Config) -> Model:
    """An untrained model (random weights until `fit` sets them)."""
    return Model(config, rngs=nnx.Rngs(0))


def fit(config: Config, colour: np.ndarray, meta: np.ndarray, hb: np.ndarray) -> Model:
    """Closed-form ridge fit; the penalty is picked by leave-one-out on these rows only."""
    # scikit-learn only where models are fitted: serving never loads it (80 MB)
    from sklearn.linear_model import RidgeCV

    x = np.concatenate([colour, meta], axis=-1).astype(np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    ridge = RidgeCV(alphas=config.alphas).fit((x - mean) / std, hb)
    model = build(config)
    model.mean[...] = jnp.asarray(mean, jnp.float32)
    model.std[...] = jnp.asarray(std, jnp.float32)
    model.linear.kernel[...] = jnp.asarray(ridge.coef_[:, None], jnp.float32)
    assert model.linear.bias is not None  # nnx.Linear has a bias unless use_bias=False
    model.linear.bias[...] = jnp.asarray([ridge.intercept_], jnp.float32)
    return model


def predict(model: Model, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Hb estimates (g/dL) for rows of NumPy inputs."""
    return np.asarray(model(jnp.asarray(colour), jnp.asarray(meta)))


def save(model: Model, directory: Path, name: str = "colour") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "colour") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
